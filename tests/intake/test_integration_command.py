"""`integration`, from chat: the URL and a fresh secret privately, once; rotation; status."""

from __future__ import annotations

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.coach import Coach
from bot.settings import Settings
from bot.wiring import build_web_app
from conversation_guides import GuideBook
from tests.support.database import Clock, engine_of
from tests.support.intake import LINE, RECRUITER, TEAM, Harness, Hook, rejected
from tests.support.slack_api import FakeSlack


async def test_admins_get_a_url_and_secret_once_and_can_rotate(harness: Harness) -> None:
    harness.slack.emails[LINE] = RECRUITER
    recruiter = harness.admin().model_copy(update={"user": RECRUITER})
    refused = await harness.say(recruiter, "integration greenhouse")
    assert "Only an admin" in refused and "webhooks" not in refused
    first = await harness.connect("greenhouse")
    assert first.url.startswith("https://coach.example.com/webhooks/greenhouse/")
    assert len(first.secret) == 64
    again = await harness.say(harness.admin(), "integration greenhouse")
    assert first.secret not in again and "rotate" in again
    assert (await harness.greenhouse(first, rejected(application=1))).status == 200
    second = await harness.connect("greenhouse")
    assert second.path != first.path and second.secret != first.secret
    # The old URL and secret stop working at once.
    assert (await harness.greenhouse(first, rejected(application=2))).status == 404
    old_secret = type(second)(second.vendor, second.url, first.secret, second.path)
    assert (await harness.greenhouse(old_secret, rejected(application=2))).status == 401
    assert (await harness.greenhouse(second, rejected(application=2))).status == 200
    status = await harness.say(harness.admin(), "integration")
    assert "Greenhouse: last delivery 2026-11-23 09:00 UTC, 1 refused deliveries" in status
    assert second.secret not in status
    assert ("ats_setup", None) in await harness.audit()
    assert ("ats_rotate", None) in await harness.audit()


async def test_norwegian_words_and_unknown_vendor(harness: Harness) -> None:
    norsk = harness.admin("nb")
    text = await harness.say(norsk, "integrasjon ashby")
    assert "Webhook-adresse: https://coach.example.com/webhooks/ashby/" in text
    assert "Signeringsnøkkel:" in text
    assert "Prøv: integrasjon greenhouse" in await harness.say(norsk, "integrasjon lever")
    assert "Rekrutteringssystemer koblet til" in await harness.say(norsk, "integrasjon")


async def test_a_self_hosted_install_preconfigures_one_workspace_from_the_environment(
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    intake_settings: Settings,
    clock: Clock,
    slack: FakeSlack,
) -> None:
    token, secret = "t" * 24, "s" * 40
    settings = intake_settings.model_copy(
        update={
            "coach_ats_workspace": f"slack:{TEAM}",
            "greenhouse_webhook_token": token,
            "greenhouse_webhook_secret": secret,
        }
    )
    slack.emails[LINE] = RECRUITER
    coach = Coach(sessions, guides, settings, clock=clock)
    server = TestServer(build_web_app(settings, coach, engine_of(coach)), host="127.0.0.1")
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(server, http, coach, slack, sessions, clock)
            hook = Hook("greenhouse", "", secret, f"/webhooks/greenhouse/{token}")
            answer = await harness.greenhouse(hook, rejected())
            assert (answer.status, answer.result) == (200, "created")
            wrong = Hook("greenhouse", "", "x" * 40, hook.path)
            assert (await harness.greenhouse(wrong, rejected(application=2))).status == 401
    finally:
        await server.close()
