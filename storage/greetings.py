"""The welcome message, sent once: an insert that only the first of many attempts makes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Greeting


async def claim_greeting(
    session: AsyncSession, platform: str, workspace: str, audience: str, now: datetime
) -> bool:
    """True for the one caller that may greet this audience; False for every later one.

    INSERT .. ON CONFLICT DO NOTHING .. RETURNING (both supported databases speak it): a
    concurrent second insert waits for the first to commit and then inserts nothing, so two
    activities on two processes cannot both see "not greeted yet".
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Greeting)
        .values(platform=platform, workspace=workspace, audience=audience, greeted_at=now)
        .on_conflict_do_nothing(index_elements=["platform", "workspace", "audience"])
        .returning(Greeting.audience)
    )
    return (await session.execute(statement)).first() is not None
