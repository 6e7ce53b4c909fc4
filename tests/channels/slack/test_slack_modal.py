"""start -> checklist modal -> view_submission -> call script as a DM, and failures on the way."""

from __future__ import annotations

import json
from typing import Any

from bot.channels.slack.blocks import decode_metadata
from conversation_guides import GuideBook
from tests.support.database import Clock
from tests.support.slack import USER, Bot, running_bot, slack_settings
from tests.support.slack_api import FakeSlack
from tests.support.slack_checklist import CONCRETE, inputs, open_checklist, preparation, submit

VAGUE = "You were not the right fit."
STEPS = ["competence", "gaps", "luxury_problem", "self_presentation"]


async def test_start_opens_the_modal_before_any_other_io(
    bot: Bot, clock: Clock, guides: GuideBook
) -> None:
    candidate = await bot.add("Kari Nordmann")
    clock.advance(days=8)  # the cached profile is stale, so users.info will be asked again
    before = len(bot.fake.calls)
    view = await open_checklist(bot, candidate)
    methods = [call.method for call in bot.fake.calls[before:]]
    assert methods[0] == "views.open"
    assert methods.index("views.open") < methods.index("users.info")
    assert bot.fake.called("views.open")[-1].params["trigger_id"].startswith("trigger-")
    assert bot.fake.called("views.update")[-1].params["view_id"]

    assert view["callback_id"] == "checklist"
    assert decode_metadata(view["private_metadata"])["candidate"] == candidate
    fields = [block for block in view["blocks"] if block["type"] == "input"]
    # One input per step, then the yes/no "among the strongest" (not a step).
    assert [block["block_id"] for block in fields] == [*STEPS, "strongest"]
    assert fields.pop()["element"]["type"] == "checkboxes"
    guide = guides.guide("en")
    for block in fields:
        assert block["element"]["type"] == "plain_text_input"
        assert block["element"]["multiline"] is True
        assert block["hint"]["text"] == guide.step(block["block_id"]).tip
        assert len(view["title"]["text"]) <= 24


async def test_internal_candidate_gets_the_internal_value_step(bot: Bot) -> None:
    answer = await bot.say("add Ola Nordmann | Team lead | internal")
    candidate = answer["text"].split("(")[1].split(")")[0].split(",")[0]
    view = await open_checklist(bot, candidate)
    keys = [block["block_id"] for block in view["blocks"] if block["type"] == "input"]
    assert keys == [*STEPS, "internal_value"]


