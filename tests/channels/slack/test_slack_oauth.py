"""Slack installed through OAuth in many workspaces, against the local Slack in OAuth mode.

Two workspaces and an Enterprise Grid org install through GET /slack/install and the
redirect; each one's commands are answered with its own token; reminders reach all with
refreshed tokens; uninstall in either event order forgets the tokens at once and the data
after the grace period; a reinstall within the grace keeps everything; and no token is ever
readable in the database or the logs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import retention
from bot.channels.slack.installations import Installations
from bot.coach import Coach
from bot.notify import close_notifiers
from bot.reminders import run_batch
from bot.settings import Settings
from bot.wiring import build_notifiers, build_slack_installations, build_web_app
from storage.database import create_engine, make_sessionmaker
from storage.encryption import Cipher, InvalidToken
from storage.tables import AuditEvent, Base, Candidate, SlackInstallation, Workspace
from tests.support.database import Clock, engine_of
from tests.support.slack import (
    POSTGRES_URL,
    SIGNING_SECRET,
    answered_in_ack,
    serving,
    signed_headers,
)
from tests.support.slack_api import APP_ID, CLIENT_ID, CLIENT_SECRET, Call, FakeSlack, Grant

KEY = Fernet.generate_key().decode()
COOKIE = "slack-app-oauth-state"


def oauth_settings(database_url: str, api_url: str, **extra: Any) -> Settings:
    values = {
        "DATABASE_URL": database_url,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "COACH_ENCRYPTION_KEY": KEY,
    }
    return Settings(**(values | extra))


async def wait_until(check: Callable[[], Any], limit: float = 20) -> None:
    """Poll until `check()` (sync or async) is true: listeners run on after the ack."""
    deadline = time.monotonic() + limit
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


@dataclass
class Server:
    base: str
    coach: Coach
    settings: Settings
    installations: Installations
    fake: FakeSlack
    http: aiohttp.ClientSession
    counter: Any = None

    async def start_install(self) -> tuple[str, str]:
        """GET /slack/install: the state Slack will get back, and the browser's cookie."""
        async with self.http.get(f"{self.base}/slack/install", allow_redirects=False) as r:
            assert r.status == 302, await r.text()
            location = r.headers["Location"]
            cookie = r.cookies[COOKIE].value
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
            "https://slack.com/oauth/v2/authorize"
        )
        query = parse_qs(parts.query)
        assert query["client_id"] == [CLIENT_ID]
        assert "commands" in query["scope"][0].split(",")
        return query["state"][0], cookie

    async def redirect(
        self, code: str, state: str, cookie: str | None, lang: str = "en"
    ) -> tuple[int, str]:
        headers = {"Accept-Language": lang}
        if cookie is not None:
            headers["Cookie"] = f"{COOKIE}={cookie}"
        url = f"{self.base}/slack/oauth_redirect?" + urlencode({"code": code, "state": state})
        async with self.http.get(url, headers=headers, allow_redirects=False) as r:
            return r.status, await r.text()

    async def install(self, grant: Grant) -> None:
        state, cookie = await self.start_install()
        status, page = await self.redirect(self.fake.authorize(grant), state, cookie)
        assert status == 200, page
        assert self.coach.t("en", "oauth_success_title") in page

    async def post(self, body: str, content_type: str) -> tuple[int, str]:
        headers = {"Content-Type": content_type, **signed_headers(body)}
        async with self.http.post(f"{self.base}/slack/events", data=body, headers=headers) as r:
            return r.status, await r.text()

    async def command(
        self, words: str, team: str, user: str, enterprise: str | None = None
    ) -> dict[str, Any]:
        """A slash command from a workspace; its answer, in the acknowledgement (a command that
        only reads) or posted to its response_url."""
        key = f"{team}-{user}-{next(self.counter)}"
        fields = {
            "token": "unused",
            "team_id": team,
            "team_domain": "acme",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": user,
            "user_name": "kari",
            "command": "/feedback-call",
            "text": words,
            "api_app_id": APP_ID,
            "response_url": self.fake.response_url(key),
            "trigger_id": f"trigger-{key}",
        }
        if enterprise:
            # A workspace of an org that installed the app org-wide.
            fields |= {
                "enterprise_id": enterprise,
                "enterprise_name": "Org",
                "is_enterprise_install": "true",
            }
        status, body = await self.post(urlencode(fields), "application/x-www-form-urlencoded")
        # Bolt answers a workspace it does not know at response_url, whatever the command.
        if answered_in_ack(words) and body:
            assert status == 200, (status, body)
            answer: dict[str, Any] = json.loads(body)
            return answer
        assert (status, body) == (200, "")
        await wait_until(lambda: self.fake.answer_at(key) is not None)
        answer = self.fake.answer_at(key)
        assert answer is not None
        return answer

    async def event(
        self,
        kind: str,
        team: str | None,
        enterprise: str | None = None,
        org_wide: bool = False,
        **extra: Any,
    ) -> int:
        body = {
            "token": "unused",
            "team_id": team or enterprise,
            "enterprise_id": enterprise,
            "api_app_id": APP_ID,
            "type": "event_callback",
            "event_id": f"Ev{next(self.counter)}",
            "event_time": int(time.time()),
            "event": {"type": kind, "event_ts": f"{time.time():.6f}", **extra},
            "authorizations": [
                {
                    "enterprise_id": enterprise,
                    "team_id": None if org_wide else team,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": org_wide,
                }
            ],
            "is_ext_shared_channel": False,
        }
        if org_wide:
            body["is_enterprise_install"] = True
        status, _ = await self.post(json.dumps(body), "application/json")
        return status


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """The shared local Slack, for many workspaces installed through OAuth."""
    fake = FakeSlack(oauth=True)
    await fake.start()
    yield fake
    await fake.stop()


