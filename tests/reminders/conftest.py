"""Reminder fixtures: a fake Slack Web API, its notifier, recruiters with candidates."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import pytest

from bot.channels.slack.notify import SlackNotifier
from bot.coach import Coach
from bot.messages import Identity, Inbound
from bot.notify import Notifier
from bot.settings import Settings
from conversation_guides import GuideBook
from tests.conftest import Clock
from tests.reminders.fake_slack import TOKEN, FakeSlack, start_fake_slack


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake, runner = await start_fake_slack()
    yield fake
    await runner.cleanup()


@pytest.fixture
def make_notifier(slack: FakeSlack, guides: GuideBook) -> Callable[[], Notifier]:
    """The real Slack notifier, talking to the fake Slack."""
    settings = Settings(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=slack.url)
    return lambda: SlackNotifier.from_settings(settings, guides)


@pytest.fixture
async def notifiers(make_notifier: Callable[[], Notifier]) -> AsyncIterator[dict[str, Notifier]]:
    notifier = make_notifier()
    yield {"slack": notifier}
    close = getattr(notifier, "aclose", None)
    if close is not None:
        await close()


Hire = Callable[..., Awaitable[Identity]]


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
