"""A local server playing the Slack Web API's chat.postMessage, and a stand-in notifier.

`StubSlackNotifier` exists only until `bot.channels.slack.notify.SlackNotifier` lands on
main; the `slack_notifier` fixture in conftest.py is the one line to switch over.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.messages import Reply
from bot.notify import DeliveryError, Recipient

TOKEN = "xoxb-test-token"
# Slack errors that mean the user or the app's access to them is gone for good.
GONE_ERRORS = frozenset(
    {"user_not_found", "account_inactive", "user_disabled", "channel_not_found", "not_authed"}
)


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
    broken: set[str] = field(default_factory=set)
    # Seconds to wait before answering, so concurrent senders really overlap.
    delay: float = 0.0
    # The next request is answered 429 with this Retry-After (seconds).
    rate_limit_next: int | None = None
    rate_limited: int = 0
    # Requests that came in while the announced Retry-After had not passed yet.
    violations: int = 0
    _window_end: float = 0.0

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
    app.router.add_post("/api/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}/api/"
    return fake, runner


class StubSlackNotifier:
    """The least a Slack notifier does: DM the user via chat.postMessage, map errors."""

    platform = "slack"

    def __init__(self, api_url: str, token: str = TOKEN) -> None:
        self.api_url = api_url
        self.token = token
        self._session: aiohttp.ClientSession | None = None

    async def send(self, recipient: Recipient, reply: Reply) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        blocks = [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": button.label},
                        "value": button.command,
                    }
                    for button in card.buttons
                ],
            }
            for card in reply.cards
            if card.buttons
        ]
        payload = {"channel": recipient.user, "text": reply.text, "blocks": blocks}
        try:
            async with self._session.post(
                self.api_url + "chat.postMessage",
                json=payload,
                headers={"Authorization": f"Bearer {self.token}"},
            ) as response:
                if response.status == 429:
                    retry = float(response.headers.get("Retry-After", "1"))
                    raise DeliveryError("ratelimited", retry_after=retry)
                if response.status >= 500:
                    raise DeliveryError(f"HTTP {response.status}")
                data = await response.json()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(type(error).__name__) from error
        if not data.get("ok"):
            error = str(data.get("error", "unknown"))
            raise DeliveryError(error, gone=error in GONE_ERRORS)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
