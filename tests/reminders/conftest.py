"""Reminder fixtures: a fake Slack Web API and the Teams channel's local Bot Connector,
their real notifiers, recruiters with candidates."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest

from bot.channels.slack.notify import SlackNotifier
from bot.coach import Coach
from bot.messages import Identity, Inbound
from bot.notify import Notifier
from bot.settings import Settings
from conversation_guides import GuideBook
from tests.support.database import Clock
from tests.support.reminders import Hire
from tests.support.slack_api import BOT_TOKEN, FakeSlack
from tests.support.teams_fixtures import (
    bot_connector,
    identity_provider,
    quick_retries,
    start_bot,
)

# The Teams channel's own fixtures, not a second fake: the Bot Connector and the real server.
__all__ = ["bot_connector", "identity_provider", "quick_retries", "start_bot"]


@pytest.fixture
def make_notifier(slack: FakeSlack, guides: GuideBook) -> Callable[[], Notifier]:
    """The real Slack notifier, talking to the fake Slack."""
    settings = Settings(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack.url)
    return lambda: SlackNotifier.from_settings(settings, guides)


@pytest.fixture
async def notifiers(make_notifier: Callable[[], Notifier]) -> AsyncIterator[dict[str, Notifier]]:
    notifier = make_notifier()
    yield {"slack": notifier}
    close = getattr(notifier, "aclose", None)
    if close is not None:
        await close()


@pytest.fixture
def hire(coach: Coach, clock: Clock) -> Hire:
    """A Slack recruiter who rejected candidates at the given times (default: now)."""

    async def make(
        user: str,
        *candidates: tuple[str, str] | tuple[str, str, datetime],
        timezone: str = "Europe/Oslo",
        language: str = "en",
        workspace: str = "T1",
        joined: datetime | None = None,
    ) -> Identity:
        who = Identity(
            platform="slack", workspace=workspace, user=user, language=language, timezone=timezone
        )
        saved = clock.now
        clock.now = joined or datetime(2026, 1, 1, tzinfo=saved.tzinfo)
        await coach.handle(who, Inbound(text="help"))
        for candidate in candidates:
            clock.now = candidate[2] if len(candidate) == 3 else saved  # type: ignore[misc]
            replies = await coach.handle(who, Inbound(text=f"add {candidate[0]} | {candidate[1]}"))
            assert replies[0].cards, replies[0].text
        clock.now = saved
        return who

    return make