def made(calls: list[Call]) -> list[tuple[str, str | None]]:
    """Each Web API call as (method, key of the installation whose token it carried)."""
    return [(call.method, call.grant) for call in calls]


@pytest.fixture
async def served(
    coach: Coach, database_url: str, slack: FakeSlack
) -> AsyncIterator[Callable[..., Any]]:
    """Start the server in OAuth mode with the given extra settings."""
    stack: list[Any] = []

    async def start(**extra: Any) -> Server:
        settings = oauth_settings(database_url, slack.url, **extra)
        coach.settings = settings
        installations = build_slack_installations(settings, coach)
        context = serving(build_web_app(settings, coach, engine_of(coach), installations))
        base = await context.__aenter__()
        http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        stack.append((context, http))
        return Server(base, coach, settings, installations, slack, http, counter=itertools.count(1))

    yield start
    for context, http in reversed(stack):
        await http.close()
        await context.__aexit__(None, None, None)


TEAM_A, TEAM_B, ORG, ORG_TEAM = "T0AAAAAA", "T0BBBBBB", "E0ORG000", "T0ORGWS1"


def grants() -> tuple[Grant, Grant, Grant]:
    return (
        Grant(team=TEAM_A),
        Grant(team=TEAM_B),
        Grant(team=None, enterprise=ORG, org_wide=True),
    )


async def rows(sessions: async_sessionmaker[AsyncSession]) -> list[SlackInstallation]:
    async with sessions() as session:
        return list(
            (await session.scalars(select(SlackInstallation).order_by(SlackInstallation.id))).all()
        )


async def install_three(server: Server) -> tuple[Grant, Grant, Grant]:
    a, b, org = grants()
    for grant in (a, b, org):
        await server.install(grant)
    return a, b, org


