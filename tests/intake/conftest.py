"""The server over real HTTP on 127.0.0.1, a fake Slack Web API (users.lookupByEmail,
chat.postMessage), and deliveries signed exactly as each vendor signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.coach import Coach
from bot.messages import Identity, Inbound
from bot.settings import Settings
from bot.wiring import build_web_app
from conversation_guides import GuideBook
from storage.tables import (
    AtsApplication,
    AtsIntegration,
    AuditEvent,
    Candidate,
    Position,
    Recruiter,
)
from tests.conftest import Clock, engine_of
from tests.support.slack_api import BOT_TOKEN, FakeSlack

HERE = Path(__file__).parent
TEAM = "T0NORDIC"
ADMIN = "UADMIN"
RECRUITER = "U0LINE"


def sample(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def body_of(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2).encode("utf-8")


def greenhouse_headers(secret: str, body: bytes, event_id: str | None = None) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "Signature": f"sha256 {digest}"}
    if event_id:
        headers["Greenhouse-Event-ID"] = event_id
    return headers


def ashby_headers(secret: str, body: bytes) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Ashby-Signature": f"sha256={digest}"}


@dataclass
class Hook:
    """One workspace's webhook, as the admin got it in chat."""

    vendor: str
    url: str
    secret: str
    path: str


@dataclass
class Answer:
    status: int
    result: str


class Harness:
    def __init__(
        self,
        server: TestServer,
        http: aiohttp.ClientSession,
        coach: Coach,
        slack: FakeSlack,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
    ) -> None:
        self.server = server
        self.http = http
        self.coach = coach
        self.slack = slack
        self.sessions = sessions
        self.clock = clock

    def admin(self, language: str = "en") -> Identity:
        return Identity(platform="slack", workspace=TEAM, user=ADMIN, language=language)

    async def say(self, who: Identity, text: str) -> str:
        replies = await self.coach.handle(who, Inbound(text=text))
        return "\n".join(reply.text for reply in replies)

    async def connect(self, vendor: str) -> Hook:
        text = await self.say(self.admin(), f"integration {vendor} rotate")
        url = re.search(r"(https?://\S+/webhooks/\S+)", text)
        secret = re.search(r"(?:Signing secret|Signeringsnøkkel): (\S+)", text)
        assert url and secret, text
        path = "/" + url.group(1).split("/", 3)[3]
        return Hook(vendor, url.group(1), secret.group(1), path)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        async with self.http.post(self.server.make_url(path), data=body, headers=headers) as resp:
            try:
                result = (await resp.json())["result"]
            except (aiohttp.ContentTypeError, KeyError, ValueError):
                result = await resp.text()
            return Answer(resp.status, result)

    async def greenhouse(
        self, hook: Hook, data: dict[str, Any], event_id: str | None = None
    ) -> Answer:
        body = body_of(data)
        return await self.post(hook.path, body, greenhouse_headers(hook.secret, body, event_id))

    async def ashby(self, hook: Hook, data: dict[str, Any]) -> Answer:
        body = body_of(data)
        return await self.post(hook.path, body, ashby_headers(hook.secret, body))

    async def candidates(self) -> list[tuple[str | None, str, str, str]]:
        """(name, position, recruiter's user id, public id) of every candidate."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(Candidate.name, Position.title, Recruiter.external_id, Candidate.public_id)
                .join(Position, Position.id == Candidate.position_id)
                .join(Recruiter, Recruiter.id == Candidate.recruiter_id)
                .order_by(Candidate.id)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]

    async def applications(self) -> list[AtsApplication]:
        async with self.sessions() as session:
            return list(
                (await session.scalars(select(AtsApplication).order_by(AtsApplication.id))).all()
            )

    async def integration(self, vendor: str) -> AtsIntegration:
        async with self.sessions() as session:
            found = await session.scalar(
                select(AtsIntegration).where(AtsIntegration.vendor == vendor)
            )
            assert found is not None
            return found

    async def audit(self) -> list[tuple[str, str | None]]:
        async with self.sessions() as session:
            rows = await session.execute(
                select(AuditEvent.action, AuditEvent.candidate_public_id).order_by(AuditEvent.id)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]

    async def count(self, model: Any) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def intake_settings(database_url: str, slack: FakeSlack) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        COACH_ADMINS=ADMIN,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=slack.url,
        COACH_PUBLIC_URL="https://coach.example.com",
        COACH_REMINDER_PACE_SECONDS="0",
    )


@pytest.fixture
async def harness(
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    intake_settings: Settings,
    clock: Clock,
    slack: FakeSlack,
) -> AsyncIterator[Harness]:
    coach = Coach(sessions, guides, intake_settings, clock=clock)
    server = TestServer(build_web_app(intake_settings, coach, engine_of(coach)), host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        yield Harness(server, http, coach, slack, sessions, clock)
    await server.close()


Deliver = Callable[..., Awaitable[Answer]]
