"""Teams fixtures every folder may use (channels, reminders): the local Bot Connector, the
local identity provider, the real server app. A conftest imports them to offer them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams import connector as teams_connector
from bot.coach import Coach
from bot.settings import Settings
from bot.wiring import build_web_app
from conversation_guides import GuideBook
from tests.support.database import engine_of
from tests.support.teams_api import FakeConnector, IdentityProvider, Running, Teams


@pytest.fixture
async def bot_connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    fake.server = TestServer(fake.app(), host="127.0.0.1")
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # The retry logic is the real one; only its pauses are shortened.
    monkeypatch.setattr(teams_connector, "BACKOFF", 0.01)
    monkeypatch.setattr(teams_connector, "CONNECTOR_TIMEOUT", 1)


@pytest.fixture
async def start_bot(
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    settings: Settings,
    clock: Any,
    bot_connector: FakeConnector,
) -> AsyncIterator[Callable[..., Awaitable[Running]]]:
    """Start the real server app (bot.wiring.build_web_app) on 127.0.0.1; again: 'restart'."""
    servers: list[TestServer] = []

    async def start(user: str = "aad-user-1") -> Running:
        coach = Coach(sessions, guides, settings, clock=clock)
        server = TestServer(build_web_app(settings, coach, engine_of(coach)), host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        bot_url = str(server.make_url("")).rstrip("/")
        return Running(server, Teams(bot_url, bot_connector, user), coach)

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
def identity_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[IdentityProvider]:
    idp = IdentityProvider(tmp_path)
    idp.start()
    # botbuilder and MSAL use requests: trust our self-signed certificate, and only it.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(idp.cert_path))
    yield idp
    idp.stop()