async def expire_soon(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Every stored token is a minute from expiry: the next use must refresh it."""
    async with sessions.begin() as session:
        await session.execute(
            update(SlackInstallation).values(bot_token_expires_at=int(time.time()) + 60)
        )


# -- install ------------------------------------------------------------------------------------


async def test_two_workspaces_and_an_org_install_and_each_is_answered_with_its_own_token(
    served: Callable[..., Any], slack: FakeSlack, coach: Coach
) -> None:
    server = await served()
    a, b, org = await install_three(server)

    stored = await rows(coach.sessions)
    assert [(r.enterprise_id, r.team_id, r.is_enterprise_install) for r in stored] == [
        ("", TEAM_A, False),
        ("", TEAM_B, False),
        (ORG, "", True),
    ]
    cipher = Cipher(KEY)
    for row, grant in zip(stored, (a, b, org), strict=True):
        # Stored encrypted, and what decrypts is the token Slack issued.
        assert row.bot_token is not None and grant.access_token.encode() not in row.bot_token
        assert cipher.decrypt(row.bot_token) == grant.access_token
        assert cipher.decrypt(row.bot_refresh_token) == grant.refresh_token
        assert row.details["user_id"] == "UINSTALLER"

    for grant, team, enterprise in ((a, TEAM_A, None), (b, TEAM_B, None), (org, ORG_TEAM, ORG)):
        before = len(slack.calls)
        answer = await server.command(f"add Kari {team} | Nurse", team, "U0KARI", enterprise)
        assert f"Kari {team}" in answer["text"]
        listed = await server.command("list", team, "U0KARI", enterprise)
        assert f"Kari {team}" in listed["text"]
        calls = made(slack.calls[before:])
        assert ("auth.test", grant.key) in calls
        # Every Web API call for this workspace's request carried this workspace's token.
        assert {key for _, key in calls} == {grant.key}

    # Each workspace sees only its own candidates.
    listed = await server.command("list", TEAM_A, "U0KARI")
    assert f"Kari {TEAM_B}" not in listed["text"] and f"Kari {ORG_TEAM}" not in listed["text"]


async def test_a_bad_missing_or_replayed_state_is_refused_and_installs_nothing(
    served: Callable[..., Any], slack: FakeSlack, coach: Coach
) -> None:
    server = await served()
    state, cookie = await server.start_install()

    # A state nobody issued, even with a matching cookie.
    status, page = await server.redirect(slack.authorize(Grant(team=TEAM_A)), "forged", "forged")
    assert status == 401 and coach.t("en", "oauth_failure_title") in page
    # The right state without the browser's cookie (a link sent to somebody else).
    status, _ = await server.redirect(slack.authorize(Grant(team=TEAM_A)), state, None)
    assert status == 400
    assert await rows(coach.sessions) == []

    # The state works once ...
    status, _ = await server.redirect(slack.authorize(Grant(team=TEAM_A)), state, cookie)
    assert status == 200
    # ... and a replay of the same redirect is refused, in Norwegian for a Norwegian browser.
    status, page = await server.redirect(
        slack.authorize(Grant(team=TEAM_B)), state, cookie, lang="nb-NO,nb;q=0.9"
    )
    assert status == 401 and coach.t("nb", "oauth_failure_title") in page
    assert [r.team_id for r in await rows(coach.sessions)] == [TEAM_A]


async def test_a_state_from_another_server_process_is_accepted_once(
    served: Callable[..., Any], slack: FakeSlack, coach: Coach
) -> None:
    """Behind a load balancer the redirect may reach another process: states are in the DB."""
    first, second = await served(), await served()
    state, cookie = await first.start_install()
    status, _ = await second.redirect(slack.authorize(Grant(team=TEAM_A)), state, cookie)
    assert status == 200
    status, _ = await first.redirect(slack.authorize(Grant(team=TEAM_B)), state, cookie)
    assert status == 401


async def test_a_request_from_a_workspace_that_never_installed_gets_a_polite_answer(
    served: Callable[..., Any], slack: FakeSlack, coach: Coach
) -> None:
    server = await served()
    await server.install(Grant(team=TEAM_A))
    answer = await server.command("list", "T0STRANGER", "U0KARI")
    assert answer["text"] == coach.t("en", "slack_not_installed")


# -- rotation and reminders ----------------------------------------------------------------------


async def test_reminders_reach_every_workspace_with_refreshed_tokens(
    served: Callable[..., Any], slack: FakeSlack, coach: Coach
) -> None:
    server = await served()
    a, b, org = await install_three(server)
    for team, enterprise in ((TEAM_A, None), (TEAM_B, None), (ORG_TEAM, ORG)):
        await server.command(f"add Kari {team} | Nurse", team, "U0KARI", enterprise)
    old = {grant.key: grant.access_token for grant in (a, b, org)}
    await expire_soon(coach.sessions)

    notifiers = build_notifiers(coach, server.installations)
    try:
        summary = await run_batch(coach, notifiers, everyone=True, pace=0)
    finally:
        await close_notifiers(notifiers)
    assert (summary.sent, summary.failed) == (3, 0)
    for grant in (a, b, org):
        assert grant.refreshes == 1
        posts = slack.posts_with(grant)
        # Sent with the new token, not the one that was about to expire (Slack ended it).
        assert [p.token for p in posts] == [grant.access_token]
        assert grant.access_token != old[grant.key]
    cipher = Cipher(KEY)
    stored = {r.team_id or r.enterprise_id: r for r in await rows(coach.sessions)}
    assert cipher.decrypt(stored[TEAM_A].bot_token) == a.access_token
    assert stored[TEAM_A].bot_token_expires_at is not None
    assert stored[TEAM_A].bot_token_expires_at > time.time() + 40000

    # Commands use the refreshed token too; nothing is refreshed a second time.
    answer = await server.command("list", TEAM_B, "U0KARI")
    assert f"Kari {TEAM_B}" in answer["text"]
    assert b.refreshes == 1


async def test_a_command_refreshes_a_token_close_to_expiry_before_it_is_used(
    served: Callable[..., Any], slack: FakeSlack, coach: Coach
) -> None:
    server = await served()
    a = Grant(team=TEAM_A)
    await server.install(a)
    first = a.access_token
    await expire_soon(coach.sessions)
    before = len(slack.calls)
    answer = await server.command("list", TEAM_A, "U0KARI")
    assert answer["response_type"] == "ephemeral"
    assert a.refreshes == 1 and a.access_token != first
    assert ("oauth.v2.access", None) in made(slack.calls[before:])
    assert Cipher(KEY).decrypt((await rows(coach.sessions))[0].bot_token) == a.access_token


async def test_two_processes_refreshing_at_once_spend_the_refresh_token_once(
    served: Callable[..., Any], slack: FakeSlack, coach: Coach, database_url: str
) -> None:
    """Slack's refresh token works once. Two processes (own engines, own pools) that both
    see an expiring token: one refreshes, the other waits and uses the new token."""
    server = await served()
    a = Grant(team=TEAM_A)
    await server.install(a)
    await expire_soon(coach.sessions)
    slack.refresh_delay = 0.3  # both are surely waiting on the same expiring token

    engine = create_engine(database_url)
    try:
        other = build_slack_installations(server.settings, _with_sessions(coach, engine))
        tokens = await asyncio.gather(
            server.installations.bot_token(TEAM_A), other.bot_token(TEAM_A)
        )
    finally:
        await engine.dispose()
    assert a.refreshes == 1
    assert tokens == [a.access_token, a.access_token]
    stored = (await rows(coach.sessions))[0]
    assert Cipher(KEY).decrypt(stored.bot_token) == a.access_token
    assert Cipher(KEY).decrypt(stored.bot_refresh_token) == a.refresh_token


def _with_sessions(coach: Coach, engine: Any) -> Any:
    """The coach as a second process would build it: its own sessions on the same database."""

    class Other:
        sessions = make_sessionmaker(engine)
        clock = coach.clock

    return Other()


async def test_one_workspace_rate_limited_and_another_revoked_never_hold_up_the_rest(
    served: Callable[..., Any], slack: FakeSlack, coach: Coach
) -> None:
    server = await served()
    a, b, org = await install_three(server)
    for team, enterprise in ((TEAM_A, None), (TEAM_B, None), (ORG_TEAM, ORG)):
        for n in range(3):
            await server.command(f"add Kari {n} | Nurse", team, f"U{n}REC", enterprise)
    # A answers its first DM 429 for a second; B's token was revoked without an event.
    slack.grant_rate_limit[a.key] = (1, 1)
    slack.revoke(b)

    notifiers = build_notifiers(coach, server.installations)
    started = time.monotonic()
    try:
        summary = await run_batch(coach, notifiers, everyone=True, pace=0.05)
    finally:
        await close_notifiers(notifiers)
    assert summary.sent == 6  # A's three (after its wait) and the org's three
    assert summary.failed == 3  # B's, stopped after its first refusal
    assert len(slack.posts_with(org)) == 3 and len(slack.posts_with(a)) == 3
    # The org's workspace went on at its own pace while A waited out its Retry-After.
    assert max(p.at for p in slack.posts_with(org)) < min(p.at for p in slack.posts_with(a))
    assert min(p.at for p in slack.posts_with(a)) - started >= 1.0


# -- uninstall ------------------------------------------------------------------------------------


async def workspace(sessions: async_sessionmaker[AsyncSession], team: str) -> Workspace:
    async with sessions() as session:
        found = await session.scalar(select(Workspace).where(Workspace.external_id == team))
    assert found is not None
    return found


async def names(sessions: async_sessionmaker[AsyncSession], team: str) -> list[str | None]:
    async with sessions() as session:
        return list(
            (
                await session.scalars(
                    select(Candidate.name)
                    .join(Workspace, Workspace.id == Candidate.workspace_id)
                    .where(Workspace.external_id == team)
                    .order_by(Candidate.id)
                )
            ).all()
        )


async def tokens_gone(sessions: async_sessionmaker[AsyncSession], team: str) -> bool:
    for row in await rows(sessions):
        if (row.team_id or row.enterprise_id) == team:
            return all(
                getattr(row, c) is None
                for c in ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
            )
    raise AssertionError(f"no installation for {team}")


async def test_uninstall_in_either_order_forgets_tokens_at_once_and_data_after_the_grace(
    served: Callable[..., Any], slack: FakeSlack, coach: Coach, clock: Clock
) -> None:
    server = await served()
    a, b, org = await install_three(server)
    for team, enterprise in ((TEAM_A, None), (TEAM_B, None), (ORG_TEAM, ORG)):
        await server.command(f"add Kari {team} | Nurse", team, "U0KARI", enterprise)
    revoked = {"tokens": {"oauth": [], "bot": ["UBOT"]}}

    # A: app_uninstalled, then tokens_revoked; B: the other way round; each one twice.
    for kind, extra in (("app_uninstalled", {}), ("tokens_revoked", revoked)) * 2:
        assert await server.event(kind, TEAM_A, **extra) == 200
    await wait_until(lambda: tokens_gone(coach.sessions, TEAM_A))
    uninstalled_at = (await workspace(coach.sessions, TEAM_A)).uninstalled_at
    assert uninstalled_at == clock()
    clock.advance(hours=1)
    for kind, extra in (("tokens_revoked", revoked), ("app_uninstalled", {})) * 2:
        assert await server.event(kind, TEAM_B, **extra) == 200
    await wait_until(lambda: tokens_gone(coach.sessions, TEAM_B))
    await wait_until(
        lambda: _uninstalled(coach.sessions, TEAM_B),
    )
    # The first uninstall's time stays, however often the events come.
    assert (await workspace(coach.sessions, TEAM_A)).uninstalled_at == uninstalled_at

    # Reminders stop for both; the org's workspace still gets its own.
    notifiers = build_notifiers(coach, server.installations)
    try:
        summary = await run_batch(coach, notifiers, everyone=True, pace=0)
    finally:
        await close_notifiers(notifiers)
    assert (summary.due, summary.sent) == (1, 1)
    assert [len(slack.posts_with(g)) for g in (a, b, org)] == [0, 0, 1]

    # Within the grace nothing is erased ...
    clock.advance(days=29)
    await retention.purge(engine_of(coach), coach.sessions, server.settings, clock())
    assert await names(coach.sessions, TEAM_A) == [f"Kari {TEAM_A}"]
    # ... after it, the workspaces' personal data is gone, audited; the org's is untouched.
    clock.advance(days=2)
    result = await retention.purge(engine_of(coach), coach.sessions, server.settings, clock())
    assert result.anonymized == 2
    assert await names(coach.sessions, TEAM_A) == [None]
    assert await names(coach.sessions, TEAM_B) == [None]
    assert await names(coach.sessions, ORG_TEAM) == [f"Kari {ORG_TEAM}"]
    async with coach.sessions() as session:
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.workspace_id == (await workspace(coach.sessions, TEAM_A)).id
                )
            )
        ).all()
    assert actions.count(retention.UNINSTALL_ACTION) == 2  # the candidate, and the workspace
    assert (await workspace(coach.sessions, TEAM_A)).erased_at == clock()


async def _uninstalled(sessions: async_sessionmaker[AsyncSession], team: str) -> bool:
    return (await workspace(sessions, team)).uninstalled_at is not None


async def test_an_org_uninstall_stops_every_workspace_of_the_org(
    served: Callable[..., Any], slack: FakeSlack, coach: Coach, clock: Clock
) -> None:
    server = await served(COACH_UNINSTALL_GRACE_DAYS="0")
    org = Grant(team=None, enterprise=ORG, org_wide=True)
    a = Grant(team=TEAM_A)
    await server.install(org)
    await server.install(a)
    await server.command(f"add Kari {ORG_TEAM} | Nurse", ORG_TEAM, "U0KARI", ORG)
    await server.command(f"add Kari {TEAM_A} | Nurse", TEAM_A, "U0KARI")

    assert await server.event("app_uninstalled", None, enterprise=ORG, org_wide=True) == 200
    # Grace 0: erased straight away, audited.
    await wait_until(lambda: _names_are(coach.sessions, ORG_TEAM, [None]))
    assert await tokens_gone(coach.sessions, ORG)
    assert await names(coach.sessions, TEAM_A) == [f"Kari {TEAM_A}"]
    assert not await tokens_gone(coach.sessions, TEAM_A)


async def _names_are(sessions: async_sessionmaker[AsyncSession], team: str, want: list) -> bool:
    return await names(sessions, team) == want


async def test_a_reinstall_within_the_grace_keeps_everything(
    served: Callable[..., Any], slack: FakeSlack, coach: Coach, clock: Clock
) -> None:
    server = await served()
    a = Grant(team=TEAM_A)
    await server.install(a)
    await server.command("add Kari Nordmann | Nurse", TEAM_A, "U0KARI")
    assert await server.event("app_uninstalled", TEAM_A) == 200
    await wait_until(lambda: tokens_gone(coach.sessions, TEAM_A))
    slack.revoke(a)

    clock.advance(days=20)
    await server.install(Grant(team=TEAM_A))
    assert (await workspace(coach.sessions, TEAM_A)).uninstalled_at is None
    clock.advance(days=20)
    await retention.purge(engine_of(coach), coach.sessions, server.settings, clock())
    assert await names(coach.sessions, TEAM_A) == ["Kari Nordmann"]
    answer = await server.command("list", TEAM_A, "U0KARI")
    assert "Kari Nordmann" in answer["text"]


# -- tokens at rest ------------------------------------------------------------------------------


async def database_text(sessions: async_sessionmaker[AsyncSession], database_url: str) -> bytes:
    """Everything stored: the SQLite file and its WAL byte for byte, or every PostgreSQL row."""
    if not POSTGRES_URL:
        path = Path(database_url.split(":///", 1)[1])
        return b"".join(
            p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()
        )
    out = []
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            result = await session.execute(text(f"SELECT CAST(t AS text) FROM {table.name} t"))
            out += [row[0].encode() for row in result]
    return b"\n".join(out)


async def test_no_token_is_readable_in_the_database_or_the_logs(
    served: Callable[..., Any],
    slack: FakeSlack,
    coach: Coach,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = await served()
    a, _, _ = await install_three(server)
    await server.command("add Kari Nordmann | Nurse", TEAM_A, "U0KARI")
    await expire_soon(coach.sessions)
    notifiers = build_notifiers(coach, server.installations)
    try:
        await run_batch(coach, notifiers, everyone=True, pace=0)
    finally:
        await close_notifiers(notifiers)
    await server.command("list", TEAM_B, "U0KARI")
    assert a.refreshes == 1

    issued = slack.all_tokens()
    assert len(issued) >= 8  # three installs and a refresh, access and refresh tokens
    stored = await database_text(coach.sessions, database_url)
    assert b"slack_installations" in stored or POSTGRES_URL  # the file was really read
    logged = caplog.text
    for token in issued:
        assert token.encode() not in stored
        # Not even the random part alone (a token quoted without its prefix).
        assert token.split("-")[-1].encode() not in stored
        assert token not in logged and token.split("-")[-1] not in logged


async def test_a_new_key_in_front_reencrypts_and_the_old_one_can_then_go(
    served: Callable[..., Any], slack: FakeSlack, coach: Coach, database_url: str
) -> None:
    server = await served()
    a = Grant(team=TEAM_A)
    await server.install(a)
    newer = Fernet.generate_key().decode()
    rotated = build_slack_installations(
        oauth_settings(database_url, slack.url, COACH_ENCRYPTION_KEY=f"{newer},{KEY}"), coach
    )
    assert await rotated.reencrypt() == 1
    row = (await rows(coach.sessions))[0]
    assert Cipher(newer).decrypt(row.bot_token) == a.access_token
    with pytest.raises(InvalidToken):
        Cipher(KEY).decrypt(row.bot_token)
