"""Slack as the bot meets it: requests shaped and signed as Slack sends them, and the bot served."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import commands
from bot.channels.slack import mount_slack
from bot.coach import Coach
from bot.settings import Settings
from bot.wiring import build_web_app
from tests.support.database import POSTGRES_URL, engine_of
from tests.support.slack_api import BOT_TOKEN, TEAM, FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


# The commands that only read, answered in the acknowledgement (bot.channels.slack.commands).
ANSWERED_IN_ACK = frozenset({"help", "list", "report", "pool"})

USER = "U0KARI"


def signed_headers(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict:
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": str(signature)}


class SlackClient:
    """Sends slash commands, interactions and events to the bot as Slack would."""

    def __init__(self, base: str, fake: FakeSlack) -> None:
        self.base = base
        self.fake = fake
        self.session = aiohttp.ClientSession()
        self.triggers = itertools.count(1)

    async def close(self) -> None:
        await self.session.close()

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        all_headers = {"Content-Type": content_type, **signed_headers(body), **(headers or {})}
        async with self.session.post(
            f"{self.base}/slack/events", data=body.encode(), headers=all_headers
        ) as response:
            return response.status, await response.text()

    def command_body(
        self,
        text: str,
        user: str = USER,
        trigger_id: str | None = None,
        channel: tuple[str, str] = ("C0GENERAL", "general"),
    ) -> str:
        return urlencode(
            {
                "token": "verification-token-unused",
                "team_id": TEAM,
                "team_domain": "acme",
                "channel_id": channel[0],
                "channel_name": channel[1],
                "user_id": user,
                "user_name": "kari",
                "command": "/feedback-call",
                "text": text,
                "api_app_id": "A0COACH",
                "response_url": self.fake.response_url(f"{user}-{next(self.triggers)}"),
                "trigger_id": trigger_id or f"trigger-{next(self.triggers)}",
            }
        )

    async def command(
        self,
        text: str,
        user: str = USER,
        trigger_id: str | None = None,
        channel: tuple[str, str] = ("C0GENERAL", "general"),
        **kw: Any,
    ) -> tuple[int, str]:
        body = self.command_body(text, user, trigger_id, channel)
        return await self.post(body, "application/x-www-form-urlencoded", **kw)

    async def interact(
        self, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", headers)

    async def event(self, event: dict[str, Any], event_id: str = "Ev01") -> tuple[int, str]:
        body = json.dumps(
            {
                "token": "verification-token-unused",
                "team_id": TEAM,
                "api_app_id": "A0COACH",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        return await self.post(body, "application/json")

    def view_submission(
        self,
        view: dict[str, Any],
        values: dict[str, dict[str, Any]],
        user: str = USER,
        trigger_id: str | None = None,
    ) -> dict[str, Any]:
        return {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0COACH",
            "trigger_id": trigger_id or f"trigger-{next(self.triggers)}",
            "view": {
                **view,
                "id": view.get("id", "V0001"),
                "hash": view.get("hash", "h1"),
                "state": {"values": values},
            },
        }

    def block_action(
        self,
        action: dict[str, Any],
        block_id: str,
        container: dict[str, Any],
        message: dict[str, Any] | None = None,
        user: str = USER,
        action_ts: str | None = None,
        response_url: str | None = None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "acme"},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0COACH",
            "trigger_id": f"trigger-{next(self.triggers)}",
            "container": container,
            "actions": [
                {
                    "type": "button",
                    **action,
                    "block_id": block_id,
                    "action_ts": action_ts or f"{time.time():.6f}",
                }
            ],
        }
        if message is not None:
            payload["message"] = message
            payload["channel"] = {"id": container.get("channel_id")}
        if response_url:
            payload["response_url"] = response_url
        return payload


def answered_in_ack(text: str) -> bool:
    """Whether the coach answers this command in the acknowledgement (it only reads)."""
    return getattr(commands.parse(text), "kind", None) in ANSWERED_IN_ACK


def text_inputs(answers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """view.state.values for plain-text inputs keyed by block_id."""
    return {
        key: {"answer": {"type": "plain_text_input", "value": value}}
        for key, value in answers.items()
    }


def find_button(blocks: list[dict[str, Any]], command: str) -> tuple[dict[str, Any], str]:
    """The button, or overflow menu option, whose command is `command`, as Slack sends the
    action when it is clicked (a button's value, or the menu's selected_option); its block_id."""
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element.get("value") == command:
                action = {"action_id": element["action_id"], "value": element["value"]}
                return {**action, "type": "button"}, block["block_id"]
            for option in element.get("options", []) if element.get("type") == "overflow" else []:
                if option.get("value") == command:
                    action = {"action_id": element["action_id"], "selected_option": option}
                    return {**action, "type": "overflow"}, block["block_id"]
    raise AssertionError(f"no button for {command!r}")


def all_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def slack_settings(database_url: str, api_url: str, **extra: Any) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api_url,
        **extra,
    )


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@dataclass
class Bot:
    coach: Coach
    slack: SlackClient
    fake: FakeSlack
    sessions: async_sessionmaker[AsyncSession]

    async def say(self, text: str, user: str = USER) -> dict[str, Any]:
        """A slash command's ephemeral answer: in the acknowledgement for a command that only
        reads, else an empty acknowledgement and then the answer at response_url."""
        before = len(self.fake.responses)
        status, body = await self.slack.command(text, user=user)
        if answered_in_ack(text):
            assert status == 200 and body, (status, body)
            answer = json.loads(body)
            assert answer["response_type"] == "ephemeral"
            return answer
        assert (status, body) == (200, "")
        responses = await self.fake.wait_responses(before + 1)
        answer = responses[before]
        assert answer["response_type"] == "ephemeral"
        return answer

    async def add(self, name: str, position: str = "Payroll officer", user: str = USER) -> str:
        """Register a candidate through Slack; its public id."""
        answer = await self.say(f"add {name} | {position}", user=user)
        button, _ = next(
            (element, block["block_id"])
            for block in answer["blocks"]
            for element in block.get("elements", [])
            if str(element.get("value", "")).startswith("start ")
        )
        return button["value"].split()[-1]


@contextlib.asynccontextmanager
async def running_bot(
    coach: Coach, settings: Settings, fake: FakeSlack, api_timeout: float | None = None
) -> AsyncIterator[Bot]:
    if api_timeout is None:
        app = build_web_app(settings, coach, engine_of(coach))
    else:
        app = web.Application()
        mount_slack(app, settings, coach, timeout=api_timeout)
    async with serving(app) as base:
        client = SlackClient(base, fake)
        try:
            yield Bot(coach, client, fake, coach.sessions)
        finally:
            await client.close()
            # Listeners run on after the acknowledgement; let them finish before teardown.
            await settle()


async def settle() -> None:
    current = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    ours = [t for t in pending if "run_ack_function" in repr(t.get_coro())]
    if ours:
        await asyncio.wait(ours, timeout=20)


class Breakable:
    """The store behind the coach goes away and comes back, as a real outage would."""

    def __init__(self, url: str, engine: AsyncEngine, tmp: Path) -> None:
        self.url = url
        self.engine = engine
        self.tmp = tmp
        self.proxy: asyncio.Server | None = None
        self.connections: list[asyncio.StreamWriter] = []
        self.proxy_port = 0

    async def down(self) -> None:
        if POSTGRES_URL:
            assert self.proxy is not None
            self.proxy.close()
            await self.proxy.wait_closed()
            for writer in self.connections:
                writer.close()
            self.connections.clear()
        else:
            (self.tmp / "db").rename(self.tmp / "db-away")
        await self.engine.dispose()

    async def up(self) -> None:
        if POSTGRES_URL:
            await self.start_proxy(self.proxy_port)
        else:
            (self.tmp / "db-away").rename(self.tmp / "db")

    async def start_proxy(self, port: int = 0) -> None:
        from sqlalchemy.engine import make_url

        target = make_url(POSTGRES_URL or "")
        host, target_port = target.host or "127.0.0.1", target.port or 5432

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            writer.close()

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection(host, target_port)
            self.connections += [writer, up_writer]
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

        self.proxy = await asyncio.start_server(accept, "127.0.0.1", port)
        self.proxy_port = self.proxy.sockets[0].getsockname()[1]
