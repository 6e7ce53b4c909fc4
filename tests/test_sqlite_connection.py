"""How the server's SQLite connection is set up: what each setting keeps safe."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from sqlalchemy import text

from storage.database import create_engine, make_sessionmaker, migrate


async def test_commits_are_synced_at_checkpoints_not_every_commit(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
            # 1 is NORMAL: safe from corruption in WAL mode, durable across a process crash.
            assert await connection.scalar(text("PRAGMA synchronous")) == 1
            assert await connection.scalar(text("PRAGMA secure_delete")) == 1
    finally:
        await engine.dispose()


async def test_a_connection_returned_mid_transaction_is_rolled_back(tmp_path: Path) -> None:
    """The pool skips its ROLLBACK after a commit, but never leaves a transaction open."""
    engine = create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        await migrate(engine)
        async with engine.connect() as connection:
            # Behind SQLAlchemy's back, so only the pool's reset can end this transaction.
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.execute("BEGIN")
            await driver.execute(
                "INSERT INTO workspaces (platform, external_id, created_at) "
                "VALUES ('slack', 'TLEFT', '2026-01-01 00:00:00')"
            )
            assert driver.in_transaction
        # Back in the pool, with the INSERT neither committed nor rolled back by its user.
        assert not driver.in_transaction
        async with engine.begin() as connection:
            left = await connection.scalar(
                text("SELECT count(*) FROM workspaces WHERE external_id = 'TLEFT'")
            )
            assert left == 0
    finally:
        await engine.dispose()


async def test_a_committed_transaction_costs_no_rollback(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    rollbacks: list[object] = []
    try:
        await migrate(engine)
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        original = driver.rollback

        async def counted() -> None:
            rollbacks.append(True)
            await original()

        driver.rollback = counted  # type: ignore[method-assign]  # counting, not replacing
        async with engine.begin() as connection:
            await connection.execute(text("SELECT 1"))
        assert rollbacks == []
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            await connection.rollback()
        assert rollbacks == [True]
    finally:
        await engine.dispose()


async def test_a_transaction_cancelled_at_any_point_leaves_the_connection_usable(
    tmp_path: Path,
) -> None:
    """A request cancelled mid-transaction (a server stopping, a client gone) must not hand
    the next one a connection with a transaction still open ("cannot start a transaction
    within a transaction"): work queued for the driver's thread runs after the cancel."""
    engine = create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    sessions = make_sessionmaker(engine)

    async def work() -> None:
        async with sessions.begin() as session:
            await session.execute(text("SELECT 1"))
            await session.execute(text("SELECT 2"))

    try:
        for steps in range(16):  # cancelled after 0, 1, … turns of the event loop
            for _ in range(8):
                task = asyncio.create_task(work())
                for _ in range(steps):
                    await asyncio.sleep(0)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                async with sessions.begin() as session:
                    assert await session.scalar(text("SELECT 3")) == 3, steps
    finally:
        await engine.dispose()
