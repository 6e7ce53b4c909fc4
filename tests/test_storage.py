"""Migrations build the schema from empty, and it matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.database import migrate
from storage.tables import Base


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def test_migrations_match_the_models(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        connection = await session.connection()
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert set(Base.metadata.tables) <= tables
        assert await connection.run_sync(_differences) == []


async def test_migrating_twice_is_harmless(sessions: async_sessionmaker[AsyncSession]) -> None:
    engine = sessions.kw["bind"]
    await migrate(engine)
    async with sessions() as session:
        connection = await session.connection()
        assert await connection.run_sync(_differences) == []
