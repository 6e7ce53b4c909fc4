"""The time zone a channel reports is kept only if it is a real one: a made-up or malformed
name must not replace a good zone, nor reach the reminder schedule."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.coach import Coach
from bot.messages import Identity, Inbound
from storage.tables import Recruiter

NOT_ZONES = ["Mars/Olympus", "Europe/Osloo", "../../etc/passwd", "/etc/localtime", "Europe/"]


async def _stored_zone(sessions: async_sessionmaker[AsyncSession]) -> str:
    async with sessions() as session:
        zones = list(await session.scalars(select(Recruiter.timezone)))
    assert len(zones) == 1
    return zones[0]


async def _remind(coach: Coach, who: Identity) -> str:
    (reply,) = await coach.handle(who, Inbound(text="remind fri 08:30"))
    return reply.text


@pytest.mark.parametrize("zone", NOT_ZONES)
async def test_a_bad_zone_keeps_the_good_one(
    coach: Coach,
    person: Callable[..., Identity],
    sessions: async_sessionmaker[AsyncSession],
    zone: str,
) -> None:
    assert "(Europe/Oslo)" in await _remind(coach, person(timezone="Europe/Oslo"))
    text = await _remind(coach, person(timezone=zone))
    assert "every Friday at 08:30 (Europe/Oslo)" in text
    assert await _stored_zone(sessions) == "Europe/Oslo"


@pytest.mark.parametrize("zone", NOT_ZONES)
async def test_a_first_bad_zone_leaves_the_default(
    coach: Coach,
    person: Callable[..., Identity],
    sessions: async_sessionmaker[AsyncSession],
    zone: str,
) -> None:
    assert "every Friday at 08:30 (UTC)" in await _remind(coach, person(timezone=zone))
    assert await _stored_zone(sessions) == "UTC"


async def test_a_real_new_zone_replaces_the_old_one(
    coach: Coach, person: Callable[..., Identity], sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _remind(coach, person(timezone="Europe/Oslo"))
    assert "(America/New_York)" in await _remind(coach, person(timezone="America/New_York"))
    assert await _stored_zone(sessions) == "America/New_York"
