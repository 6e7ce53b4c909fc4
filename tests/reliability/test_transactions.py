"""Savepoints nest inside a real transaction on both stores: a rollback takes everything back.

On SQLite this needs SQLAlchemy's documented recipe (no driver BEGIN, our own BEGIN on
transaction begin); without it RELEASE SAVEPOINT commits on its own and a delivery key can
outlive the work it stands for.
"""

from __future__ import annotations

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
