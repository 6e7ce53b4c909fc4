"""Buttons on the bot's Slack messages and the App Home, clicked as Slack sends them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.tables import CallLog, Candidate
from tests.support.slack import USER, Bot, find_button
from tests.support.slack_checklist import CONCRETE, open_checklist, submit


async def script_message(bot: Bot, candidate: str) -> dict[str, Any]:
    """Prepare a call through the modal; the DM'd script as Slack would hold it."""
    view = await open_checklist(bot, candidate)
    result = await submit(bot, view, CONCRETE)
    assert result == (200, ""), result
    call = (await bot.fake.wait_for("chat.postMessage"))[-1]
    return {
        "ts": "1700000000.000100",
        "channel": f"D{USER}",
        "text": call.params["text"],
        "blocks": call.params["blocks"],
    }


def click(bot: Bot, message: dict[str, Any], command: str, **kw: Any) -> dict[str, Any]:
    button, block_id = find_button(message["blocks"], command)
    container = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": message["channel"],
        "is_ephemeral": False,
    }
    return bot.slack.block_action(
        button,
        block_id,
        container,
        message=message,
        response_url=bot.fake.response_url("button"),
        **kw,
    )


async def home(bot: Bot) -> dict[str, Any]:
    published = len(bot.fake.called("views.publish"))
    assert await bot.slack.event({"type": "app_home_opened", "user": USER, "tab": "home"}) == (
        200,
        "",
    )
    call = (await bot.fake.wait_for("views.publish", published + 1))[-1]
    assert call.params["user_id"] == USER
    return call.params["view"]


async def logs(bot: Bot, candidate: str) -> list[CallLog]:
    async with bot.sessions() as session:
        row = await session.scalar(select(Candidate).where(Candidate.public_id == candidate))
        assert row is not None
        return list(
            (await session.scalars(select(CallLog).where(CallLog.candidate_id == row.id))).all()
        )
