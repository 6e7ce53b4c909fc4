"""Teamtailor's company webhook (job_application.update) over real HTTP, signed as Teamtailor
documents its v2 signature (partner.teamtailor.com, "Webhook Signatures": `TT-Signature` =
Base64 of `t=<unix time>,v2=<hex HMAC-SHA256 of "<t>.<JSON of payload>">`), with the
candidate's name and the job's recruiter read from a local stand-in for Teamtailor's API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.settings import Settings
from tests.support.intake import HERE, RECRUITER, Harness, Hook, sample

LINE = "line.berg@example.com"
SIGNATURE_KEY = "tt-signature-key-0123456789abcdef"
API_KEY = "tt-api-key-read-only-42"


@dataclass
class FakeTeamtailor:
    """Teamtailor's API: GET /v1/job-applications/{id}?include=..., as JSON:API."""

    server: TestServer | None = None
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, str, str]] = field(default_factory=list)
    status: int = 200

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            (
                request.match_info["id"],
                request.headers.get("Authorization", ""),
                request.headers.get("X-Api-Version", ""),
                request.query.get("include", ""),
            )
        )
        if self.status != 200:
            return web.json_response({"errors": [{"status": str(self.status)}]}, status=self.status)
        document = self.documents.get(request.match_info["id"])
        if document is None:
            return web.json_response({"errors": [{"status": "404"}]}, status=404)
        return web.json_response(document, content_type="application/vnd.api+json")

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("/v1/"))


@pytest.fixture
async def teamtailor_api() -> AsyncIterator[FakeTeamtailor]:
    fake = FakeTeamtailor()
    app = web.Application()
    app.router.add_get("/v1/job-applications/{id}", fake.handle)
    fake.server = TestServer(app, host="127.0.0.1")
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest.fixture
def intake_settings(intake_settings: Settings, teamtailor_api: FakeTeamtailor) -> Settings:
    return intake_settings.model_copy(update={"teamtailor_api_url": teamtailor_api.url})


def delivery(
    application: str = "48213", rejected: str | None = "2026-11-23T09:59:12.298+01:00", **attrs: Any
) -> dict[str, Any]:
    data = sample("teamtailor_job_application_update.json")
    data["payload"]["data"]["id"] = application
    data["payload"]["data"]["attributes"]["rejected-at"] = rejected
    data["payload"]["data"]["attributes"].update(attrs)
    return data


def api_document(application: str = "48213", **changes: Any) -> dict[str, Any]:
    document = json.loads((HERE / "teamtailor_api_job_application.json").read_text("utf-8"))
    document["data"]["id"] = application
    for item in document["included"]:
        item["attributes"].update(changes.get(item["type"], {}))
    return document


def sign(data: dict[str, Any], key: str, stamp: int) -> tuple[bytes, dict[str, str]]:
    """As Teamtailor does: the HMAC of `<t>.` + JSON.stringify(payload), in the body and header."""
    signed = f"{stamp}." + json.dumps(data["payload"], separators=(",", ":"), ensure_ascii=False)
    digest = hmac.new(key.encode(), signed.encode(), hashlib.sha256).hexdigest()
    signature = base64.b64encode(f"t={stamp},v2={digest}".encode()).decode()
    body = json.dumps({**data, "signature": signature}, ensure_ascii=False).encode()
    return body, {"Content-Type": "application/json", "TT-Signature": signature}


async def connect(harness: Harness, api_key: bool = True) -> Hook:
    text = await harness.say(harness.admin(), "integration teamtailor")
    assert "Signing secret" not in text and "signature version v2" in text
    path = "/" + text.split("Webhook URL: ", 1)[1].split()[0].split("/", 3)[3]
    saved = await harness.say(harness.admin(), f"integration teamtailor key {SIGNATURE_KEY}")
    assert "signature key is saved" in saved
    if api_key:
        assert "API key is saved" in await harness.say(
            harness.admin(), f"integration teamtailor api {API_KEY}"
        )
    return Hook("teamtailor", "", SIGNATURE_KEY, path)


async def send(
    harness: Harness, hook: Hook, data: dict[str, Any], *, key: str = SIGNATURE_KEY, age: int = 0
):
    stamp = int(harness.clock.now.timestamp()) - age
    body, headers = sign(data, key, stamp)
    return await harness.post(hook.path, body, headers)


async def test_a_rejection_is_read_from_the_api_and_becomes_the_recruiters_candidate(
    harness: Harness, teamtailor_api: FakeTeamtailor
) -> None:
    harness.slack.emails[LINE] = RECRUITER
    teamtailor_api.documents["48213"] = api_document()
    hook = await connect(harness)
    answer = await send(harness, hook, delivery())
    assert (answer.status, answer.result) == (200, "created")
    assert teamtailor_api.requests == [
        (
            "48213",
            f"Token token={API_KEY}",
            "20240404",
            "candidate,job,job.user,stage,reject-reason",
        )
    ]
    assert [(n, p, r) for n, p, r, _ in await harness.candidates()] == [
        ("Kari Nordmann", "Lønnskonsulent", RECRUITER)
    ]
    [row] = await harness.applications()
    assert (row.application_id, row.ats_candidate_id) == ("48213", "90211")
    assert (
        row.rejected_at is not None
        and row.rejected_at.isoformat() == "2026-11-23T08:59:12.298000+00:00"
    )


