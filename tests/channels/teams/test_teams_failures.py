"""The connector failing while the bot answers: retried, or reported politely; nothing lost."""

from __future__ import annotations

import pytest
from msrest.universal_http.requests import ClientRetryPolicy
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams import connector as teams_connector
from storage.tables import Candidate
from tests.support.teams_api import FakeConnector, Teams

SORRY = (
    "Something went wrong on my side while answering you. Everything you entered is saved, "
    "so please try again in a minute."
)


async def _candidates(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Candidate)) or 0)


async def test_a_429_reply_is_sent_again_after_retry_after(
    teams: Teams, bot_connector: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def pause(seconds: float) -> None:  # records the pause instead of taking it
        waits.append(seconds)

    monkeypatch.setattr(teams_connector, "_sleep", pause)
    await teams.say("help")
    bot_connector.clear()
    bot_connector.attempts = 0
    bot_connector.fail(429, **{"Retry-After": "7"})
    assert await teams.say("add Kari Nordmann | Nurse") == 201
    assert bot_connector.attempts == 2
    assert waits == [7.0]
    (text,) = bot_connector.texts()
    assert text.startswith("Added Kari Nordmann")


async def test_a_timeout_is_retried(teams: Teams, bot_connector: FakeConnector) -> None:
    await teams.say("help")
    bot_connector.clear()
    bot_connector.fail(504, delay=2.5)
    assert await teams.say("list") == 201
    assert bot_connector.texts() == [
        "You have no candidates yet. Add one with: add <name> | <position>"
    ]


async def test_a_connector_that_stays_down_loses_nothing(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await teams.say("help")
    bot_connector.clear()
    bot_connector.attempts = 0
    bot_connector.fail(500, times=20)
    assert await teams.say("add Kari Nordmann | Nurse") == 201
    assert bot_connector.attempts == 4  # three tries for the answer, one for the apology
    assert await _candidates(sessions) == 1  # what the recruiter entered is stored

    bot_connector.failures.clear()
    await teams.say("list")
    assert "Your candidates (1)" in bot_connector.texts()[-1]
    assert bot_connector.cards(bot_connector.messages()[-1:])[0]["body"][0]["text"] == (
        "Kari Nordmann"
    )


async def test_an_unreasonable_retry_after_is_not_waited_for_but_reported(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await teams.say("help")
    bot_connector.clear()
    bot_connector.fail(429, **{"Retry-After": "3600"})
    assert await teams.say("add Kari Nordmann | Nurse") == 201
    assert bot_connector.texts() == [SORRY]
    assert await _candidates(sessions) == 1


def test_msrest_retries_the_same_status_codes_with_its_codes_kept_as_a_set() -> None:
    # The connector's codes are a set (cheap to build a client with); msrest's own list of
    # what not to retry, and therefore what it retries, is unchanged.
    assert isinstance(ClientRetryPolicy.safe_codes, frozenset)
    safe = [code for code in range(500) if code != 408] + [501, 505]
    retried = [code for code in range(999) if code not in safe]
    assert ClientRetryPolicy().policy.status_forcelist == retried
