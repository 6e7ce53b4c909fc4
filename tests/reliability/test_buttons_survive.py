"""An outcome button pressed while the store fails keeps the buttons and says why."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from bot.coach import Coach
from conversation_guides import GuideBook
from tests.support.database import Clock
from tests.support.slack import POSTGRES_URL, Bot, running_bot, settle, slack_settings
from tests.support.slack_api import FakeSlack
from tests.support.slack_buttons import click, logs, script_message

DOWN = "I can't reach my database right now"


async def refuse_call_logs(bot: Bot) -> None:
    """A real failure of the store in the middle of the command (after the inbox row)."""
    async with bot.sessions.begin() as session:
        if POSTGRES_URL:
            await session.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'no space' USING ERRCODE = 'disk_full'; END $$ "
                    "LANGUAGE plpgsql"
                )
            )
            await session.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON call_logs "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
        else:
            await session.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON call_logs "
                    "BEGIN SELECT RAISE(ABORT, 'no space'); END"
                )
            )


async def allow_call_logs(bot: Bot) -> None:
    async with bot.sessions.begin() as session:
        await session.execute(
            text("DROP TRIGGER refuse" + (" ON call_logs" if POSTGRES_URL else ""))
        )


async def test_a_failed_outcome_keeps_the_buttons(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    message = await script_message(bot, candidate)
    await refuse_call_logs(bot)
    before = len(bot.fake.responses)
    payload = click(bot, message, f"log {candidate} called", action_ts="1700000001.000200")
    assert await bot.slack.interact(payload) == (200, "")
    answer = (await bot.fake.wait_responses(before + 1))[before]
    assert DOWN in answer["text"]
    await settle()
    # The message with the buttons was not touched: nothing is left that cannot be pressed.
    assert bot.fake.called("chat.update") == []
    assert await logs(bot, candidate) == []

    await allow_call_logs(bot)
    again = click(bot, message, f"log {candidate} called", action_ts="1700000002.000200")
    assert await bot.slack.interact(again) == (200, "")
    update = (await bot.fake.wait_for("chat.update"))[0].params
    assert "Logged: Kari Nordmann – called" in json.dumps(update["blocks"], ensure_ascii=False)
    assert [log.outcome for log in await logs(bot, candidate)] == ["called"]


async def test_a_button_pressed_while_the_store_is_gone_keeps_the_buttons(
    breakable: Any, guides: GuideBook, clock: Clock, fake_slack: FakeSlack
) -> None:
    holder, sessions = breakable
    settings = slack_settings(holder.url, fake_slack.url)
    coach = Coach(sessions, guides, settings, clock=clock)
    async with running_bot(coach, settings, fake_slack) as bot:
        candidate = await bot.add("Kari Nordmann")
        message = await script_message(bot, candidate)
        await holder.down()
        before = len(bot.fake.responses)
        payload = click(bot, message, f"log {candidate} called", action_ts="1700000001.000200")
        assert await bot.slack.interact(payload) == (200, "")
        answer = (await bot.fake.wait_responses(before + 1))[before]
        assert DOWN in answer["text"]
        await settle()
        assert bot.fake.called("chat.update") == []
        await holder.up()
        again = click(bot, message, f"log {candidate} called", action_ts="1700000002.000200")
        assert await bot.slack.interact(again) == (200, "")
        await bot.fake.wait_for("chat.update")
        assert [log.outcome for log in await logs(bot, candidate)] == ["called"]
