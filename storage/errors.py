"""The one definition of "the database cannot do this now", and what kind of trouble it is.

Every layer that answers a user or an operator catches `DATABASE_ERRORS` and asks `describe`
what happened: unreachable, busy (the pool had no free connection in time), read-only, or
full. Only the driver's error code is ever logged: an exception's text may quote SQL
parameters, i.e. candidate names and notes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import exc

# sqlalchemy.exc.TimeoutError (no free pooled connection in time) is not the builtin
# TimeoutError; OSError covers refused and reset connections and failed name lookups.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    exc.DBAPIError,
    exc.TimeoutError,
    exc.DisconnectionError,
    OSError,
)

log = logging.getLogger(__name__)

Kind = Literal["unavailable", "busy", "read_only", "full"]

# SQLite result codes (sqlite3's sqlite_errorname) and PostgreSQL SQLSTATEs by kind.
_SQLITE: dict[str, Kind] = {
    "SQLITE_READONLY": "read_only",
    "SQLITE_FULL": "full",
    "SQLITE_BUSY": "busy",
}
_POSTGRES: dict[str, Kind] = {
    "25006": "read_only",  # read_only_sql_transaction (a standby, or default_transaction_read_only)
    "53100": "full",  # disk_full
    "53300": "busy",  # too_many_connections
    "55P03": "busy",  # lock_not_available
    "57014": "busy",  # query_canceled (statement_timeout)
}


@dataclass(frozen=True)
class Problem:
    kind: Kind
    # The driver's own code (SQLITE_FULL, 53100, ...) or the exception type; never its text.
    code: str


def describe(error: BaseException) -> Problem:
    """What kind of trouble; the most telling error in the chain wins. (SQLite rolls the whole
    transaction back on SQLITE_FULL, so the ROLLBACK TO SAVEPOINT that follows fails with a
    plain SQLITE_ERROR; the SQLITE_FULL is its context.)"""
    first = _describe_one(error)
    seen: BaseException | None = error
    for _ in range(5):
        seen = seen.__cause__ or seen.__context__ if seen is not None else None
        if seen is None:
            break
        found = _describe_one(seen)
        if found.kind != "unavailable" and first.kind == "unavailable":
            return found
    return first


def _describe_one(error: BaseException) -> Problem:
    if isinstance(error, exc.TimeoutError):
        return Problem("busy", "pool_timeout")
    orig = getattr(error, "orig", None) or error
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        base = next((kind for prefix, kind in _SQLITE.items() if name.startswith(prefix)), None)
        return Problem(base or "unavailable", name)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(state, str):
        return Problem(_POSTGRES.get(state, "unavailable"), state)
    return Problem("unavailable", type(orig).__name__)


class ProblemLog:
    """The last database problem this process met, for /healthz: read-only and full stores are
    only seen when something tries to write."""

    def __init__(self, remember_for: float = 60.0) -> None:
        self.remember_for = remember_for
        self._last: tuple[float, Problem] | None = None

    def record(self, problem: Problem) -> None:
        self._last = (time.monotonic(), problem)

    def clear(self) -> None:
        self._last = None

    def recent(self, within: float | None = None) -> Problem | None:
        limit = self.remember_for if within is None else within
        if self._last is None or time.monotonic() - self._last[0] > limit:
            return None
        return self._last[1]

    def explain(self, error: BaseException) -> Problem:
        """`describe`, or the specific driver error met just before a generic one: SQLAlchemy
        reports the failed ROLLBACK TO SAVEPOINT that follows an SQLITE_FULL, not the FULL."""
        problem = describe(error)
        if problem.kind == "unavailable":
            recent = self.recent(within=1.0)
            if recent is not None:
                return recent
        return problem


def worth_running_again(error: BaseException) -> bool:
    """SQLite refused a transaction's write because another process wrote since it began
    reading (SQLITE_BUSY_SNAPSHOT), or holds the write lock as it tries to start writing
    (SQLITE_BUSY, which SQLite then returns at once rather than risk a deadlock; several
    servers on one file). Nothing of the transaction was kept: running it again from the
    start is the way SQLite's documentation gives."""
    return describe(error).code in ("SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY")


def note_driver_error(context: Any) -> None:
    """SQLAlchemy's handle_error hook: every driver error passes here first, so a read-only,
    full or busy store is recorded (and logged by its code) even when a later error hides it."""
    error = context.original_exception
    if error is None:
        return
    problem = describe(error)
    if problem.kind != "unavailable":
        PROBLEMS.record(problem)
        log.warning("database %s: %s", problem.kind, problem.code)


# One per process: every part of the server reports here, /healthz reads it.
PROBLEMS = ProblemLog()
