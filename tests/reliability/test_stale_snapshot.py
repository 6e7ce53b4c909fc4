"""Several server processes on one SQLite file: a transaction that has read, and whose write
another process's commit then made stale (SQLITE_BUSY_SNAPSHOT), is run again from the start
instead of telling the recruiter the database is down."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.coach import Coach
from bot.messages import Identity, Inbound, Status
from bot.settings import Settings
from conversation_guides import GuideBook
from storage.database import open_database
from storage.tables import Candidate, ProcessedEvent
from tests.support.engine import CONCRETE

WHO = Identity(platform="slack", workspace="T0STALE", user="U0STALE")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[tuple[Path, AsyncEngine, async_sessionmaker]]:
    path = tmp_path / "shared.sqlite3"
    engine, sessions = await open_database(f"sqlite+aiosqlite:///{path}")
    try:
        yield path, engine, sessions
    finally:
        await engine.dispose()


def another_process_writes_before(engine: AsyncEngine, path: Path, times: int) -> list[str]:
    """Before this engine's next `times` writes, another connection to the file (as another
    server process would) commits a write of its own: each of those transactions has read
    already, so SQLite refuses its write as stale."""
    interfered: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if len(interfered) < times and statement.startswith(("INSERT", "UPDATE")):
            interfered.append(statement.split()[0])
            with sqlite3.connect(path) as other:
                other.execute(
                    "INSERT INTO processed_events (key, created_at) VALUES (?, ?)",
                    (f"other-process-{len(interfered)}", "2026-12-08 06:00:00.000000"),
                )

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return interfered


async def count(sessions: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_command_made_stale_by_another_process_is_run_again(
    store: tuple[Path, AsyncEngine, async_sessionmaker], guides: GuideBook
) -> None:
    path, engine, sessions = store
    coach = Coach(sessions, guides, Settings(DATABASE_URL=f"sqlite+aiosqlite:///{path}"))
    await coach.handle(WHO, Inbound(text="help"))  # the recruiter's row exists
    interfered = another_process_writes_before(engine, path, times=2)
    [reply] = await coach.handle(
        WHO, Inbound(text="add Kari Nordmann | Nurse", idempotency_key="add-once")
    )
    assert len(interfered) == 2  # refused twice, done the third time
    assert reply.status is Status.DONE and reply.text.startswith("Added Kari Nordmann"), reply
    assert await count(sessions, Candidate) == 1
    # The delivery key was kept with the candidate, once, beside the other process's rows.
    assert await count(sessions, ProcessedEvent) == 3


async def test_a_checklist_made_stale_by_another_process_is_run_again(
    store: tuple[Path, AsyncEngine, async_sessionmaker], guides: GuideBook
) -> None:
    path, engine, sessions = store
    coach = Coach(sessions, guides, Settings(DATABASE_URL=f"sqlite+aiosqlite:///{path}"))
    [added] = await coach.handle(WHO, Inbound(text="add Kari Nordmann | Nurse"))
    assert added.candidate_id is not None
    interfered = another_process_writes_before(engine, path, times=1)
    reply = await coach.submit_checklist(WHO, added.candidate_id, CONCRETE, "view-once")
    assert interfered
    assert reply.status is Status.DONE and reply.cards, reply.text


async def test_a_command_meeting_another_process_mid_write_is_run_again(
    store: tuple[Path, AsyncEngine, async_sessionmaker], guides: GuideBook
) -> None:
    # The other process holds the write lock as our transaction, which has read, starts to
    # write: SQLite answers SQLITE_BUSY at once (no busy wait, which could deadlock), and
    # the other process commits a moment later.
    path, engine, sessions = store
    coach = Coach(sessions, guides, Settings(DATABASE_URL=f"sqlite+aiosqlite:///{path}"))
    await coach.handle(WHO, Inbound(text="help"))
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    held: list[threading.Timer] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not held and statement.startswith("INSERT"):
            other.execute("BEGIN IMMEDIATE")
            other.execute(
                "INSERT INTO processed_events (key, created_at) VALUES ('other', '2026-12-08')"
            )
            held.append(threading.Timer(0.05, other.execute, ["COMMIT"]))
            held[0].start()

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        [reply] = await coach.handle(WHO, Inbound(text="add Kari Nordmann | Nurse"))
    finally:
        for timer in held:
            timer.join()
        other.close()
    assert held
    assert reply.status is Status.DONE and reply.text.startswith("Added Kari Nordmann"), reply
    assert await count(sessions, Candidate) == 1
