"""How many database connections a server process keeps, and that bursts reuse them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from bot.wiring import build_coach
from conversation_guides import GuideBook
from storage.database import DEFAULT_POOL_SIZE, bound_engine, open_database
from tests.support.database import POSTGRES_URL


async def burst(sessions: async_sessionmaker[AsyncSession], size: int) -> None:
    """`size` transactions at once, each holding its connection for a moment."""

    async def hold() -> None:
        async with sessions.begin() as session:
            await session.execute(text("SELECT 1"))
            await asyncio.sleep(0.02)

    await asyncio.gather(*(hold() for _ in range(size)))


async def test_a_burst_beyond_the_pool_waits_its_turn_instead_of_opening_connections(
    database_url: str,
) -> None:
    engine, sessions = await open_database(database_url, pool_size=3)
    opened: list[Any] = []
    event.listen(engine.sync_engine, "connect", lambda *args: opened.append(args))
    try:
        await burst(sessions, 12)
        first = len(opened)
        # PostgreSQL: at most the pool's three; SQLite: its one connection, opened already.
        assert first <= (3 if POSTGRES_URL else 0)
        # The next burst finds every connection it needs in the pool: none opened or closed.
        await burst(sessions, 12)
        assert len(opened) == first
    finally:
        await engine.dispose()


async def test_the_server_keeps_as_many_connections_as_configured(database_url: str) -> None:
    settings = Settings(DATABASE_URL=database_url, DATABASE_POOL_SIZE=4)
    coach, engine = await build_coach(settings, GuideBook())
    try:
        assert await bound_engine(coach.sessions) is engine
        pool: Any = engine.pool
        assert pool.size() == (4 if POSTGRES_URL else 1)
    finally:
        await engine.dispose()


def test_the_pool_size_must_be_a_sensible_number() -> None:
    assert Settings().database_pool_size == DEFAULT_POOL_SIZE
    for wrong in ("0", "-3", "many", "5000"):
        with pytest.raises(ValidationError):
            Settings(DATABASE_POOL_SIZE=wrong)
