"""The SQL statements a piece of work sends: a cost that can be asserted without a clock."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


@contextlib.contextmanager
def counting(sessions: async_sessionmaker[AsyncSession]) -> Iterator[list[str]]:
    """Collect every statement sent to the database of `sessions` while the block runs."""
    engine = sessions.kw["bind"].sync_engine
    statements: list[str] = []

    def record(*args: Any) -> None:
        # (connection, cursor, statement, parameters, context, executemany). The BEGIN that
        # SQLite gets from our begin hook is transaction control, not a query (PostgreSQL's
        # comes from the driver and is never seen here): it is not counted.
        if not args[2].startswith("BEGIN"):
            statements.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
