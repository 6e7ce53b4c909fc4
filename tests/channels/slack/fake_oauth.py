"""A local Slack for many workspaces: oauth.v2.access (code and refresh), auth.test, DMs.

Each workspace (or Enterprise Grid org) has its own live bot token. Slack's token rotation is
played strictly: a refresh token works once, and a refresh ends the old access token, so a
process that refreshes twice, or saves an older token over a newer one, is caught.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CLIENT_ID = "1234567890.0987654321"
CLIENT_SECRET = "client-secret-for-tests-only"
APP_ID = "A0COACH"
EXPIRES_IN = 43200


@dataclass
class Grant:
    """One installation as Slack sees it."""

    team: str | None
    enterprise: str | None = None
    org_wide: bool = False
    installer: str = "UINSTALLER"
    access_token: str = ""
    refresh_token: str = ""
    bot_user: str = ""
    # Every token Slack ever issued for it, so a test can look for their bytes anywhere.
    issued: list[str] = field(default_factory=list)
    refreshes: int = 0

    @property
    def key(self) -> str:
        return (self.enterprise or "") + ":" + ("" if self.org_wide else self.team or "")


@dataclass
class Post:
    token: str
    channel: str
    text: str
    at: float


class FakeOAuthSlack:
    def __init__(self) -> None:
        self.codes: dict[str, Grant] = {}
        self.grants: dict[str, Grant] = {}
        self.posts: list[Post] = []
        self.calls: list[tuple[str, str | None]] = []
        # Grant key -> how many chat.postMessage calls are answered 429 first, and for how long.
        self.rate_limit: dict[str, tuple[int, int]] = {}
        self.refresh_delay = 0.0
        # What the bot answered at a command's response_url, by key.
        self.responses: dict[str, dict[str, Any]] = {}
        self.runner: web.AppRunner | None = None
        self.url = ""

    def response_url(self, key: str) -> str:
        return self.url.removesuffix("/api/") + f"/respond/{key}"

    async def respond(self, request: web.Request) -> web.Response:
        self.responses[request.match_info["key"]] = await request.json()
        return web.Response(text="ok")

    # -- what a test sets up --------------------------------------------------------------

    def authorize(self, grant: Grant) -> str:
        """The user approved the install in Slack: a code for the redirect."""
        code = "code-" + secrets.token_hex(8)
        self.codes[code] = grant
        return code

    def all_tokens(self) -> list[str]:
        return [token for grant in self.grants.values() for token in grant.issued]

    def posts_with(self, grant: Grant) -> list[Post]:
        return [post for post in self.posts if post.token in grant.issued]

    # -- the Web API ----------------------------------------------------------------------

    def _new_tokens(self, grant: Grant) -> None:
        grant.access_token = "xoxe.xoxb-1-" + secrets.token_hex(24)
        grant.refresh_token = "xoxe-1-" + secrets.token_hex(24)
        grant.issued += [grant.access_token, grant.refresh_token]

    def _client_ok(self, request: web.Request, params: dict[str, Any]) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            pair = base64.b64decode(header[6:]).decode()
            return pair == f"{CLIENT_ID}:{CLIENT_SECRET}"
        return (params.get("client_id"), params.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET)

    def _by_token(self, request: web.Request) -> Grant | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        return next((g for g in self.grants.values() if g.access_token == token), None)

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        else:
            params.update(dict(await request.post()))
        grant = self._by_token(request)
        self.calls.append((method, grant.key if grant else None))
        if method == "oauth.v2.access":
            return await self.oauth_access(request, params)
        if grant is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if method == "auth.test":
            return web.json_response(
                {
                    "ok": True,
                    "team_id": grant.team,
                    "enterprise_id": grant.enterprise,
                    "user_id": grant.bot_user,
                    "bot_id": "B" + grant.bot_user[1:],
                    "is_enterprise_install": grant.org_wide,
                }
            )
        if method == "users.info":
            user = params.get("user", "")
            return web.json_response(
                {"ok": True, "user": {"id": user, "locale": "en-US", "tz": "Europe/Oslo"}}
            )
        if method == "chat.postMessage":
            limited, seconds = self.rate_limit.get(grant.key, (0, 0))
            if limited:
                self.rate_limit[grant.key] = (limited - 1, seconds)
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(seconds)},
                )
            token = request.headers["Authorization"].removeprefix("Bearer ")
            channel = str(params.get("channel", ""))
            self.posts.append(Post(token, channel, str(params.get("text", "")), time.monotonic()))
            return web.json_response({"ok": True, "channel": "D" + channel, "ts": "1.0"})
        return web.json_response({"ok": True})

    async def oauth_access(self, request: web.Request, params: dict[str, Any]) -> web.Response:
        if not self._client_ok(request, params):
            return web.json_response({"ok": False, "error": "invalid_client_id"})
        if params.get("grant_type") == "refresh_token":
            grant = next(
                (g for g in self.grants.values() if g.refresh_token == params.get("refresh_token")),
                None,
            )
            if grant is None:
                return web.json_response({"ok": False, "error": "invalid_refresh_token"})
            # Spent at once: a second refresh with it (another process) fails.
            grant.refresh_token = ""
            if self.refresh_delay:
                await asyncio.sleep(self.refresh_delay)
            self._new_tokens(grant)
            grant.refreshes += 1
            return web.json_response(
                {
                    "ok": True,
                    "token_type": "bot",
                    "access_token": grant.access_token,
                    "refresh_token": grant.refresh_token,
                    "expires_in": EXPIRES_IN,
                    "team": {"id": grant.team} if grant.team else None,
                    "enterprise": {"id": grant.enterprise} if grant.enterprise else None,
                    "is_enterprise_install": grant.org_wide,
                }
            )
        grant = self.codes.pop(str(params.get("code")), None)
        if grant is None:
            return web.json_response({"ok": False, "error": "invalid_code"})
        existing = self.grants.get(grant.key)
        if existing is not None:
            # A reinstall: Slack issues new tokens for the same installation.
            grant.issued = existing.issued
        grant.bot_user = "UB" + (grant.team or grant.enterprise or "X")
        self._new_tokens(grant)
        self.grants[grant.key] = grant
        return web.json_response(
            {
                "ok": True,
                "app_id": APP_ID,
                "authed_user": {"id": grant.installer},
                "scope": "commands,chat:write,im:write,users:read,files:write",
                "token_type": "bot",
                "access_token": grant.access_token,
                "bot_user_id": grant.bot_user,
                "refresh_token": grant.refresh_token,
                "expires_in": EXPIRES_IN,
                "team": None if grant.org_wide else {"id": grant.team, "name": "Team"},
                "enterprise": {"id": grant.enterprise, "name": "Org"} if grant.enterprise else None,
                "is_enterprise_install": grant.org_wide,
            }
        )

    def revoke(self, grant: Grant) -> None:
        """The workspace removed the app: Slack no longer accepts its tokens."""
        grant.access_token = ""
        grant.refresh_token = ""


async def start() -> tuple[FakeOAuthSlack, web.AppRunner]:
    fake = FakeOAuthSlack()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake.api)
    app.router.add_post("/respond/{key}", fake.respond)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}/api/"
    fake.runner = runner
    return fake, runner


async def running() -> AsyncIterator[FakeOAuthSlack]:
    fake, runner = await start()
    try:
        yield fake
    finally:
        await runner.cleanup()
