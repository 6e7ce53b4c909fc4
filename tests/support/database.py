"""The test database and clock every test shares: which database runs (SQLite, or PostgreSQL
when TEST_POSTGRES_URL is set), the engine under a coach, and a clock moved by hand."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.coach import Coach

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")


def engine_of(coach: Coach) -> AsyncEngine:
    """The engine under a coach a test built from a sessionmaker alone (AsyncSession.bind)."""
    bind = coach.sessions().bind
    assert isinstance(bind, AsyncEngine)
    return bind


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
