"""Every database error class, the pool timeout included, is one definition, answered politely."""

from __future__ import annotations

import pytest

from bot.coach import Coach
from bot.inbox import UNAVAILABLE, Inbox
from bot.messages import Identity, Inbound
from bot.settings import Settings
from conversation_guides import GuideBook
from storage.database import create_engine, make_sessionmaker, migrate


async def test_a_pool_timeout_is_answered_politely(
    database_url: str, guides: GuideBook, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    coach = Coach(sessions, guides, Settings(DATABASE_URL=database_url))
    who = Identity(platform="console", workspace="w1", user="u1", language="nb")
    try:
        # Someone holds the only connection for longer than the pool will wait.
        async with engine.connect() as held:
            await held.exec_driver_sql("SELECT 1")
            replies = await coach.handle(who, Inbound(text="add Kari Nordmann | Kokk"))
            ticket = await Inbox(sessions).accept("slack.command", "k1", {"text": "list"})
        assert [r.text for r in replies] == [coach.t("nb", "database_down")]
        assert ticket is UNAVAILABLE
        assert "database busy: pool_timeout" in caplog.text
        assert "Kari" not in caplog.text
        # Once the connection is free, the same command goes through.
        replies = await coach.handle(who, Inbound(text="add Kari Nordmann | Kokk"))
        assert "Kari Nordmann" in replies[0].text
    finally:
        await engine.dispose()
