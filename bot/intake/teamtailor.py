"""Teamtailor's API, for what its job_application webhook leaves out: the candidate's name,
internal or not, the job's recruiter, and whether the company or the candidate said no.

One GET of the application with its candidate, job, stage and reject reason included
(JSON:API, `Authorization: Token token=<key>`, `X-Api-Version`), with the admin's API key.
Only the fields named here are read; the candidate's e-mail, phone and CV never are.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.ats import Rejection
from bot.intake.recruiters import LookupUnavailable
from bot.intake.vendors import TeamtailorRejected

API_VERSION = "20240404"
TIMEOUT = aiohttp.ClientTimeout(total=10)
MAX_RESPONSE = 2 * 1024 * 1024


def _included(document: dict[str, Any], kind: str) -> dict[str, Any]:
    for item in document.get("included") or []:
        if isinstance(item, dict) and item.get("type") == kind:
            attributes = item.get("attributes")
            return attributes if isinstance(attributes, dict) else {}
    return {}


async def complete(
    change: TeamtailorRejected, api_url: str, api_key: str | None
) -> tuple[Rejection, list[str]]:
    """The full rejection, and the recruiter's e-mail to match; LookupUnavailable when
    Teamtailor cannot be asked now (no key, refused, down, slow)."""
    if not api_key:
        raise LookupUnavailable("no_api_key")
    url = f"{api_url.rstrip('/')}/job-applications/{change.application_id}"
    headers = {
        "Authorization": f"Token token={api_key}",
        "X-Api-Version": API_VERSION,
        "Accept": "application/vnd.api+json",
    }
    params = {"include": "candidate,job,stage,reject-reason"}
    try:
        async with (
            aiohttp.ClientSession(timeout=TIMEOUT) as client,
            client.get(url, headers=headers, params=params) as response,
        ):
            if response.status != 200:
                raise LookupUnavailable(f"teamtailor_http_{response.status}")
            raw = await response.content.read(MAX_RESPONSE + 1)
            if len(raw) > MAX_RESPONSE:
                raise LookupUnavailable("teamtailor_too_large")
            document = _json(raw)
    except (TimeoutError, aiohttp.ClientError, OSError) as error:
        raise LookupUnavailable(type(error).__name__) from None
    if not isinstance(document, dict):
        raise LookupUnavailable("teamtailor_unreadable")
    candidate = _included(document, "candidates")
    job = _included(document, "jobs")
    stage = _included(document, "stages")
    reason = _included(document, "reject-reasons")
    name = " ".join(
        str(part) for part in (candidate.get("first-name"), candidate.get("last-name")) if part
    ).strip()
    position = job.get("title") if isinstance(job.get("title"), str) else change.position
    recruiter = job.get("recruiter-email")
    emails = [recruiter] if isinstance(recruiter, str) and "@" in recruiter else []
    by_company = reason.get("rejected-by-company")
    rejection = Rejection(
        vendor="teamtailor",
        application_id=change.application_id,
        person_id=_person(document),
        name=(name or "?")[:200],
        position=(position or "?")[:200],
        rejected_at=change.rejected_at,
        internal=bool(candidate.get("internal")),
        recruiter_emails=emails,
        stage=stage.get("name") if isinstance(stage.get("name"), str) else change.stage,
        # No reason given counts as the company's decision; a reason says which side it was.
        by_employer=by_company is not False,
        event_at=change.event_at,
    )
    return rejection, emails


def _person(document: dict[str, Any]) -> str | None:
    data = document.get("data")
    if not isinstance(data, dict):
        return None
    relation = ((data.get("relationships") or {}).get("candidate") or {}).get("data") or {}
    found = relation.get("id") if isinstance(relation, dict) else None
    return str(found)[:64] if isinstance(found, (str, int)) and str(found) else None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
