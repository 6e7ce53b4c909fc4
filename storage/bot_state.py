"""botbuilder Storage items in the bot_state table, with etag optimistic concurrency."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.tables import BotState

# "*" (or no etag at all) means: write whatever is stored now.
ANY_ETAG = "*"


class StaleStateError(Exception):
    """The item changed since it was read: another request or instance wrote it first."""


@dataclass(frozen=True)
class StoredState:
    data: dict[str, Any]
    etag: str


def new_etag() -> str:
    return uuid.uuid4().hex


async def read_states(session: AsyncSession, keys: Iterable[str]) -> dict[str, StoredState]:
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    rows = await session.scalars(select(BotState).where(BotState.key.in_(wanted)))
    return {row.key: StoredState(dict(row.data or {}), row.etag) for row in rows}


async def write_state(
    session: AsyncSession,
    key: str,
    data: dict[str, Any],
    expected_etag: str | None,
    now: datetime,
) -> str:
    """Store one item and return its new etag; StaleStateError if expected_etag is outdated."""
    etag = new_etag()
    values = {"data": data, "etag": etag, "updated_at": now}
    conditional = expected_etag not in (None, "", ANY_ETAG)
    query = update(BotState).where(BotState.key == key)
    if conditional:
        query = query.where(BotState.etag == expected_etag)
    result = await session.execute(query.values(**values))
    if result.rowcount:  # type: ignore[attr-defined]
        return etag
    if conditional:
        exists = await session.scalar(select(BotState.key).where(BotState.key == key))
        if exists is not None:
            raise StaleStateError(key)
    try:
        async with session.begin_nested():
            session.add(BotState(key=key, **values))
    except IntegrityError as error:
        # Someone inserted the same key between our update and insert.
        if conditional:
            raise StaleStateError(key) from error
        await session.execute(update(BotState).where(BotState.key == key).values(**values))
    return etag


async def delete_states(session: AsyncSession, keys: Iterable[str]) -> None:
    wanted = list(keys)
    if wanted:
        await session.execute(delete(BotState).where(BotState.key.in_(wanted)))


class BotStateStore:
    """The small store object a channel gets at wiring time: each call is one transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sessions = sessions
        self.clock = clock

    async def read(self, keys: Iterable[str]) -> dict[str, StoredState]:
        async with self.sessions() as session:
            return await read_states(session, keys)

    async def write(self, items: dict[str, tuple[dict[str, Any], str | None]]) -> dict[str, str]:
        """Write every item or none: key -> (data, expected etag); returns key -> new etag."""
        async with self.sessions.begin() as session:
            now = self.clock()
            return {
                key: await write_state(session, key, data, etag, now)
                for key, (data, etag) in items.items()
            }

    async def delete(self, keys: Iterable[str]) -> None:
        async with self.sessions.begin() as session:
            await delete_states(session, keys)
