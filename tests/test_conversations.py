"""The conversation table (tests/support/conversations.py) through the engine and the terminal;
Slack and Teams play the same table in their own folders, over signed HTTP."""

from __future__ import annotations

from collections.abc import Callable

from bot.coach import Coach
from bot.messages import Identity
from tests.support.conversations import engine_driver, play, terminal_driver


async def test_the_conversation_through_the_engine(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    await play(engine_driver(coach, person(timezone="Europe/Oslo")))


async def test_the_conversation_through_the_terminal(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    await play(terminal_driver(coach, person(timezone="Europe/Oslo")))
