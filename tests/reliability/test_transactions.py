"""Savepoints nest inside a real transaction on both stores: a rollback takes everything back.

On SQLite this needs SQLAlchemy's documented recipe (no driver BEGIN, our own BEGIN on
transaction begin); without it RELEASE SAVEPOINT commits on its own and a delivery key can
outlive the work it stands for.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import queries
from storage.tables import Candidate, ProcessedEvent, Workspace

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def _count(sessions: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_rollback_after_a_savepoint_leaves_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin() as transaction:
        # claim_event and the get-or-creates each release a savepoint of their own.
        assert await queries.claim_event(session, "slack:command:T1:trigger", NOW)
        workspace = await queries.get_or_create_workspace(session, "slack", "T1", NOW)
        recruiter = await queries.get_or_create_recruiter(session, workspace, "U1", NOW)
        position = await queries.get_or_create_position(session, workspace.id, "Chef", NOW)
        await queries.add_candidate(session, recruiter, position, "Kari Nordmann", False, NOW)
        await transaction.rollback()
    assert await _count(sessions, ProcessedEvent) == 0
    assert await _count(sessions, Workspace) == 0
    assert await _count(sessions, Candidate) == 0


async def test_a_request_cancelled_mid_transaction_leaves_the_store_writable(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A server stopping (or a timeout) cancels work in the middle of its transaction; the
    next request must still be able to write."""

    async def busy() -> None:
        while True:
            async with sessions.begin() as session:
                await session.scalar(select(func.count()).select_from(Candidate))
                await session.scalar(select(func.count()).select_from(ProcessedEvent))

    for delay in (0.001, 0.003, 0.01, 0.03):
        task = asyncio.create_task(busy())
        await asyncio.sleep(delay)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        async with sessions.begin() as session:
            # Without a lock left behind this is immediate; SQLite would give up after 10 s.
            assert await asyncio.wait_for(
                queries.claim_event(session, f"after {delay}", NOW), timeout=5
            )
