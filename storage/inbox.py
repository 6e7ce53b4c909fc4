"""Queries for the durable inbox. Each takes a session and never commits on its own.

A row is written already claimed by the process that acknowledged the request, so the
common case costs one INSERT and one DELETE. Rows whose claim went stale (the process died,
or stopped renewing its lease) are taken over by whichever process asks first.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import InboxItem


@dataclass(frozen=True)
class Item:
    id: int
    key: str
    kind: str
    payload: dict[str, Any]
    attempts: int


async def add(
    session: AsyncSession,
    key: str,
    kind: str,
    payload: dict[str, Any],
    worker: str,
    now: datetime,
) -> int | None:
    """The new row's id, claimed by `worker`; None when a row with this key is already there."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(InboxItem)
        .values(
            key=key,
            kind=kind,
            payload=payload,
            claimed_by=worker,
            claimed_at=now,
            attempts=1,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(InboxItem.id)
    )
    return (await session.execute(statement)).scalar()


async def take_over(
    session: AsyncSession,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    kinds: Collection[str],
) -> list[Item]:
    """Claim up to `limit` rows of `kinds` whose lease ran out, oldest first."""
    if limit <= 0 or not kinds:
        return []
    stale = now - lease
    candidates = (
        select(InboxItem.id)
        .where(InboxItem.claimed_at < stale, InboxItem.kind.in_(list(kinds)))
        .order_by(InboxItem.created_at, InboxItem.id)
        .limit(limit)
        # Two servers asking at once each get different rows (SQLite ignores this).
        .with_for_update(skip_locked=True)
    )
    ids = list((await session.scalars(candidates)).all())
    if not ids:
        return []
    statement = (
        update(InboxItem)
        # Checked again in the UPDATE: another process may have claimed it in between.
        .where(InboxItem.id.in_(ids), InboxItem.claimed_at < stale)
        .values(claimed_by=worker, claimed_at=now, attempts=InboxItem.attempts + 1)
        .returning(
            InboxItem.id, InboxItem.key, InboxItem.kind, InboxItem.payload, InboxItem.attempts
        )
    )
    rows: Sequence[Any] = (await session.execute(statement)).all()
    return sorted((Item(*row) for row in rows), key=lambda item: item.id)


async def renew(session: AsyncSession, worker: str, ids: Collection[int], now: datetime) -> None:
    """Keep the lease on rows this process is still working on."""
    if ids:
        await session.execute(
            update(InboxItem)
            .where(InboxItem.id.in_(list(ids)), InboxItem.claimed_by == worker)
            .values(claimed_at=now)
        )


async def finish(session: AsyncSession, ids: Collection[int]) -> None:
    """Done: the row, and the personal data in its payload, are gone."""
    if ids:
        await session.execute(delete(InboxItem).where(InboxItem.id.in_(list(ids))))


async def delete_older_than(session: AsyncSession, before: datetime) -> int:
    """Rows nobody finished (for the retention policy): their payloads may name candidates."""
    result = await session.execute(delete(InboxItem).where(InboxItem.created_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(InboxItem)) or 0)
