"""A local server playing the Slack Web API's chat.postMessage, as the reminders use it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "xoxb-test-token"


@dataclass
class Post:
    user: str
    text: str
    body: dict[str, Any]


@dataclass
class FakeSlack:
    """Records every DM; users can be made gone or broken; can rate-limit like Slack does."""

    url: str = ""
    posts: list[Post] = field(default_factory=list)
    # Every chat.postMessage attempt, delivered or not, by user.
    attempts: list[str] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    # User -> the error Slack answers a DM to them with (user_disabled, cannot_dm_bot, ...).
    errors: dict[str, str] = field(default_factory=dict)
    # An error about the app itself (token_revoked, ...), answered to every call while set.
    app_error: str | None = None
    broken: set[str] = field(default_factory=set)
    # Seconds to wait before answering, so concurrent senders really overlap.
    delay: float = 0.0
    # The next request is answered 429 with this Retry-After (seconds).
    rate_limit_next: int | None = None
    rate_limited: int = 0
    # Requests that came in while the announced Retry-After had not passed yet.
    violations: int = 0
    _window_end: float = 0.0
    # users.lookupByEmail: e-mail -> user id; a lookup of any other address is users_not_found.
    emails: dict[str, str] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    # users.lookupByEmail answers HTTP 500 while set (Slack having a bad day).
    lookup_broken: bool = False

    def users(self) -> list[str]:
        return [post.user for post in self.posts]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"ok": False, "error": "not_authed"})
        if request.content_type == "application/json":
            body = await request.json()
        else:
            body = dict(await request.post())
        if self.delay:
            await asyncio.sleep(self.delay)
        method = request.match_info["method"]
        if time.monotonic() < self._window_end:
            self.violations += 1
            return self._too_many(self._window_end - time.monotonic())
        if self.rate_limit_next is not None:
            seconds, self.rate_limit_next = self.rate_limit_next, None
            self._window_end = time.monotonic() + seconds
            self.rate_limited += 1
            return self._too_many(seconds)
        if method == "users.lookupByEmail":
            email = str(body.get("email", "") or request.query.get("email", ""))
            self.lookups.append(email)
            if self.lookup_broken:
                return web.Response(status=500, text="internal error")
            if email.casefold() in self.emails:
                user = {"id": self.emails[email.casefold()], "deleted": False, "is_bot": False}
                return web.json_response({"ok": True, "user": user})
            return web.json_response({"ok": False, "error": "users_not_found"})
        if method == "conversations.open":
            user = str(body.get("users", ""))
            if user in self.gone:
                return web.json_response({"ok": False, "error": "user_not_found"})
            return web.json_response({"ok": True, "channel": {"id": f"D{user}"}})
        if method != "chat.postMessage":
            return web.json_response({"ok": False, "error": "unknown_method"})
        channel = str(body.get("channel", ""))
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
        self.posts.append(Post(user=user, text=str(body.get("text", "")), body=body))
        return web.json_response({"ok": True, "channel": channel, "ts": f"{len(self.posts)}.0"})

    @staticmethod
    def _too_many(seconds: float) -> web.Response:
        retry = max(1, int(seconds + 0.999))
        return web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry)}
        )


async def start_fake_slack() -> tuple[FakeSlack, web.AppRunner]:
    fake = FakeSlack()
    app = web.Application()
    app.router.add_route("*", "/api/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}/api/"
    return fake, runner
