"""The practice call in Slack: a modal opened by /feedback-call practice, each line a signed
view_submission answered in the acknowledgement, ending in the debrief. Nothing typed is stored
or logged."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select

from bot.channels.slack.practice_blocks import LINE, PRACTICE
from bot.messages import Identity
from conversation_guides import GuideBook
from conversation_guides.practice import SCENARIO_ORDER
from storage.tables import Base, PracticeRun
from tests.support.practice_scripts import CHANGES, COMMON, MARKER, POINTS, matches, script
from tests.support.slack import USER, Bot
from tests.support.slack_api import TEAM

POSITION = {"nb": "Lønnsmedarbeider", "en": "Payroll officer"}


async def prepared(bot: Bot, language: str) -> str:
    bot.fake.user(USER, locale="nb-NO" if language == "nb" else "en-GB")
    ref = await bot.add("Kari Nordmann", POSITION[language])
    who = Identity(platform="slack", workspace=TEAM, user=USER, language=language)
    reply = await bot.coach.submit_checklist(who, ref, POINTS[language])
    assert reply.form is None, reply.text
    return ref


async def open_practice(bot: Bot, words: str) -> dict[str, Any]:
    updates = len(bot.fake.called("views.update"))
    assert await bot.slack.command(words) == (200, "")
    calls = await bot.fake.wait_for("views.update", updates + 1)
    view = calls[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    return {**view, "id": calls[-1].params["view_id"]}


def line_input(view: dict[str, Any]) -> str:
    blocks = [b for b in view["blocks"] if b["type"] == "input"]
    assert len(blocks) == 1
    assert blocks[0]["element"]["action_id"] == LINE
    return blocks[0]["block_id"]


def last_candidate_line(view: dict[str, Any]) -> str:
    texts = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    return texts[-1].removeprefix("Kari: ")


async def say_line(bot: Bot, view: dict[str, Any], line: str) -> dict[str, Any]:
    values = {line_input(view): {LINE: {"type": "plain_text_input", "value": line}}}
    status, body = await bot.slack.interact(bot.slack.view_submission(view, values))
    assert status == 200, body
    answer = json.loads(body)
    assert answer["response_action"] == "update"
    return {**answer["view"], "id": view["id"]}


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("scenario", SCENARIO_ORDER)
async def test_a_practice_call_in_a_slack_modal(
    bot: Bot,
    guides: GuideBook,
    caplog: pytest.LogCaptureFixture,
    language: str,
    scenario: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    ref = await prepared(bot, language)
    practice = guides.practice(language)
    verb = "øv" if language == "nb" else "practice"
    view = await open_practice(bot, f"{verb} {ref} | {practice.scenarios[scenario].words[0]}")
    assert view["callback_id"] == PRACTICE
    assert len(view["private_metadata"]) <= 3000
    assert len(view["title"]["text"]) <= 24
    assert matches(guides, language, scenario, "pick_up", last_candidate_line(view))
    steps = script(language, scenario)
    for number, step in enumerate(steps):
        before = line_input(view)
        view = await say_line(bot, view, step.says)
        if number < len(steps) - 1:
            assert view["callback_id"] == PRACTICE
            assert line_input(view) != before  # an empty box for the next line
            assert len(view["private_metadata"]) <= 3000
            assert len(view["blocks"]) <= 100
            said = last_candidate_line(view)
            assert matches(guides, language, scenario, step.answer, said), (step, said)
    # The last view is the debrief: no box, no state, the recruiter's own lines quoted.
    assert "submit" not in view and "private_metadata" not in view
    debrief = "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")
    assert practice.scenarios[scenario].name in debrief
    for check in CHANGES[scenario]:
        assert practice.checks[check].title in debrief  # type: ignore[index]
    assert practice.debrief.you_said.format(quote=COMMON[language]["hired"]) in debrief

    async with bot.sessions() as session:
        runs = (await session.scalars(select(PracticeRun))).all()
        assert [(r.scenario, r.language) for r in runs] == [(scenario, language)]
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                assert MARKER not in " ".join(map(str, row)), table.name
    assert MARKER not in caplog.text
    # No Web API call carried what was typed (each turn is answered in the acknowledgement).
    for call in bot.fake.calls:
        assert MARKER not in json.dumps(call.params, ensure_ascii=False)


async def test_practice_before_the_checklist_says_so_in_the_modal(
    bot: Bot, guides: GuideBook
) -> None:
    bot.fake.user(USER, locale="en-GB")
    ref = await bot.add("Ola Nordmann")
    view = await open_practice(bot, f"practice {ref}")
    assert "callback_id" not in view or view["callback_id"] != PRACTICE
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert guides.text("en", "practice_not_prepared", name="Ola Nordmann", id=ref) in shown


async def test_a_tampered_state_ends_politely(bot: Bot, guides: GuideBook) -> None:
    ref = await prepared(bot, "en")
    view = await open_practice(bot, f"practice {ref}")
    view["private_metadata"] = '{"v": 1, "run": "x"}'
    view = await say_line(bot, view, COMMON["en"]["opening"])
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert guides.text("en", "practice_expired") in shown
    async with bot.sessions() as session:
        assert (await session.scalars(select(PracticeRun))).all() == []


async def test_views_open_failing_tells_the_recruiter(bot: Bot, guides: GuideBook) -> None:
    ref = await prepared(bot, "en")
    bot.fake.plan("views.open", body={"ok": False, "error": "expired_trigger_id"})
    before = len(bot.fake.responses)
    assert await bot.slack.command(f"practice {ref}") == (200, "")
    answer = (await bot.fake.wait_responses(before + 1))[before]
    assert answer["text"] == guides.text("en", "slack_api_failed")


@pytest.mark.parametrize(
    "metadata",
    [None, 17, ["a"], {"v": 1}, "", "{" * 5000, '{"run": "abcdefgh", "ref": "\\ud800"}'],
)
async def test_a_practice_submission_not_shaped_as_ours_is_answered_politely(
    bot: Bot, guides: GuideBook, metadata: Any
) -> None:
    ref = await prepared(bot, "en")
    view = await open_practice(bot, f"practice {ref}")
    view["private_metadata"] = metadata
    for values in ({}, {"line:1": "text"}, {"line:1": {LINE: {"value": ["list"]}}}):
        status, body = await bot.slack.interact(bot.slack.view_submission(view, values))
        assert status == 200, body
        shown = json.dumps(json.loads(body)["view"]["blocks"], ensure_ascii=False)
        assert guides.text("en", "practice_expired") in shown
