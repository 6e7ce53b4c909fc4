"""`serve`'s background work as bot/wiring.py sets it up: notifiers built from the settings,
shared by the loops, and the reminders actually sent through them."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.coach import Coach
from bot.reminders import plan
from bot.settings import Settings
from bot.wiring import add_background_work, build_notifiers
from tests.support.database import Clock
from tests.support.reminders import Hire
from tests.support.slack_api import BOT_TOKEN, FakeSlack


def test_a_notifier_for_each_configured_platform(coach: Coach, database_url: str) -> None:
    coach.settings = Settings(DATABASE_URL=database_url)
    assert sorted(build_notifiers(coach)) == ["teams"]
    coach.settings = Settings(DATABASE_URL=database_url, SLACK_BOT_TOKEN=BOT_TOKEN)
    assert sorted(build_notifiers(coach)) == ["slack", "teams"]


async def test_serve_sends_due_reminders_through_the_notifiers_it_built(
    coach: Coach, clock: Clock, hire: Hire, slack: FakeSlack, database_url: str
) -> None:
    await hire("U1", ("Kari Nordmann", "Nurse"))
    settings = Settings(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=slack.url,
        COACH_REMINDER_PACE_SECONDS="0",
    )
    coach.settings = settings
    app = web.Application()
    add_background_work(app, settings, coach)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        for _ in range(500):
            if slack.posts:
                break
            await asyncio.sleep(0.01)
    finally:
        await runner.cleanup()
    assert slack.recipients() == ["U1"]
    assert await plan(coach, clock.now) == []
