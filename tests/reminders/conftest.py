"""Reminder fixtures: a fake Slack Web API and the Teams channel's local Bot Connector,
their real notifiers, recruiters with candidates."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.slack.notify import SlackNotifier
from bot.coach import Coach
from bot.messages import Identity, Inbound
from bot.notify import Notifier
from bot.reminders import Summary, run_batch
from bot.settings import Settings
from conversation_guides import GuideBook
from storage.tables import Recruiter, ReminderDelivery
from tests.conftest import Clock
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


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


async def run(coach: Coach, notifiers: Mapping[str, Notifier], **options: object) -> Summary:
    """One reminders run, unpaced."""
    options.setdefault("pace", 0)
    return await run_batch(coach, notifiers, **options)  # type: ignore[arg-type]


async def deliveries(sessions: async_sessionmaker[AsyncSession]) -> dict[str, tuple[str, int]]:
    """User -> (status, attempts) of the deliveries recorded."""
    async with sessions() as session:
        rows = await session.execute(
            select(Recruiter.external_id, ReminderDelivery.status, ReminderDelivery.attempts).join(
                Recruiter, Recruiter.id == ReminderDelivery.recruiter_id
            )
        )
        return {user: (status, attempts) for user, status, attempts in rows}


async def unreachable(sessions: async_sessionmaker[AsyncSession]) -> dict[str, datetime | None]:
    """User -> when the platform said they are gone (None: reachable)."""
    async with sessions() as session:
        rows = await session.execute(select(Recruiter.external_id, Recruiter.unreachable_at))
        return {user: at for user, at in rows}
