"""The one local Slack Web API every test talks to (channels, reminders, intake, OAuth): plays
the Web API, response_url, file uploads and Socket Mode on 127.0.0.1 and records every call.

What Slack does to a direct message (a gone or broken user, an app-level error, rate limits)
and users.lookupByEmail are data on the fake, so a test sets them and reads what was posted.

Built with `oauth=True` it is Slack for many workspaces installed through OAuth: oauth.v2.access
(code and refresh) hands each installation (a `Grant`) its own bot token, and every other call
must carry a live one. Token rotation is played strictly: a refresh token works once, and a
refresh ends the old access token, so a process that refreshes twice, or saves an older token
over a newer one, is caught.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEAM = "T0TEAM"
# The bot token the tests configure; a fake built with it refuses any other (not_authed).
BOT_TOKEN = "xoxb-17-secret-bot-token-do-not-log"

# The app as the OAuth tests configure it.
CLIENT_ID = "1234567890.0987654321"
CLIENT_SECRET = "client-secret-for-tests-only"
APP_ID = "A0COACH"
EXPIRES_IN = 43200


@dataclass
class Grant:
    """One OAuth installation (a workspace, or an Enterprise Grid org) as Slack sees it."""

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
    """A direct message chat.postMessage delivered (the reminders' and notices' view)."""

    user: str
    text: str
    body: dict[str, Any]
    # The bearer token it was sent with, and when it arrived (time.monotonic()).
    token: str = ""
    at: float = 0.0


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    # With oauth=True: the key of the installation whose token the call carried, if any.
    grant: str | None = None


@dataclass
class Plan:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeSlack:
    """Plays the Slack Web API and response_url on 127.0.0.1, recording every call."""

    def __init__(self, token: str | None = None, *, oauth: bool = False) -> None:
        # When set, every API call must carry this bot token.
        self.token = token
        # OAuth mode: every call but oauth.v2.access must carry a live installation's token.
        self.oauth = oauth
        self.codes: dict[str, Grant] = {}
        self.grants: dict[str, Grant] = {}
        # Grant key -> how many chat.postMessage calls are answered 429 first, and Retry-After.
        self.grant_rate_limit: dict[str, tuple[int, int]] = {}
        # Seconds a refresh takes, so two processes refreshing at once really overlap.
        self.refresh_delay = 0.0
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []
        self.plans: dict[str, list[Plan]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.counter = itertools.count(1)
        self.changed = asyncio.Condition()
        self.runner: web.AppRunner | None = None
        self.port = 0
        # Seconds each response_url answer takes to be taken (a slow Slack).
        self.respond_delay = 0.0
        # Every response_url answer with the key of the URL it came to.
        self.answered: list[tuple[str, dict[str, Any]]] = []
        # Direct messages delivered, and every chat.postMessage attempt by user.
        self.posts: list[Post] = []
        self.attempts: list[str] = []
        # Users Slack no longer knows (user_not_found), or answers HTTP 500 for.
        self.gone: set[str] = set()
        self.broken: set[str] = set()
        # User -> the error Slack answers a DM to them with (user_disabled, cannot_dm_bot, ...).
        self.errors: dict[str, str] = {}
        # An error about the app itself (token_revoked, ...), answered to every call while set.
        self.app_error: str | None = None
        # Seconds to wait before answering any API call, so concurrent senders really overlap.
        self.delay = 0.0
        # The next API call is answered 429 with this Retry-After (seconds).
        self.rate_limit_next: int | None = None
        self.rate_limited = 0
        # Calls that came in while the announced Retry-After had not passed yet.
        self.violations = 0
        self._window_end = 0.0
        # users.lookupByEmail: e-mail -> user id; any other address is users_not_found.
        self.emails: dict[str, str] = {}
        self.lookups: list[str] = []
        # users.lookupByEmail answers HTTP 500 while set (Slack having a bad day).
        self.lookup_broken = False

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.api)
        app.router.add_post("/respond/{key}", self.respond)
        app.router.add_post("/upload/{file_id}", self.upload)
        app.router.add_get("/socket", self.socket)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{key}"

    def plan(self, method: str, *, times: int = 1, **plan: Any) -> None:
        """The next `times` calls of `method` get this answer instead of the normal one."""
        self.plans.setdefault(method, []).extend(Plan(**plan) for _ in range(times))

    def user(self, user: str, locale: str = "en-US", tz: str = "Europe/Oslo") -> None:
        self.users[user] = {"locale": locale, "tz": tz}

    def recipients(self) -> list[str]:
        """Who got a direct message, in order."""
        return [post.user for post in self.posts]

    def answer_at(self, key: str) -> dict[str, Any] | None:
        """The last answer the bot posted to response_url(key), if any yet."""
        return next((body for at, body in reversed(self.answered) if at == key), None)

    # -- OAuth: what a test sets up and reads --------------------------------------------------

    def authorize(self, grant: Grant) -> str:
        """The user approved the install in Slack: a code for the redirect."""
        code = "code-" + secrets.token_hex(8)
        self.codes[code] = grant
        return code

    def revoke(self, grant: Grant) -> None:
        """The workspace removed the app: Slack no longer accepts its tokens."""
        grant.access_token = ""
        grant.refresh_token = ""

    def all_tokens(self) -> list[str]:
        return [token for grant in self.grants.values() for token in grant.issued]

    def posts_with(self, grant: Grant) -> list[Post]:
        return [post for post in self.posts if post.token in grant.issued]

    def called(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1, limit: float = 20) -> list[Call]:
        """Block until `method` was called `count` times (never a timing assertion)."""
        async with self.changed:
            await asyncio.wait_for(
                self.changed.wait_for(lambda: len(self.called(method)) >= count), limit
            )
        return self.called(method)

    async def wait_responses(self, count: int = 1, limit: float = 20) -> list[dict[str, Any]]:
        async with self.changed:
            await asyncio.wait_for(
                self.changed.wait_for(lambda: len(self.responses) >= count), limit
            )
        return self.responses

    async def _record(self, call: Call | None = None, response: Any = None) -> None:
        async with self.changed:
            if call is not None:
                self.calls.append(call)
            if response is not None:
                self.responses.append(response)
            self.changed.notify_all()

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if self.token is not None and request.headers.get("Authorization") != (
            f"Bearer {self.token}"
        ):
            return web.json_response({"ok": False, "error": "not_authed"})
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        grant = self._grant_of(request) if self.oauth else None
        await self._record(Call(method, params, dict(request.headers), grant and grant.key))
        if method == "oauth.v2.access":
            return await self._oauth_access(request, params)
        if self.oauth and grant is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        if self.delay:
            await asyncio.sleep(self.delay)
        if time.monotonic() < self._window_end:
            self.violations += 1
            return self._too_many(self._window_end - time.monotonic())
        if self.rate_limit_next is not None:
            seconds, self.rate_limit_next = self.rate_limit_next, None
            self._window_end = time.monotonic() + seconds
            self.rate_limited += 1
            return self._too_many(seconds)
        queue = self.plans.get(method)
        if queue:
            plan = queue.pop(0)
            if plan.delay:
                await asyncio.sleep(plan.delay)
            if plan.body is not None or plan.status != 200:
                body = plan.body if plan.body is not None else {"ok": False, "error": "fatal"}
                return web.json_response(body, status=plan.status, headers=plan.headers)
        if method == "users.lookupByEmail":
            return self._lookup(str(params.get("email", "")))
        if method == "conversations.open" and str(params.get("users", "")) in self.gone:
            return web.json_response({"ok": False, "error": "user_not_found"})
        if method == "chat.postMessage":
            if grant is not None and self.grant_rate_limit.get(grant.key, (0, 0))[0]:
                limited, seconds = self.grant_rate_limit[grant.key]
                self.grant_rate_limit[grant.key] = (limited - 1, seconds)
                return self._too_many(seconds)
            refused = self._refuse_post(params, request.headers.get("Authorization", ""))
            if refused is not None:
                return refused
        return web.json_response(self.answer(method, params, grant))

    def _lookup(self, email: str) -> web.Response:
        self.lookups.append(email)
        if self.lookup_broken:
            return web.Response(status=500, text="internal error")
        if email.casefold() in self.emails:
            user = {"id": self.emails[email.casefold()], "deleted": False, "is_bot": False}
            return web.json_response({"ok": True, "user": user})
        return web.json_response({"ok": False, "error": "users_not_found"})

    def _refuse_post(self, params: dict[str, Any], authorization: str) -> web.Response | None:
        """What Slack answers a direct message instead of delivering it; None: delivered."""
        channel = str(params.get("channel", ""))
        user = channel[1:] if channel.startswith("D") else channel
        self.attempts.append(user)
        if self.app_error:
            return web.json_response({"ok": False, "error": self.app_error})
        if user in self.errors:
            return web.json_response({"ok": False, "error": self.errors[user]})
        if user in self.broken:
            return web.Response(status=500, text="internal error")
        if user in self.gone:
            return web.json_response({"ok": False, "error": "user_not_found"})
        token = authorization.removeprefix("Bearer ")
        text = str(params.get("text", ""))
        self.posts.append(Post(user, text, params, token=token, at=time.monotonic()))
        return None

    @staticmethod
    def _too_many(seconds: float) -> web.Response:
        retry = max(1, int(seconds + 0.999))
        return web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry)}
        )

    def answer(
        self, method: str, params: dict[str, Any], grant: Grant | None = None
    ) -> dict[str, Any]:
        n = next(self.counter)
        if method == "auth.test" and grant is not None:
            return {
                "ok": True,
                "team_id": grant.team,
                "enterprise_id": grant.enterprise,
                "user_id": grant.bot_user,
                "bot_id": "B" + grant.bot_user[1:],
                "is_enterprise_install": grant.org_wide,
            }
        if method == "auth.test":
            return {"ok": True, "team_id": TEAM, "user_id": "UBOT", "bot_id": "BBOT"}
        if method == "users.info":
            user = params.get("user", "")
            profile = self.users.get(user, {"locale": "en-US", "tz": "Europe/Oslo"})
            team = grant.team if grant is not None else TEAM
            return {"ok": True, "user": {"id": user, "team_id": team, **profile}}
        if method in ("views.open", "views.update", "views.publish"):
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else dict(view or {})
            view_id = params.get("view_id") or f"V{n:04d}"
            return {"ok": True, "view": {**view, "id": view_id, "hash": f"h{n}"}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": f"D{params.get('users')}"}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{n:04d}"
            url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
            return {"ok": True, "upload_url": url, "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = params.get("files")
            files = json.loads(files) if isinstance(files, str) else files
            return {"ok": True, "files": files}
        if method == "chat.postMessage":
            return {"ok": True, "channel": f"D{params.get('channel')}", "ts": f"{n}.000100"}
        return {"ok": True}

    # -- OAuth ---------------------------------------------------------------------------------

    def _grant_of(self, request: web.Request) -> Grant | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return next((g for g in self.grants.values() if token and g.access_token == token), None)

    @staticmethod
    def _client_ok(request: web.Request, params: dict[str, Any]) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            pair = base64.b64decode(header[6:]).decode()
            return pair == f"{CLIENT_ID}:{CLIENT_SECRET}"
        return (params.get("client_id"), params.get("client_secret")) == (CLIENT_ID, CLIENT_SECRET)

    @staticmethod
    def _new_tokens(grant: Grant) -> None:
        grant.access_token = "xoxe.xoxb-1-" + secrets.token_hex(24)
        grant.refresh_token = "xoxe-1-" + secrets.token_hex(24)
        grant.issued += [grant.access_token, grant.refresh_token]

    async def _oauth_access(self, request: web.Request, params: dict[str, Any]) -> web.Response:
        """oauth.v2.access: a code from the redirect, or a refresh token, for new tokens."""
        if not self._client_ok(request, params):
            return web.json_response({"ok": False, "error": "invalid_client_id"})
        if params.get("grant_type") == "refresh_token":
            return await self._refresh(str(params.get("refresh_token")))
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

    async def _refresh(self, refresh_token: str) -> web.Response:
        grant = next((g for g in self.grants.values() if g.refresh_token == refresh_token), None)
        if grant is None or not refresh_token:
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

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode's WebSocket: says hello, then waits for the client to leave."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1})
        await self._record(Call("socket", {}, dict(request.headers)))
        async for _ in socket:
            pass
        return socket

    async def upload(self, request: web.Request) -> web.Response:
        """The upload_url files.getUploadURLExternal hands out: takes the file's bytes."""
        body = await request.read()
        await self._record(Call("upload", {"file_id": request.match_info["file_id"], "body": body},
                                dict(request.headers)))  # fmt: skip
        queue = self.plans.get("upload")
        if queue:
            plan = queue.pop(0)
            return web.Response(status=plan.status, text="failed", headers=plan.headers)
        return web.Response(text="OK - 17")

    async def respond(self, request: web.Request) -> web.Response:
        if self.respond_delay:
            await asyncio.sleep(self.respond_delay)
        body = await request.json()
        self.answered.append((request.match_info["key"], body))
        await self._record(response=body)
        return web.Response(text="ok")


async def start_fake_slack(token: str | None = BOT_TOKEN) -> FakeSlack:
    """A started fake that takes only `token` (stop it with `await fake.stop()`)."""
    fake = FakeSlack(token)
    await fake.start()
    return fake
