"""A Teams recruiter is matched to the ATS by the e-mail/UPN captured when they first write to
the coach (the bot framework's member lookup), and hears about new candidates proactively."""

from __future__ import annotations

import re

import aiohttp

from bot import ats_notices
from bot.channels.teams.notify import TeamsNotifier
from bot.messages import Identity, Inbound
from bot.settings import Settings
from tests.support.intake import body_of, greenhouse_headers, rejected
from tests.support.teams_api import TENANT, FakeConnector, Running


async def test_teams_recruiter_matched_by_upn_and_told_proactively(
    running: Running, bot_connector: FakeConnector, settings: Settings
) -> None:
    bot_connector.members["29:aad-user-1"] = {
        "name": "Rita Recruiter",
        "aadObjectId": "aad-user-1",
        "email": None,
        "userPrincipalName": "Rita.Recruiter@Example.com",
    }
    assert await running.teams.say("help") in (200, 201)
    assert await running.teams.say("list") in (200, 201)
    # Asked once, not on every message.
    assert bot_connector.member_lookups == ["29:aad-user-1"]

    admin = Identity(platform="teams", workspace=TENANT, user="admin-user", language="en")
    [reply] = await running.coach.handle(admin, Inbound(text="integration greenhouse"))
    url = re.search(r"https?://\S+/webhooks/greenhouse/(\S+)", reply.text)
    secret = re.search(r"Signing secret: (\S+)", reply.text)
    assert url and secret, reply.text
    body = body_of(rejected(recruiter="rita.recruiter@example.com"))
    headers = greenhouse_headers(secret.group(1), body)
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            running.server.make_url(f"/webhooks/greenhouse/{url.group(1)}"),
            data=body,
            headers=headers,
        ) as response,
    ):
        assert response.status == 200
        assert (await response.json())["result"] == "created"
    rita = Identity(platform="teams", workspace=TENANT, user="aad-user-1", language="en")
    [listing] = await running.coach.handle(rita, Inbound(text="list"))
    assert "Hector Porter" in listing.text

    bot_connector.clear()
    running.coach.clock.advance(minutes=2)  # type: ignore[attr-defined]
    sent = await ats_notices.send_notices(
        running.coach, {"teams": TeamsNotifier(settings, running.coach)}
    )
    assert sent == 1
    [message] = bot_connector.messages()
    assert "a:personal-aad-user-1" in message.path
    assert "1 candidate for Designer was rejected in Greenhouse." in (
        message.body.get("text") or ""
    )


async def test_a_failed_member_lookup_does_not_disturb_the_conversation(
    running: Running, bot_connector: FakeConnector
) -> None:
    # No such member known to the connector: 404. The coach answers as always.
    assert await running.teams.say("help") in (200, 201)
    assert bot_connector.member_lookups == ["29:aad-user-1"]
    assert any("I help you" in text for text in bot_connector.texts())