async def test_rejected_by_the_candidate_or_before_interview_is_only_counted(
    harness: Harness, teamtailor_api: FakeTeamtailor
) -> None:
    harness.slack.emails[LINE] = RECRUITER
    teamtailor_api.documents["1"] = api_document(
        "1", **{"reject-reasons": {"rejected-by-company": False, "reason": "Takket nei"}}
    )
    teamtailor_api.documents["2"] = api_document("2", stages={"name": "Screening"})
    hook = await connect(harness)
    for application in ("1", "2"):
        assert (await send(harness, hook, delivery(application))).result == "ignored"
    assert await harness.candidates() == []
    assert (await harness.integration("teamtailor")).ignored_count == 2


async def test_unsigned_wrong_key_v1_stale_replayed_and_tampered_are_refused(
    harness: Harness, teamtailor_api: FakeTeamtailor
) -> None:
    harness.slack.emails[LINE] = RECRUITER
    teamtailor_api.documents["48213"] = api_document()
    hook = await connect(harness)
    stamp = int(harness.clock.now.timestamp())
    body, headers = sign(delivery(), SIGNATURE_KEY, stamp)
    assert (await harness.post(hook.path, body, {"Content-Type": "application/json"})).status == 401
    assert (await send(harness, hook, delivery(), key="not-the-key-0123456789")).status == 401
    # The deprecated v1 signature (Base64 of the hex HMAC of the id only) is not accepted.
    v1 = hmac.new(SIGNATURE_KEY.encode(), b"48213", hashlib.sha256).hexdigest()
    v1_headers = {**headers, "TT-Signature": base64.b64encode(v1.encode()).decode()}
    assert (await harness.post(hook.path, body, v1_headers)).status == 401
    stale = await send(harness, hook, delivery(), age=600)
    assert (stale.status, stale.result) == (401, "stale")
    tampered = body.replace("Lønnskonsulent".encode(), b"Direktor")
    assert (await harness.post(hook.path, tampered, headers)).status == 401
    assert (await harness.post(hook.path, b"{nope", headers)).status == 400
    deep = b"[" * 100_000 + b"]" * 100_000
    assert (await harness.post(hook.path, deep, headers)).status == 400
    assert teamtailor_api.requests == [] and await harness.candidates() == []
    assert (await harness.post(hook.path, body, headers)).status == 200
    replay = await harness.post(hook.path, body, headers)
    assert (replay.status, replay.result) == (409, "replayed")
    assert len(await harness.candidates()) == 1


async def test_without_the_api_nothing_is_stored_and_the_admin_sees_why(
    harness: Harness, teamtailor_api: FakeTeamtailor
) -> None:
    teamtailor_api.documents["48213"] = api_document()
    hook = await connect(harness, api_key=False)
    assert (await send(harness, hook, delivery())).status == 503
    await harness.say(harness.admin(), f"integration teamtailor api {API_KEY}")
    teamtailor_api.status = 500
    assert (await send(harness, hook, delivery())).status == 503
    assert await harness.candidates() == [] and await harness.applications() == []
    status = await harness.say(harness.admin(), "integration")
    assert "Teamtailor: last delivery never, 2 refused deliveries" in status
    assert "lookup_teamtailor_http_500" in status


async def test_unreject_and_delete_are_followed(
    harness: Harness, teamtailor_api: FakeTeamtailor
) -> None:
    harness.slack.emails[LINE] = RECRUITER
    for application in ("1", "2"):
        teamtailor_api.documents[application] = api_document(application)
    hook = await connect(harness)
    await send(harness, hook, delivery("1"))
    await send(harness, hook, delivery("2"))
    [(_, _, _, first), (_, _, _, second)] = await harness.candidates()
    later = "2026-11-23T10:30:00.000+01:00"
    moved_back = await send(harness, hook, delivery("1", rejected=None, **{"updated-at": later}))
    assert moved_back.result == "removed"
    assert ("ats_unreject", first) in await harness.audit()
    destroy = {
        "payload": {
            "event_name": "job_application.destroy",
            "data": {"id": "2", "type": "job-applications"},
        }
    }
    assert (await send(harness, hook, destroy)).result == "erased"
    assert ("ats_delete", second) in await harness.audit()
    assert [name for name, *_ in await harness.candidates()] == [None]
    # A stage move of an application never seen here leaves no trace.
    unknown = await send(harness, hook, delivery("3", rejected=None))
    assert unknown.result == "known"
    assert {row.application_id for row in await harness.applications()} == {"1", "2"}


async def test_keys_only_where_the_vendor_makes_them(harness: Harness) -> None:
    text = await harness.say(harness.admin(), f"integration teamtailor key {SIGNATURE_KEY}")
    assert "not connected yet" in text
    await harness.connect("greenhouse")
    text = await harness.say(harness.admin(), f"integration greenhouse key {SIGNATURE_KEY}")
    assert "no key to send me" in text
    recruiter = harness.admin().model_copy(update={"user": RECRUITER})
    assert "Only an admin" in await harness.say(
        recruiter, f"integration teamtailor key {SIGNATURE_KEY}"
    )
