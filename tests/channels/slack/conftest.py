"""Slack fixtures: the local Web API, the bot served over real HTTP, a database to break.

The harness itself (signed requests, the served bot) is in tests/support/slack.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.coach import Coach
from storage.database import create_engine, make_sessionmaker, migrate
from tests.support.slack import (
    POSTGRES_URL,
    Bot,
    Breakable,
    running_bot,
    slack_settings,
)
from tests.support.slack_api import FakeSlack

# -- the bot, served -------------------------------------------------------------------------


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def bot(coach: Coach, database_url: str, fake_slack: FakeSlack) -> AsyncIterator[Bot]:
    settings = slack_settings(database_url, fake_slack.url, COACH_ADMINS="admin-user")
    coach.settings = settings
    async with running_bot(coach, settings, fake_slack) as running:
        yield running


# -- a database that can be taken away and brought back ---------------------------------------


@pytest.fixture
async def breakable(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Breakable, async_sessionmaker[AsyncSession]]]:
    if POSTGRES_URL:
        from sqlalchemy.engine import make_url

        holder = Breakable(database_url, None, tmp_path)  # type: ignore[arg-type]
        await holder.start_proxy()
        url = make_url(database_url).set(host="127.0.0.1", port=holder.proxy_port)
        url_text = url.render_as_string(hide_password=False)
    else:
        (tmp_path / "db").mkdir()
        url_text = f"sqlite+aiosqlite:///{tmp_path / 'db' / 'coach.sqlite3'}"
        holder = Breakable(url_text, None, tmp_path)  # type: ignore[arg-type]
    engine = create_engine(url_text)
    holder.engine = engine
    await migrate(engine)
    yield holder, make_sessionmaker(engine)
    if POSTGRES_URL and holder.proxy is not None:
        holder.proxy.close()
        for writer in holder.connections:
            writer.close()
    await engine.dispose()
