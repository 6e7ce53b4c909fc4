"""Reminders to Teams recruiters: the real TeamsNotifier against the local Bot Connector.

Recruiters are made by driving real activities through the real server, so the conversation
reference and the time zone the reminders use are the ones the Teams channel stored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams import BotFrameworkEndpoints, TeamsNotifier
from bot.channels.teams import connector as teams_connector
from bot.coach import Coach
from bot.notify import Notifier
from bot.reminders import LEASE, MAX_ATTEMPTS, Summary
from bot.settings import Settings
from storage.tables import Candidate, Recruiter
from tests.support.database import Clock
from tests.support.reminders import Hire, deliveries, run, unreachable, utc
from tests.support.slack_api import FakeSlack
from tests.support.teams_api import (
    CREATE,
    TENANT,
    FakeConnector,
    IdentityProvider,
    Running,
    Teams,
    flat_actions,
)

# Teams recruiters start using the bot the Monday before the test clock's (2026-11-23 09:00 UTC).
JOINED = utc(2026, 11, 16, 9, 0)

Join = Callable[..., Awaitable[Teams]]
APP_ID = "00000000-aaaa-bbbb-cccc-000000000001"


@pytest.fixture
async def running(start_bot: Callable[..., Awaitable[Running]]) -> Running:
    return await start_bot()


@pytest.fixture
def join(running: Running, bot_connector: FakeConnector, clock: Clock) -> Join:
    """A Teams recruiter who installs the bot and adds candidates, all over real HTTP."""

    async def make(
        user: str,
        *candidates: tuple[str, str],
        timezone: str | None = "Europe/Oslo",
        local_timezone: str | None = None,
        personal: bool = True,
    ) -> Teams:
        teams = Teams(running.teams.bot_url, bot_connector, user)
        teams.timezone, teams.local_timezone = timezone, local_timezone
        # Outside a personal chat no conversation reference is stored: it would show a
        # reminder's candidate names to the whole channel.
        where: dict[str, Any] = {}
        if not personal:
            where["conversation"] = {
                "id": f"19:channel-{user}@thread.tacv2",
                "conversationType": "channel",
                "tenantId": TENANT,
            }
        saved, clock.now = clock.now, JOINED
        try:
            if personal:
                assert await teams.post(teams.install()) == 201
            for name, position in candidates:
                assert await teams.post(teams.message(f"add {name} | {position}", **where)) == 201
        finally:
            clock.now = saved
        bot_connector.clear()
        bot_connector.attempts = 0
        return teams

    return make


@pytest.fixture
def teams_notifier(settings: Settings, coach: Coach) -> TeamsNotifier:
    return TeamsNotifier(settings, coach)


def sent_to(connector: FakeConnector) -> list[str]:
    """The conversations the bot wrote into, in order."""
    return [call.path.split("/")[3] for call in connector.messages()]


async def public_id(sessions: async_sessionmaker[AsyncSession], name: str) -> str:
    async with sessions() as session:
        found = await session.scalar(select(Candidate.public_id).where(Candidate.name == name))
        assert found is not None
        return found


async def test_one_proactive_message_with_the_card(
    coach: Coach,
    join: Join,
    bot_connector: FakeConnector,
    teams_notifier: TeamsNotifier,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    teams = await join("aad-rita", ("Kari Nordmann", "Nurse"))
    notifiers: dict[str, Notifier] = {"teams": teams_notifier}

    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    (call,) = bot_connector.messages()
    assert sent_to(bot_connector) == [teams.conversation]
    assert call.body["recipient"]["id"] == f"29:{teams.user}"
    assert call.body["text"].startswith("Weekly reminder")
    assert "Kari Nordmann" in call.body["text"]
    ref = await public_id(sessions, "Kari Nordmann")
    actions = [action for card in bot_connector.cards([call]) for action in flat_actions(card)]
    assert [action["data"]["command"] for action in actions] == [
        f"start {ref}",
        f"log {ref} called",
        f"log {ref} no-answer",
        "snooze tomorrow",
        "snooze week",
    ]
    assert await run(coach, notifiers) == Summary()
    assert len(bot_connector.messages()) == 1

    # The card's snooze button, clicked in Teams, reaches the engine like any card action.
    bot_connector.clear()
    snooze = actions[-1]
    assert await teams.post(teams.submit(snooze["data"], call.returned_id)) == 201
    (answer,) = bot_connector.texts()
    assert answer.startswith("Snoozed. I will remind you again on Monday 30.11. at 09:00")
    async with sessions() as session:
        assert await session.scalar(select(Recruiter.snoozed_until)) == utc(2026, 11, 30, 8, 0)


@pytest.mark.parametrize("reported", ["clientInfo", "localTimezone"])
async def test_the_slot_is_in_the_time_zone_the_teams_client_reports(
    coach: Coach,
    clock: Clock,
    join: Join,
    bot_connector: FakeConnector,
    teams_notifier: TeamsNotifier,
    sessions: async_sessionmaker[AsyncSession],
    reported: str,
) -> None:
    if reported == "clientInfo":
        teams = await join("aad-ny", ("Kari Nordmann", "Nurse"), timezone="America/New_York")
    else:
        teams = await join(
            "aad-ny", ("Kari Nordmann", "Nurse"), timezone=None, local_timezone="America/New_York"
        )
    async with sessions() as session:
        assert await session.scalar(select(Recruiter.timezone)) == "America/New_York"
    notifiers: dict[str, Notifier] = {"teams": teams_notifier}

    # Monday 08:59 in New York: Oslo's 09:00 (or UTC's) is long past, New York's is not.
    clock.now = utc(2026, 11, 23, 13, 59)
    assert await run(coach, notifiers) == Summary()
    assert bot_connector.messages() == []
    clock.now = utc(2026, 11, 23, 14, 0)
    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    assert sent_to(bot_connector) == [teams.conversation]


async def test_429_retry_after_is_honoured(
    coach: Coach,
    join: Join,
    bot_connector: FakeConnector,
    teams_notifier: TeamsNotifier,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []

    async def pause(seconds: float) -> None:  # records the connector's pause instead of taking it
        waits.append(seconds)

    monkeypatch.setattr(teams_connector, "_sleep", pause)
    teams = await join("aad-rita", ("Kari Nordmann", "Nurse"))
    bot_connector.fail(429, **{"Retry-After": "7"})
    assert await run(coach, {"teams": teams_notifier}) == Summary(due=1, sent=1)
    assert waits == [7.0]
    assert bot_connector.attempts == 2
    assert sent_to(bot_connector) == [teams.conversation]
    assert await deliveries(sessions) == {"aad-rita": ("sent", 1)}


async def test_403_marks_the_recruiter_unreachable_and_next_week_is_not_retried(
    coach: Coach,
    clock: Clock,
    join: Join,
    bot_connector: FakeConnector,
    teams_notifier: TeamsNotifier,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    teams = await join("aad-gone", ("Kari Nordmann", "Nurse"))
    notifiers: dict[str, Notifier] = {"teams": teams_notifier}
    bot_connector.fail(403)
    assert await run(coach, notifiers) == Summary(due=1, failed=1, gone=1)
    assert bot_connector.attempts == 1  # a 403 is an answer, not worth a second try
    assert await deliveries(sessions) == {"aad-gone": ("gone", 1)}
    assert await unreachable(sessions) == {"aad-gone": clock.now}

    clock.advance(days=7)
    assert await run(coach, notifiers) == Summary()
    assert bot_connector.attempts == 1

    # Writing to the bot again makes them reachable: the reminder comes the same week.
    assert await teams.say("list") == 201
    bot_connector.clear()
    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    assert sent_to(bot_connector) == [teams.conversation]


async def test_500_is_recorded_and_retried_per_the_policy(
    coach: Coach,
    clock: Clock,
    join: Join,
    bot_connector: FakeConnector,
    teams_notifier: TeamsNotifier,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    teams = await join("aad-rita", ("Kari Nordmann", "Nurse"))
    notifiers: dict[str, Notifier] = {"teams": teams_notifier}
    per_send = teams_connector.ATTEMPTS  # the connector call's own retries within one send
    bot_connector.fail(500, times=per_send * MAX_ATTEMPTS)

    assert await run(coach, notifiers) == Summary(due=1, failed=1)
    assert bot_connector.attempts == per_send
    assert await deliveries(sessions) == {"aad-rita": ("failed", 1)}
    assert await run(coach, notifiers) == Summary()  # not before the lease is up
    for attempt in range(2, MAX_ATTEMPTS + 1):
        clock.advance(seconds=LEASE.total_seconds() + 1)
        assert await run(coach, notifiers) == Summary(due=1, failed=1)
        assert await deliveries(sessions) == {"aad-rita": ("failed", attempt)}
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await run(coach, notifiers) == Summary()  # attempts used up for this week
    assert bot_connector.attempts == per_send * MAX_ATTEMPTS
    assert await unreachable(sessions) == {"aad-rita": None}

    clock.advance(days=7)  # a new week: tried again, and the connector is back
    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    assert sent_to(bot_connector) == [teams.conversation]


async def test_mixed_batch_one_platforms_failures_do_not_stop_the_other(
    coach: Coach,
    clock: Clock,
    hire: Hire,
    join: Join,
    slack: FakeSlack,
    notifiers: dict[str, Notifier],
    bot_connector: FakeConnector,
    teams_notifier: TeamsNotifier,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await hire("U1", ("Kari Nordmann", "Nurse"))
    await hire("U2", ("Ola Nordmann", "Cook"))
    gone = await join("aad-gone", ("Per Hansen", "Nurse"))
    fine = await join("aad-fine", ("Lise Berg", "Cook"))
    slack.broken.add("U1")
    bot_connector.fail(403, conversation=gone.conversation)

    summary = await run(coach, {**notifiers, "teams": teams_notifier})
    assert summary == Summary(due=4, sent=2, failed=2, gone=1)
    assert slack.recipients() == ["U2"]
    assert sent_to(bot_connector) == [fine.conversation]
    assert await deliveries(sessions) == {
        "U1": ("failed", 1),
        "U2": ("sent", 1),
        "aad-gone": ("gone", 1),
        "aad-fine": ("sent", 1),
    }
    assert await unreachable(sessions) == {
        "U1": None,
        "U2": None,
        "aad-gone": clock.now,
        "aad-fine": None,
    }


@pytest.mark.parametrize("refused", ["slack", "teams"])
async def test_the_app_refused_on_one_platform_stops_only_that_platform(
    coach: Coach,
    hire: Hire,
    join: Join,
    slack: FakeSlack,
    notifiers: dict[str, Notifier],
    bot_connector: FakeConnector,
    teams_notifier: TeamsNotifier,
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
    refused: str,
) -> None:
    for user in ("U1", "U2", "U3"):
        await hire(user, (f"Candidate {user}", "Nurse"))
    for user in ("aad-1", "aad-2", "aad-3"):
        await join(user, (f"Candidate {user}", "Nurse"))
    if refused == "slack":
        slack.app_error = "token_revoked"
    else:
        bot_connector.fail(401)  # the connector refuses the bot's own token
    both = {**notifiers, "teams": teams_notifier}

    with caplog.at_level(logging.INFO, logger="bot.reminders"):
        assert await run(coach, both) == Summary(due=6, sent=3, failed=3)
    if refused == "slack":
        assert len(slack.attempts) == 1 and slack.posts == []
        assert sorted(sent_to(bot_connector)) == [f"a:personal-aad-{n}" for n in (1, 2, 3)]
    else:
        assert bot_connector.attempts == 1 and bot_connector.messages() == []
        assert sorted(slack.recipients()) == ["U1", "U2", "U3"]
    stops = [r.getMessage() for r in caplog.records if "refused the app" in r.getMessage()]
    assert len(stops) == 1
    assert stops[0].startswith(f"reminders: {refused} refused the app")
    assert stops[0].endswith("2 not tried")
    # Nobody is marked gone, and the one claimed is given back uncounted.
    assert set((await unreachable(sessions)).values()) == {None}
    recorded = await deliveries(sessions)
    refused_rows = {
        u: row for u, row in recorded.items() if u.startswith("aad") == (refused == "teams")
    }
    assert list(refused_rows.values()) == [("failed", 0)]

    # Fixed: the very next run sends the refused platform's reminders, every one of them.
    slack.app_error = None
    assert await run(coach, both) == Summary(due=3, sent=3)
    assert len(slack.posts) == 3 and len(bot_connector.messages()) == 3


async def test_no_conversation_reference_is_skipped_at_planning_not_claimed(
    coach: Coach,
    clock: Clock,
    join: Join,
    bot_connector: FakeConnector,
    teams_notifier: TeamsNotifier,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # Without the app installed for themselves, Teams refuses the bot a 1:1 chat with them:
    # the answer in the channel says how to open it, and no reference exists to remind them.
    bot_connector.fail(403, conversation=CREATE)
    channel_only = await join("aad-channel", ("Kari Nordmann", "Nurse"), personal=False)
    fine = await join("aad-fine", ("Ola Nordmann", "Cook"))
    async with sessions() as session:
        rows = await session.execute(
            select(Recruiter.external_id, Recruiter.conversation_reference)
        )
        references = {user: reference for user, reference in rows}
    assert references["aad-channel"] is None and references["aad-fine"] is not None
    notifiers: dict[str, Notifier] = {"teams": teams_notifier}

    assert await run(coach, notifiers) == Summary(due=2, sent=1, skipped=1)
    assert await deliveries(sessions) == {"aad-fine": ("sent", 1)}
    clock.advance(days=7)
    assert await run(coach, notifiers) == Summary(due=2, sent=1, skipped=1)
    assert await deliveries(sessions) == {"aad-fine": ("sent", 1)}  # both weeks: no claim
    assert sent_to(bot_connector) == [fine.conversation, fine.conversation]

    # Once they write to the bot in a personal chat, they can be reached.
    assert await channel_only.say("list") == 201
    bot_connector.clear()
    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    assert sent_to(bot_connector) == [channel_only.conversation]


async def test_bot_credentials_refused_stop_teams_for_the_run_and_mark_nobody(
    coach: Coach,
    clock: Clock,
    join: Join,
    bot_connector: FakeConnector,
    identity_provider: IdentityProvider,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    for user in ("aad-1", "aad-2"):
        await join(user, (f"Candidate {user}", "Nurse"))
    # The bot with real credentials, fetching its token from the local identity provider.
    settings = Settings(
        DATABASE_URL=database_url, MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="old-secret"
    )
    endpoints = BotFrameworkEndpoints(
        openid_metadata_url=identity_provider.metadata_url,
        token_issuer=identity_provider.ISSUER,
        login_url=identity_provider.login_url,
        validate_authority=False,
    )
    notifiers: dict[str, Notifier] = {"teams": TeamsNotifier(settings, coach, endpoints=endpoints)}
    identity_provider.refuse_tokens = True  # the secret has expired

    with caplog.at_level(logging.INFO, logger="bot.reminders"):
        assert await run(coach, notifiers) == Summary(due=2, failed=2)
    assert len(identity_provider.token_requests) == 1  # not retried: no retry fixes a secret
    assert bot_connector.attempts == 0
    assert set((await unreachable(sessions)).values()) == {None}
    assert list((await deliveries(sessions)).values()) == [("failed", 0)]
    stops = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert stops == [
        "reminders: teams refused the app (bot credentials refused); "
        "no more sends there this run, 1 not tried"
    ]

    identity_provider.refuse_tokens = False  # a new secret
    clock.advance(minutes=1)
    assert await run(coach, notifiers) == Summary(due=2, sent=2)
    (token,) = identity_provider.access_tokens
    assert [call.authorization for call in bot_connector.messages()] == [f"Bearer {token}"] * 2
