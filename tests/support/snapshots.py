"""Every stored row, to compare the database before and after something that must not write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.tables import Base

Snapshot = dict[str, list[tuple[Any, ...]]]


async def snapshot(
    sessions: async_sessionmaker[AsyncSession], skip: tuple[str, ...] = ()
) -> Snapshot:
    """All rows of all tables, sorted, so two snapshots compare equal when nothing changed."""
    result: Snapshot = {}
    async with sessions() as session:
        for name, table in Base.metadata.tables.items():
            if name in skip:
                continue
            rows = (await session.execute(select(table))).all()
            result[name] = sorted((tuple(row) for row in rows), key=repr)
    return result
