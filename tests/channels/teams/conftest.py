"""Fixtures: a local Bot Connector, a local identity provider, the real server app, and a
victim's candidate for the access and fuzz tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.support.teams_access import victim
from tests.support.teams_api import Running, Teams
from tests.support.teams_fixtures import bot_connector, identity_provider, quick_retries, start_bot

__all__ = ["bot_connector", "identity_provider", "quick_retries", "start_bot", "victim"]


@pytest.fixture
async def running(start_bot: Callable[..., Awaitable[Running]]) -> Running:
    return await start_bot()


@pytest.fixture
def teams(running: Running) -> Teams:
    return running.teams
