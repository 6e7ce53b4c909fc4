"""With an app id, only requests carrying a valid Bot Framework token get in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams import BotFrameworkEndpoints, mount_teams
from bot.coach import Coach
from bot.settings import Settings
from storage.tables import Candidate
from tests.support.teams_api import FakeConnector, IdentityProvider, Teams

APP_ID = "00000000-aaaa-bbbb-cccc-000000000001"
APP_PASSWORD = "app-password-for-tests"


@dataclass
class SecuredBot:
    teams: Teams
    idp: IdentityProvider

    def token(self, service_url: str, **overrides: object) -> str:
        return self.idp.mint(audience=APP_ID, service_url=service_url, **overrides)  # type: ignore[arg-type]


@pytest.fixture
async def secured(
    identity_provider: IdentityProvider,
    bot_connector: FakeConnector,
    coach: Coach,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> AsyncIterator[SecuredBot]:
    settings = Settings(
        DATABASE_URL=database_url,
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD=APP_PASSWORD,
    )
    endpoints = BotFrameworkEndpoints(
        openid_metadata_url=identity_provider.metadata_url,
        token_issuer=identity_provider.ISSUER,
        login_url=identity_provider.login_url,
        validate_authority=False,
    )
    app = web.Application()
    mount_teams(app, settings, coach, sessions, endpoints=endpoints)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield SecuredBot(Teams(str(server.make_url("")).rstrip("/"), bot_connector), identity_provider)
    await server.close()


async def _candidates(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Candidate)) or 0)


async def test_a_valid_token_is_accepted_and_replies_carry_the_bots_own_token(
    secured: SecuredBot, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    activity = secured.teams.message("add Kari Nordmann | Nurse")
    assert await secured.teams.post(activity, secured.token(activity["serviceUrl"])) == 201
    assert await _candidates(sessions) == 1
    assert bot_connector.texts()[-1].startswith("Added Kari Nordmann")
    # The bot fetched its token from the (local) login endpoint with its own credentials.
    (request,) = secured.idp.token_requests
    assert request["client_id"] == APP_ID
    assert request["client_secret"] == APP_PASSWORD
    assert request["grant_type"] == "client_credentials"
    (issued,) = secured.idp.access_tokens
    assert {call.authorization for call in bot_connector.calls} == {f"Bearer {issued}"}


@pytest.mark.parametrize(
    "problem",
    ["missing", "wrong audience", "expired", "untrusted key", "unknown key id", "wrong issuer"],
)
async def test_a_bad_token_gets_401_and_changes_nothing(
    secured: SecuredBot,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    problem: str,
) -> None:
    activity = secured.teams.message("add Kari Nordmann | Nurse")
    service_url = activity["serviceUrl"]
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tokens = {
        "missing": None,
        "wrong audience": secured.idp.mint(audience="someone-else", service_url=service_url),
        "expired": secured.token(service_url, lifetime=600, issued_ago=3600),
        "untrusted key": secured.token(service_url, key=stranger),
        "unknown key id": secured.token(service_url, key=stranger, kid="stranger-key"),
        "wrong issuer": secured.token(service_url, issuer="https://evil.example"),
    }
    assert await secured.teams.post(activity, tokens[problem]) == 401
    assert await _candidates(sessions) == 0
    assert bot_connector.calls == []
    assert secured.idp.token_requests == []


async def test_a_token_for_another_service_url_is_refused(
    secured: SecuredBot, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    activity = secured.teams.message("add Kari Nordmann | Nurse")
    token = secured.token("https://smba.trafficmanager.net/emea/")
    assert await secured.teams.post(activity, token) == 401
    assert await _candidates(sessions) == 0


TENANT = "11111111-2222-3333-4444-555555555555"


async def test_a_single_tenant_bot_gets_its_token_from_its_own_tenant(
    identity_provider: IdentityProvider,
    bot_connector: FakeConnector,
    coach: Coach,
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
) -> None:
    """The set-up Microsoft supports for new bots since July 2025: a single-tenant bot
    (MICROSOFT_APP_TYPE=SingleTenant + MICROSOFT_APP_TENANT_ID) on a multi-tenant Entra app.
    Activities from Teams are checked as before; the bot's own token comes from its tenant."""
    settings = Settings(
        DATABASE_URL=database_url,
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD=APP_PASSWORD,
        MICROSOFT_APP_TYPE="SingleTenant",
        MICROSOFT_APP_TENANT_ID=TENANT,
    )
    endpoints = BotFrameworkEndpoints(
        openid_metadata_url=identity_provider.metadata_url,
        token_issuer=identity_provider.ISSUER,
        login_url=identity_provider.login_url,
        validate_authority=False,
    )
    app = web.Application()
    mount_teams(app, settings, coach, sessions, endpoints=endpoints)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        teams = Teams(str(server.make_url("")).rstrip("/"), bot_connector)
        activity = teams.message("add Kari Nordmann | Nurse")
        token = identity_provider.mint(audience=APP_ID, service_url=activity["serviceUrl"])
        assert await teams.post(activity, token) == 201
        # An unsigned activity is still refused.
        assert await teams.post(teams.message("list"), None) == 401
    finally:
        await server.close()
    assert await _candidates(sessions) == 1
    assert identity_provider.token_tenants == [TENANT]
    (request,) = identity_provider.token_requests
    assert (request["client_id"], request["grant_type"]) == (APP_ID, "client_credentials")
    (issued,) = identity_provider.access_tokens
    assert {call.authorization for call in bot_connector.calls} == {f"Bearer {issued}"}


async def test_the_multi_tenant_default_still_asks_the_shared_botframework_tenant(
    secured: SecuredBot, identity_provider: IdentityProvider
) -> None:
    activity = secured.teams.message("list")
    assert await secured.teams.post(activity, secured.token(activity["serviceUrl"])) == 201
    assert identity_provider.token_tenants == ["botframework.com"]


def test_single_tenant_without_a_tenant_id_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="MICROSOFT_APP_TENANT_ID"):
        Settings(MICROSOFT_APP_TYPE="SingleTenant", MICROSOFT_APP_ID=APP_ID)
