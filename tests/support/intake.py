"""ATS intake as the tests play it: the vendors' documented samples (in tests/intake/), deliveries
signed exactly as each vendor signs them, and a harness around the server over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.coach import Coach
from bot.messages import Identity, Inbound
from storage.tables import (
    AtsApplication,
    AtsIntegration,
    AuditEvent,
    Candidate,
    Position,
    Recruiter,
)
from tests.support.database import Clock
from tests.support.slack_api import FakeSlack

# The vendors' samples live beside the intake tests.
HERE = Path(__file__).resolve().parents[1] / "intake"
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


# A Greenhouse rejection as Greenhouse delivers it.
LINE = "line.berg@example.com"


def rejected(
    recruiter: str | None = LINE,
    application: int = 265293,
    person: int = 265788,
    stage: str = "Offer",
    at: str = "2015-02-11T15:50:41Z",
    **changes: Any,
) -> dict[str, Any]:
    """The documented reject_candidate sample; with a recruiter as in the documented
    hire_candidate sample's `candidate.recruiter`."""
    data = sample("greenhouse_reject_candidate.json")
    app = data["payload"]["application"]
    app["id"], app["candidate"]["id"], app["last_activity_at"] = application, person, at
    app["current_stage"]["name"] = stage
    if recruiter:
        app["candidate"]["recruiter"] = {
            "id": 55,
            "email": recruiter,
            "name": "Line Berg",
            "employee_id": "456DEF",
        }
    app.update(changes)
    return data
