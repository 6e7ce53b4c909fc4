"""The call script through Slack: the recruiter's name from users.info, the workspace's from
auth.test, the position's starting point in the modal, "among the strongest" as a checkbox,
and lines to say apart from directions in the DM."""

from __future__ import annotations

import json
from typing import Any

from conversation_guides import GuideBook
from tests.support.slack import USER, Bot
from tests.support.slack_api import TEAM

REQUIREMENTS = "Vi la mest vekt på erfaring med årsoppgjør på egen hånd i Visma."
STRENGTHS = "Vi valgte en som har ledet en overgang til SAP i en virksomhet på vår størrelse."
GAPS = "Stillingen krever skriftlig norsk på C1-nivå, og i caseoppgaven rettet vi mye i teksten."
ANSWERS = {
    "competence": (
        "De fem årene dine med lønnskjøring i Visma var helt klart relevante, men du har tatt "
        "årsoppgjøret med støtte."
    ),
    "self_presentation": (
        "Da vi spurte om budsjettkonflikten, svarte du i generelle vendinger. Fortell neste "
        "gang hva du gjorde, og hva som skjedde etterpå."
    ),
}


def _profile(bot: Bot) -> None:
    bot.fake.users[USER] = {
        "locale": "nb-NO",
        "tz": "Europe/Oslo",
        "real_name": "Line Berg",
        "profile": {"real_name": "Line Berg", "display_name": "Line"},
    }


async def _checklist(bot: Bot, candidate: str) -> dict[str, Any]:
    updates = len(bot.fake.called("views.update"))
    assert await bot.slack.command(f"start {candidate}") == (200, "")
    view = (await bot.fake.wait_for("views.update", updates + 1))[-1].params["view"]
    return json.loads(view) if isinstance(view, str) else view


def _values(view: dict[str, Any], strongest: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        if element["type"] == "plain_text_input":
            text = ANSWERS.get(block["block_id"]) or element.get("initial_value") or GAPS
            values[block["block_id"]] = {"answer": {"type": "plain_text_input", "value": text}}
        else:
            chosen = element["options"] if strongest else []
            values[block["block_id"]] = {
                "strongest": {"type": "checkboxes", "selected_options": chosen}
            }
    return values


async def _script_dm(bot: Bot, candidate: str, strongest: bool) -> dict[str, Any]:
    view = await _checklist(bot, candidate)
    before = len(bot.fake.called("chat.postMessage"))
    payload = bot.slack.view_submission(view, _values(view, strongest))
    assert await bot.slack.interact(payload) == (200, "")
    return (await bot.fake.wait_for("chat.postMessage", before + 1))[-1].params


async def test_script_names_recruiter_and_workspace_and_starts_from_the_position(
    bot: Bot, guides: GuideBook
) -> None:
    _profile(bot)
    team = {"ok": True, "team": "Acme AS", "team_id": TEAM, "user_id": "UBOT"}
    bot.fake.plan("auth.test", times=3, body=team)
    saved = await bot.say(f"stilling Lønnskonsulent | {REQUIREMENTS} | {STRENGTHS}")
    assert REQUIREMENTS in saved["text"]
    assert bot.fake.called("users.info") and bot.fake.called("auth.test")

    strong = await bot.add("Kari Nordmann", position="Lønnskonsulent")
    view = await _checklist(bot, strong)
    by_id = {block.get("block_id"): block for block in view["blocks"]}
    # The position's points are where the answers start, still editable and checked.
    assert by_id["gaps"]["element"]["initial_value"] == REQUIREMENTS
    assert by_id["luxury_problem"]["element"]["initial_value"] == STRENGTHS
    assert by_id["competence"]["element"].get("initial_value") is None
    assert by_id["strongest"]["element"]["type"] == "checkboxes"
    assert by_id["strongest"]["label"]["text"].startswith("Var Kari blant de sterkeste")

    dm = await _script_dm(bot, strong, strongest=True)
    template = guides.script("nb")
    sections = [b["text"]["text"] for b in dm["blocks"] if b["type"] == "section"]
    contexts = [b["elements"][0]["text"] for b in dm["blocks"] if b["type"] == "context"]
    assert sections[1].startswith(
        "Hei Kari, det er Line Berg fra Acme AS. "
        "Jeg ringer om søknaden din på stillingen som lønnskonsulent."
    )
    spoken = "\n\n".join(sections)
    notes = "\n\n".join(contexts)
    assert f"{template.transitions['gaps']} {REQUIREMENTS}" in spoken
    assert template.talent_pool.say.format(months=12) in spoken
    assert template.if_they_ask_title in notes and template.if_they_ask_title not in spoken
    assert template.talent_pool.note in notes

    # Not marked among the strongest: no CV question at all.
    other = await bot.add("Ola Hansen", position="Lønnskonsulent")
    dm = await _script_dm(bot, other, strongest=False)
    shown = [b for b in dm["blocks"] if b["type"] in ("section", "context")]
    text = json.dumps(shown, ensure_ascii=False)
    assert "CV" not in text and "Hei Ola, det er Line Berg fra Acme AS." in text


async def test_without_auth_test_the_script_still_opens_with_the_name(bot: Bot) -> None:
    _profile(bot)
    # Bolt's own authorisation asks auth.test first (and keeps the answer); ours then fails.
    bot.fake.plan("auth.test", body={"ok": True, "team_id": TEAM, "user_id": "UBOT"})
    bot.fake.plan("auth.test", times=3, status=500, body={"ok": False, "error": "fatal"})
    candidate = await bot.add("Kari Nordmann", position="Lønnskonsulent")
    dm = await _script_dm(bot, candidate, strongest=False)
    sections = [b["text"]["text"] for b in dm["blocks"] if b["type"] == "section"]
    assert len(bot.fake.called("auth.test")) >= 2  # ours was asked, and failed
    # Slack did not say the workspace's name: it is left out, never a placeholder.
    assert sections[1].startswith("Hei Kari, det er Line Berg. Jeg ringer om søknaden din")
