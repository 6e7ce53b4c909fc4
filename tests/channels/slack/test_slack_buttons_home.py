"""Outcome buttons (once per delivery, message updated), the skip reason, and App Home."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from storage.tables import Candidate
from tests.support.database import Clock
from tests.support.slack import USER, Bot, find_button, settle
from tests.support.slack_buttons import click, home, logs, script_message
from tests.support.slack_checklist import inputs


async def test_called_button_logs_once_and_updates_the_message(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    message = await script_message(bot, candidate)
    payload = click(bot, message, f"log {candidate} called", action_ts="1700000001.000200")
    assert await bot.slack.interact(payload) == (200, "")
    update = (await bot.fake.wait_for("chat.update"))[0].params
    assert (update["channel"], update["ts"]) == (message["channel"], message["ts"])
    shown = json.dumps(update["blocks"], ensure_ascii=False)
    assert "Logged: Kari Nordmann – called" in shown
    # The buttons that were clicked are gone; the script is still there.
    assert f"log {candidate} called" not in shown
    assert "Your call script for Kari Nordmann" in shown

    # Slack delivers the same click again.
    assert await bot.slack.interact(payload, headers={"X-Slack-Retry-Num": "1"}) == (200, "")
    await settle()
    assert [log.outcome for log in await logs(bot, candidate)] == ["called"]
    assert len(bot.fake.called("chat.update")) == 1


async def test_two_clicks_on_no_answer_are_two_attempts(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    message = await script_message(bot, candidate)
    for stamp in ("1700000001.000200", "1700000002.000300"):
        await bot.slack.interact(click(bot, message, f"log {candidate} no-answer", action_ts=stamp))
        await settle()
    assert [log.outcome for log in await logs(bot, candidate)] == ["no-answer", "no-answer"]
    last = bot.fake.called("chat.update")[-1].params
    assert "try 2" in json.dumps(last["blocks"])


async def test_skipped_asks_for_the_reason_in_a_modal(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    message = await script_message(bot, candidate)
    opened = len(bot.fake.called("views.open"))
    await bot.slack.interact(click(bot, message, f"log {candidate} skipped"))
    view = (await bot.fake.wait_for("views.open", opened + 1))[-1].params["view"]
    assert view["callback_id"] == "skip_reason"
    assert await logs(bot, candidate) == []

    payload = bot.slack.view_submission(view, inputs({"reason": "She got another offer here."}))
    status, body = await bot.slack.interact(payload)
    assert status == 200
    response = json.loads(body)
    assert response["response_action"] == "update"
    assert "Logged: Kari Nordmann – skipped" in json.dumps(response["view"], ensure_ascii=False)
    (log,) = await logs(bot, candidate)
    assert (log.outcome, log.note) == ("skipped", "She got another offer here.")


async def test_outcome_button_on_an_ephemeral_list_answers_beside_it(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    listing = await bot.say("list")
    button, block_id = find_button(listing["blocks"], f"log {candidate} declined")
    before = len(bot.fake.responses)
    payload = bot.slack.block_action(
        button,
        block_id,
        {"type": "message", "is_ephemeral": True, "message_ts": "1.2", "channel_id": "C1"},
        response_url=bot.fake.response_url("list"),
    )
    await bot.slack.interact(payload)
    answer = (await bot.fake.wait_responses(before + 1))[before]
    assert "Logged: Kari Nordmann – did not want feedback" in answer["text"]
    assert not bot.fake.called("chat.update")


async def test_app_home_lists_pending_candidates_oldest_first(bot: Bot, clock: Clock) -> None:
    first = await bot.add("Kari Nordmann")
    clock.advance(days=1)
    second = await bot.add("Ola Nordmann", "Nurse")
    clock.advance(days=1)
    done = await bot.add("Per Hansen", "Driver")
    await bot.say(f"log {done} called")

    view = await home(bot)
    assert view["type"] == "home"
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert "Waiting for a call (2)" in shown
    assert shown.index("Kari Nordmann") < shown.index("Ola Nordmann")
    assert "Per Hansen" not in shown
    for candidate in (first, second):
        find_button(view["blocks"], f"start {candidate}")
        # Not prepared yet: no "Called" offered; declining needs no script (in the menu).
        find_button(view["blocks"], f"log {candidate} declined")
        assert f"log {candidate} called" not in shown
    assert "coach_add" in shown


async def test_app_home_add_candidate_modal(bot: Bot) -> None:
    view = await home(bot)
    add = next(
        element
        for block in view["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == "coach_add"
    )
    payload = bot.slack.block_action(
        {"action_id": "coach_add", "value": add["value"]},
        "home_add",
        {"type": "view", "view_id": "VHOME"},
    )
    await bot.slack.interact(payload)
    modal = (await bot.fake.wait_for("views.open"))[-1].params["view"]
    assert modal["callback_id"] == "add_candidate"

    bad = {"name": {"answer": {"type": "plain_text_input", "value": "Kari | Nordmann"}}}
    bad["position"] = {"answer": {"type": "plain_text_input", "value": "Nurse"}}
    status, body = await bot.slack.interact(bot.slack.view_submission(modal, bad))
    assert status == 200
    assert json.loads(body)["response_action"] == "errors"
    assert "name" in json.loads(body)["errors"]

    values: dict[str, Any] = inputs({"name": "Ola Nordmann", "position": "Team lead"})
    values["internal"] = {
        "internal": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}
    }
    published = len(bot.fake.called("views.publish"))
    assert await bot.slack.interact(bot.slack.view_submission(modal, values)) == (200, "")
    refreshed = (await bot.fake.wait_for("views.publish", published + 1))[-1].params["view"]
    shown = json.dumps(refreshed["blocks"], ensure_ascii=False)
    assert "Added Ola Nordmann" in shown and "internal applicant" in shown
    async with bot.sessions() as session:
        candidate = await session.scalar(select(Candidate))
    assert candidate is not None
    assert (candidate.name, candidate.internal) == ("Ola Nordmann", True)


async def test_app_home_log_button_redraws_home(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    view = await home(bot)
    button, block_id = find_button(view["blocks"], f"log {candidate} declined")
    published = len(bot.fake.called("views.publish"))
    payload = bot.slack.block_action(
        button,
        block_id,
        {"type": "view", "view_id": "VHOME"},
    )
    await bot.slack.interact(payload)
    refreshed = (await bot.fake.wait_for("views.publish", published + 1))[-1].params["view"]
    shown = json.dumps(refreshed["blocks"], ensure_ascii=False)
    assert "Logged: Kari Nordmann – did not want feedback" in shown
    assert f"log {candidate} declined" not in shown
    assert [log.outcome for log in await logs(bot, candidate)] == ["declined"]


async def test_app_home_prepare_button_opens_the_checklist(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    view = await home(bot)
    button, block_id = find_button(view["blocks"], f"start {candidate}")
    payload = bot.slack.block_action(
        button,
        block_id,
        {"type": "view", "view_id": "VHOME"},
    )
    await bot.slack.interact(payload)
    update = (await bot.fake.wait_for("views.update"))[-1].params["view"]
    assert update["callback_id"] == "checklist"


async def test_messages_tab_does_not_publish_home(bot: Bot) -> None:
    await bot.say("help")
    await bot.slack.event({"type": "app_home_opened", "user": USER, "tab": "messages"})
    await settle()
    assert not bot.fake.called("views.publish")


async def test_a_correction_is_asked_with_a_button_and_logged_once(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    await bot.say(f"log {candidate} called")
    asked = await bot.say("logg kari takket nei")
    assert "Change it to did not want feedback?" in asked["text"]
    button, block_id = find_button(asked["blocks"], f"confirm log {candidate} declined")
    assert button["type"] == "button"
    before = len(bot.fake.responses)
    payload = bot.slack.block_action(
        button,
        block_id,
        {"type": "message", "is_ephemeral": True, "message_ts": "1.2", "channel_id": "C1"},
        response_url=bot.fake.response_url("confirm"),
    )
    await bot.slack.interact(payload)
    await bot.slack.interact(payload)  # Slack delivers the click again: still one correction
    answer = (await bot.fake.wait_responses(before + 1))[before]
    assert "now did not want feedback (was called)" in answer["text"]
    assert [log.outcome for log in await logs(bot, candidate)] == ["called", "declined"]


async def test_app_home_shows_the_last_note_and_one_row_per_candidate(bot: Bot) -> None:
    candidate = await bot.add("Bjørn Ås")
    await bot.say("log bjorn as no-answer Ba om skriftlig begrunnelse")
    view = await home(bot)
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert "Last note: Ba om skriftlig begrunnelse" in shown
    assert shown.count("Bjørn Ås") == 1 and f"({candidate})" not in shown
    rows = [b for b in view["blocks"] if b["type"] == "actions" and b["block_id"] != "home_add"]
    assert len(rows) == 1 and len(rows[0]["elements"]) == 2


async def test_a_form_value_the_grammar_refuses_is_a_polite_error_in_their_language(
    bot: Bot,
) -> None:
    """The add modal hands the engine a typed command: a name longer than the grammar takes
    is an inline error in the recruiter's language, and nothing is stored."""
    bot.fake.user(USER, locale="nb-NO")
    await bot.say("hjelp")  # their profile (Norwegian) is stored
    modal = {"type": "modal", "callback_id": "add_candidate"}
    values = inputs({"name": "Kari " * 60, "position": "Sykepleier"})
    status, body = await bot.slack.interact(bot.slack.view_submission(modal, values))
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert answer["errors"]["name"].startswith("Det ble for langt for meg.")
    async with bot.sessions() as session:
        assert await session.scalar(select(Candidate)) is None
