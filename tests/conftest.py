"""Shared fixtures: a real database per test, a movable clock, a network guard, the local Slack
and the Slack bot served over HTTP. Helpers live in tests/support/, never in a conftest."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import concreteness
from bot.coach import Coach
from bot.messages import Identity
from bot.settings import Settings
from conversation_guides import GuideBook
from storage.database import create_engine as create_async_engine_for
from storage.database import make_sessionmaker, migrate
from tests.support.database import POSTGRES_URL, Clock
from tests.support.slack import Bot, Breakable, running_bot, slack_settings
from tests.support.slack_api import FakeSlack, start_fake_slack

# -- hypothesis: the same examples on every CI run -------------------------------------------

# CI (.ci/run sets HYPOTHESIS_PROFILE=ci) derives each test's examples from the test itself,
# so a red run is red again on a re-run and on a laptop; no example database carries over
# from earlier runs, and a failure prints the blob that replays it. Locally the examples
# stay random, so they keep finding new cases.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
hypothesis_settings.load_profile(HYPOTHESIS_PROFILE)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """After the results (so also under -q, where pytest hides its header): how to replay."""
    order = config.getoption("randomly_seed", None)
    if config.pluginmanager.hasplugin("randomly") and order is not None:
        terminalreporter.write_line(f"test order: shuffled, replay with --randomly-seed={order}")
    else:
        terminalreporter.write_line("test order: as written (pytest-randomly is off)")
    examples = (
        "derandomized, each test's seed fixed by the test itself"
        if hypothesis_settings.default.derandomize
        else "random seeds (HYPOTHESIS_PROFILE=ci fixes them)"
    )
    terminalreporter.write_line(f"hypothesis profile {HYPOTHESIS_PROFILE!r}: {examples}")


# -- no traffic leaves this machine ---------------------------------------------------------

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _local(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # a Unix socket path
        return True
    host = address[0]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _local(address):
        raise ConnectionRefusedError(f"tests may not connect to {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _local(address):
        raise ConnectionRefusedError(f"tests may not connect to {address!r}")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    if name not in (None, "localhost") and not _local((name, 0)):
        raise socket.gaierror(f"tests may not resolve {name!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo


# -- the database -----------------------------------------------------------------------------


@pytest.fixture
async def database_url(tmp_path: Path) -> str:
    """A fresh, empty database: PostgreSQL when TEST_POSTGRES_URL is set, else a SQLite file."""
    if not POSTGRES_URL:
        return f"sqlite+aiosqlite:///{tmp_path / 'coach.sqlite3'}"
    engine = create_async_engine_for(POSTGRES_URL)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    return POSTGRES_URL


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The migrated database's engine; `sessions` and the web app's /healthz use it."""
    engine = create_async_engine_for(database_url)
    await migrate(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


# -- the engine -------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def guides() -> GuideBook:
    # As the server does at start-up: the first svada check must not load the dictionaries
    # inside a request, where Slack's 3 s would run out.
    concreteness.warm_up()
    return GuideBook()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(DATABASE_URL=database_url, COACH_ADMINS="admin-user")


@pytest.fixture
def coach(
    sessions: async_sessionmaker[AsyncSession], guides: GuideBook, settings: Settings, clock: Clock
) -> Coach:
    return Coach(sessions, guides, settings, clock=clock)


@pytest.fixture
def person() -> Callable[..., Identity]:
    def make(user: str = "u1", workspace: str = "w1", language: str = "en", **kw: Any) -> Identity:
        return Identity(platform="console", workspace=workspace, user=user, language=language, **kw)

    return make


# -- Slack ------------------------------------------------------------------------------------


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """The local Slack Web API (tests/support/slack_api.py), taking only the tests' bot token."""
    fake = await start_fake_slack()
    yield fake
    await fake.stop()


# -- the Slack bot served over real HTTP (the Slack and reliability tests) ------------------


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """The local Slack Web API taking any token (the served bot's own tests)."""
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
    engine = create_async_engine_for(url_text)
    holder.engine = engine
    await migrate(engine)
    yield holder, make_sessionmaker(engine)
    if POSTGRES_URL and holder.proxy is not None:
        holder.proxy.close()
        for writer in holder.connections:
            writer.close()
    await engine.dispose()