async def test_vague_answer_comes_back_inline_then_same_text_is_accepted(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    view = await open_checklist(bot, candidate)
    answers = {**CONCRETE, "competence": VAGUE}

    status, body = await submit(bot, view, answers)
    assert status == 200
    response = json.loads(body)
    assert response["response_action"] == "errors"
    assert list(response["errors"]) == ["competence"]
    assert "hard for the candidate to act on" in response["errors"]["competence"]
    # The concrete answers are stored already; the vague one is not.
    stored = await preparation(bot, candidate)
    assert stored is not None
    assert {a.step_key for a in stored.answers} == set(STEPS) - {"competence"}
    assert not bot.fake.called("chat.postMessage")

    assert await submit(bot, view, answers) == (200, "")
    dm = (await bot.fake.wait_for("chat.postMessage"))[0].params
    assert dm["channel"] == USER
    assert "Your call script for Kari Nordmann" in dm["text"]
    # Called is the one button; the other outcomes are in the card's overflow menu.
    commands = [
        value
        for block in dm["blocks"]
        for element in block.get("elements", [])
        for value in (
            [element["value"]]
            if element.get("type") == "button"
            else [option["value"] for option in element.get("options", [])]
        )
    ]
    assert commands == [
        f"log {candidate} called",
        f"log {candidate} no-answer",
        f"log {candidate} declined",
        f"log {candidate} skipped",
        f"consent {candidate}",
    ]
    labels = str(dm["blocks"])
    for label in ("Called", "No answer", "Declined", "Skipped", "May keep CV"):
        assert label in labels
    stored = await preparation(bot, candidate)
    assert stored is not None and stored.completed_at is not None
    assert {a.step_key: a.text for a in stored.answers}["competence"] == VAGUE


async def test_a_redelivered_submission_neither_accepts_vague_text_nor_dms_twice(
    bot: Bot,
) -> None:
    candidate = await bot.add("Kari Nordmann")
    view = await open_checklist(bot, candidate)
    vague = {**CONCRETE, "competence": VAGUE}
    payload = bot.slack.view_submission(view, inputs(vague), trigger_id="trigger-first")
    first = await submit(bot, view, vague, payload=payload)
    retry = await submit(bot, view, vague, payload=payload, headers={"X-Slack-Retry-Num": "1"})
    # Slack re-sending the same submission is not the recruiter insisting on the text.
    assert json.loads(first[1]) == json.loads(retry[1])
    assert "competence" in json.loads(retry[1])["errors"]

    accepted = bot.slack.view_submission(view, inputs(vague), trigger_id="trigger-second")
    assert await submit(bot, view, vague, payload=accepted) == (200, "")
    await bot.fake.wait_for("chat.postMessage")
    again = await submit(bot, view, vague, payload=accepted, headers={"X-Slack-Retry-Num": "1"})
    assert again == (200, "")
    assert len(bot.fake.called("chat.postMessage")) == 1


async def test_expired_trigger_sends_the_checklist_as_a_message_with_a_retry_button(
    bot: Bot,
) -> None:
    candidate = await bot.add("Kari Nordmann")
    bot.fake.plan("views.open", body={"ok": False, "error": "expired_trigger_id"})
    before = len(bot.fake.responses)
    assert await bot.slack.command(f"start {candidate}") == (200, "")
    message = (await bot.fake.wait_responses(before + 1))[before]
    assert "took too long to open the checklist" in str(message["blocks"])
    assert "Relevant competence" in str(message["blocks"])
    retry = next(
        (element, block)
        for block in message["blocks"]
        for element in block.get("elements", [])
        if element.get("value") == f"start {candidate}"
    )
    element, block = retry
    assert not bot.fake.called("views.update")

    payload = bot.slack.block_action(
        {"action_id": element["action_id"], "value": element["value"]},
        block["block_id"],
        {"type": "message", "is_ephemeral": True, "message_ts": "1.1", "channel_id": "C1"},
        response_url=bot.fake.response_url("retry"),
    )
    assert await bot.slack.interact(payload) == (200, "")
    update = (await bot.fake.wait_for("views.update"))[0].params["view"]
    assert update["callback_id"] == "checklist"
    assert bot.fake.called("views.open")[-1].params["trigger_id"] == payload["trigger_id"]


async def test_server_error_on_views_open_says_try_again_with_the_checklist(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    bot.fake.plan("views.open", status=500, body={"ok": False, "error": "internal_error"})
    before = len(bot.fake.responses)
    await bot.slack.command(f"start {candidate}")
    message = (await bot.fake.wait_responses(before + 1))[before]
    assert "Slack did not answer me just now" in message["text"]
    assert "Relevant competence" in str(message["blocks"])


async def test_rate_limited_views_open_is_retried_after_retry_after(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    bot.fake.plan(
        "views.open",
        status=429,
        headers={"Retry-After": "0"},
        body={"ok": False, "error": "ratelimited"},
    )
    view = await open_checklist(bot, candidate)
    assert view["callback_id"] == "checklist"
    assert len(bot.fake.called("views.open")) == 2


async def test_slow_slack_counts_as_a_failure(
    coach: Any, database_url: str, fake_slack: FakeSlack
) -> None:
    settings = slack_settings(database_url, fake_slack.url)
    coach.settings = settings
    async with running_bot(coach, settings, fake_slack, api_timeout=0.5) as bot:
        candidate = await bot.add("Kari Nordmann")
        fake_slack.plan("views.open", delay=3.0)
        before = len(fake_slack.responses)
        await bot.slack.command(f"start {candidate}")
        message = (await fake_slack.wait_responses(before + 1))[before]
        assert "Slack did not answer me just now" in message["text"]


async def test_script_dm_failure_keeps_the_answers_and_says_how_to_get_it(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    view = await open_checklist(bot, candidate)
    bot.fake.plan("chat.postMessage", status=500, body={"ok": False, "error": "internal_error"})
    before = len(bot.fake.responses)
    assert await submit(bot, view, CONCRETE) == (200, "")
    message = (await bot.fake.wait_responses(before + 1))[before]
    assert f"/feedback-call start {candidate}" in message["text"]
    stored = await preparation(bot, candidate)
    assert stored is not None and stored.completed_at is not None
    assert {a.step_key: a.text for a in stored.answers} == CONCRETE
    # Starting again shows every answer saved.
    view = await open_checklist(bot, candidate)
    values = {
        block["block_id"]: block["element"].get("initial_value")
        for block in view["blocks"]
        if block["type"] == "input" and block["block_id"] != "strongest"
    }
    assert values == CONCRETE


async def test_unknown_candidate_is_explained_in_the_modal(bot: Bot) -> None:
    await bot.say("help")
    assert await bot.slack.command("start Nobody Here") == (200, "")
    view = (await bot.fake.wait_for("views.update"))[0].params["view"]
    assert "I can't find “Nobody Here”" in str(view["blocks"])
    assert "submit" not in view
