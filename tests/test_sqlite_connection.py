"""How the server's SQLite connection is set up: what each setting keeps safe."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from storage.database import create_engine, migrate


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


async def test_begin_goes_straight_to_the_driver_and_the_usual_way_if_that_fails(
    tmp_path: Path,
) -> None:
    """One trip to aiosqlite's thread per BEGIN, not SQLAlchemy's three; a BEGIN the driver
    refuses is sent again through SQLAlchemy, so its errors stay the ones the code handles."""
    engine = create_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await migrate(engine)
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        original = driver.execute
        direct: list[str] = []
        refuse = [False]

        def counted(sql: str, *args: Any) -> Any:
            direct.append(sql)
            if refuse[0]:
                raise sqlite3.OperationalError("refused once")
            return original(sql, *args)

        driver.execute = counted  # counting, not replacing
        seen.clear()
        async with engine.begin() as connection:
            await connection.execute(text("SELECT 1"))
        assert direct == ["BEGIN"] and seen == ["SELECT 1"]

        refuse[0] = True
        direct.clear()
        seen.clear()
        async with engine.connect() as connection:
            await connection.begin()
            await connection.execute(
                text(
                    "INSERT INTO workspaces (platform, external_id, created_at) "
                    "VALUES ('slack', 'TBACK', '2026-01-01 00:00:00')"
                )
            )
            assert driver.in_transaction
            await connection.rollback()
        assert direct == ["BEGIN"] and seen[0] == "BEGIN"
        async with engine.connect() as connection:
            left = await connection.scalar(
                text("SELECT count(*) FROM workspaces WHERE external_id = 'TBACK'")
            )
        # The BEGIN that went the usual way made a transaction: the rollback undid the insert.
        assert left == 0
    finally:
        await engine.dispose()
