"""Intake fixtures: the server over real HTTP on 127.0.0.1 with the local Slack Web API
(users.lookupByEmail, chat.postMessage); the harness itself is in tests/support/intake.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.coach import Coach
from bot.settings import Settings
from bot.wiring import build_web_app
from conversation_guides import GuideBook
from tests.support.database import Clock, engine_of
from tests.support.intake import ADMIN, Harness
from tests.support.slack_api import BOT_TOKEN, FakeSlack


@pytest.fixture
def intake_settings(database_url: str, slack: FakeSlack) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        COACH_ADMINS=ADMIN,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=slack.url,
        COACH_PUBLIC_URL="https://coach.example.com",
        COACH_REMINDER_PACE_SECONDS="0",
    )


@pytest.fixture
async def harness(
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    intake_settings: Settings,
    clock: Clock,
    slack: FakeSlack,
) -> AsyncIterator[Harness]:
    coach = Coach(sessions, guides, intake_settings, clock=clock)
    server = TestServer(build_web_app(intake_settings, coach, engine_of(coach)), host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield Harness(server, http, coach, slack, sessions, clock)
    await server.close()
