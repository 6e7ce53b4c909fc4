"""Reminder helpers: recruiters with candidates (the `hire` fixture's type), one unpaced run,
and what the database recorded about deliveries and unreachable recruiters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.coach import Coach
from bot.messages import Identity
from bot.notify import Notifier
from bot.reminders import Summary, run_batch
from storage.tables import Recruiter, ReminderDelivery

Hire = Callable[..., Awaitable[Identity]]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


async def run(coach: Coach, notifiers: Mapping[str, Notifier], **options: object) -> Summary:
    """One reminders run, unpaced."""
    options.setdefault("pace", 0)
    return await run_batch(coach, notifiers, **options)  # type: ignore[arg-type]


async def deliveries(sessions: async_sessionmaker[AsyncSession]) -> dict[str, tuple[str, int]]:
    """User -> (status, attempts) of the deliveries recorded."""
    async with sessions() as session:
        rows = await session.execute(
            select(Recruiter.external_id, ReminderDelivery.status, ReminderDelivery.attempts).join(
                Recruiter, Recruiter.id == ReminderDelivery.recruiter_id
            )
        )
        return {user: (status, attempts) for user, status, attempts in rows}


async def unreachable(sessions: async_sessionmaker[AsyncSession]) -> dict[str, datetime | None]:
    """User -> when the platform said they are gone (None: reachable)."""
    async with sessions() as session:
        rows = await session.execute(select(Recruiter.external_id, Recruiter.unreachable_at))
        return {user: at for user, at in rows}
