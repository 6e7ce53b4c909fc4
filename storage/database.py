"""Async engine and sessionmaker; migrations applied at start. The caller owns the transaction."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolResetState

from storage.errors import note_driver_error

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///feedback_coach.sqlite3"
# PostgreSQL connections per server process (DATABASE_POOL_SIZE); SQLite always has one.
DEFAULT_POOL_SIZE = 10
MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same for every process migrating one database.
_MIGRATION_LOCK_ID = 7_310_455


def normalise_url(url: str) -> str:
    """Accept the plain URLs people paste (postgresql://, sqlite://) and pick the async driver."""
    parsed = make_url(url)
    drivers = {"postgresql": "postgresql+asyncpg", "postgres": "postgresql+asyncpg"}
    if parsed.drivername in drivers:
        parsed = parsed.set(drivername=drivers[parsed.drivername])
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's documented recipe (SQLite dialect, "Enabling Non-Legacy SQLite
    # Transactional Modes"): the driver emits no BEGIN of its own (it would skip the one a
    # SAVEPOINT needs, so RELEASE committed on its own); `_on_sqlite_begin` emits it instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted personal data must not linger in free pages of the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # SQLite's documentation: in WAL mode NORMAL cannot corrupt the file, and a commit stays
    # durable across a crash of the process; only a power cut or OS crash may take back the
    # last commits. FULL syncs the disk on every commit: 4 ms each here, on the one
    # connection every request queues for, twice per command (the inbox's insert and delete).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    # The recipe's plain (deferred) BEGIN. Within a process transactions already queue for
    # the one pooled connection (see `create_engine`). BEGIN IMMEDIATE was tried: a task
    # cancelled while it waited for the lock left the lock held for the rest of the process.
    # VACUUM and other statements run with AUTOCOMMIT get no BEGIN at all.
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    connection.exec_driver_sql("BEGIN")


def _on_sqlite_reset(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
    # The pool's default reset is a ROLLBACK on every return, even after a COMMIT: with
    # aiosqlite one more trip to the driver's thread per transaction. SQLAlchemy documents
    # `reset_on_return=None` with a `reset` event for a reset of one's own ("Reset On
    # Return"): roll back only when SQLite says a transaction is still open.
    if state.terminate_only or not state.asyncio_safe:
        return
    if record.driver_connection is not None and record.driver_connection.in_transaction:
        dbapi_connection.rollback()


def quiet_driver_loggers() -> None:
    """Keep SQL parameters (candidate names, notes) out of logs, even with the root at DEBUG."""
    for name, level in (("aiosqlite", logging.INFO), ("sqlalchemy.engine", logging.WARNING)):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(level)


def create_engine(
    url: str, *, postgres_pool_size: int = DEFAULT_POOL_SIZE, **kwargs: Any
) -> AsyncEngine:
    """The async engine; `postgres_pool_size` is PostgreSQL's connections per process (a
    SQLite file always has one, see below)."""
    url = normalise_url(url)
    quiet_driver_loggers()
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if database and database != ":memory:":
            # SQLite has one writer, and every transaction here takes its lock at BEGIN. One
            # connection per process makes requests queue in the pool, first come first
            # served, instead of in SQLite's busy handler, which sleeps in steps of up to
            # 100 ms and lets late-comers overtake: with 20 concurrent checklist writers that
            # alone pushed submissions past Slack's 3 s (benchmarks/checklist_submit.py).
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_reset_on_return", None)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
        if kwargs["pool_reset_on_return"] is None:
            event.listen(engine.sync_engine, "reset", _on_sqlite_reset)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        # A fixed set of connections and no overflow: past the pool's size a request waits
        # for a connection, first come first served. SQLAlchemy's default (5, and 10 more
        # opened and closed as bursts come and go) made a new PostgreSQL connection, a backend
        # process, some 15 times a second under 50 concurrent `list`s, and put those
        # connects in the slowest answers (benchmarks/slack_ack.py).
        kwargs.setdefault("pool_size", postgres_pool_size)
        kwargs.setdefault("max_overflow", 0)
        engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "handle_error", note_driver_error)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def bound_engine(sessions: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    """The engine a sessionmaker's sessions are bound to (AsyncSession.bind, public API), for
    code that holds only the sessionmaker and must work on the whole database."""
    async with sessions() as session:
        engine = session.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("the sessions are not bound to one engine")
    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Several servers starting at once on one database must not migrate it twice.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    command.upgrade(alembic_config(connection), "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; a new SQLite file or empty database just works."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def open_database(
    url: str, pool_size: int = DEFAULT_POOL_SIZE
) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    """The migrated database; `pool_size` is PostgreSQL's connections per process."""
    engine = create_engine(url, postgres_pool_size=pool_size)
    await migrate(engine)
    return engine, make_sessionmaker(engine)
