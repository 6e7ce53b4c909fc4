"""Is the database there, and can it take writes? A cheap check with a short timeout.

Reachability is one `SELECT 1` (with no BEGIN, so it never waits for SQLite's write lock).
A read-only store is seen directly: PostgreSQL says whether it is a standby or read-only,
a SQLite file or its folder can be read-only. A full store is only certain when a write
fails: SQLite's free disk space is looked at, and any write this process saw fail with
SQLITE_FULL / 53100 (or read-only) in the last minute is reported too.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.errors import DATABASE_ERRORS, PROBLEMS, describe

Status = Literal["ok", "unavailable", "busy", "read_only", "full"]
# Below this much free space a SQLite store cannot be trusted to take the next write.
MIN_FREE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Health:
    status: Status
    # The driver's error code or what was checked ("timeout", "disk_free"); never data.
    code: str | None = None


async def check(engine: AsyncEngine, limit: float = 2.0) -> Health:
    try:
        async with asyncio.timeout(limit):
            found = await _probe(engine)
    except TimeoutError:
        return Health("unavailable", "timeout")
    except DATABASE_ERRORS as error:
        problem = describe(error)
        return Health(problem.kind, problem.code)
    if found.status != "ok":
        return found
    recent = PROBLEMS.recent()
    if recent is not None and recent.kind in ("read_only", "full"):
        return Health(recent.kind, recent.code)
    return found


async def _probe(engine: AsyncEngine) -> Health:
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "postgresql":
            standby, read_only = (
                await connection.execute(
                    text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
                )
            ).one()
            if standby or read_only == "on":
                return Health("read_only", "standby" if standby else "transaction_read_only")
            return Health("ok")
        await connection.execute(text("SELECT 1"))
        if (await connection.execute(text("PRAGMA query_only"))).scalar():
            return Health("read_only", "query_only")
    return _sqlite_file(engine)


def _sqlite_file(engine: AsyncEngine) -> Health:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:":
        return Health("ok")
    path = Path(database.removeprefix("file:").split("?")[0]).resolve()
    # SQLite writes beside the file too (the -wal and -shm files).
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return Health("read_only", "file_not_writable")
    if shutil.disk_usage(path.parent).free < MIN_FREE_BYTES:
        return Health("full", "disk_free")
    return Health("ok")
