"""Teamtailor's API, for what its job_application webhook leaves out: the candidate's name,
internal or not, the job's recruiter, and whether the company or the candidate said no.

One GET of the application with its candidate, job, the job's recruiter, stage and reject
reason included (JSON:API, `Authorization: Token token=<key>`, `X-Api-Version`), with the
admin's API key. Shapes as Teamtailor's API reference documents them (docs.teamtailor.com):
a job application relates to `candidate`, `job`, `stage` and `reject-reason`; a job's
recruiter is its `user` relation, whose `email` (or `login-email`) we match; a reject reason
says `rejected-by-company`. Only the fields named here are read; the candidate's e-mail, phone
and CV never are.
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


# JSON:API `include`: the job's recruiter is one relation further, hence `job.user`.
INCLUDE = "candidate,job,job.user,stage,reject-reason"


def _linkage(resource: Any, relation: str) -> tuple[str, str] | None:
    """(type, id) a resource's relation points at, when the document carries the linkage."""
    if not isinstance(resource, dict):
        return None
    relations = resource.get("relationships")
    found = relations.get(relation) if isinstance(relations, dict) else None
    data = found.get("data") if isinstance(found, dict) else None
    if not isinstance(data, dict):
        return None
    kind, ident = data.get("type"), data.get("id")
    if isinstance(kind, str) and isinstance(ident, (str, int)) and str(ident):
        return kind, str(ident)
    return None


def _resource(document: dict[str, Any], link: tuple[str, str] | None) -> dict[str, Any]:
    """The included resource a linkage names; {} when it was not included."""
    if link is None:
        return {}
    for item in document.get("included") or []:
        if isinstance(item, dict) and (item.get("type"), str(item.get("id"))) == link:
            return item
    return {}


def _attributes(resource: dict[str, Any]) -> dict[str, Any]:
    attributes = resource.get("attributes")
    return attributes if isinstance(attributes, dict) else {}


def _text(attributes: dict[str, Any], name: str) -> str | None:
    value = attributes.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


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
    params = {"include": INCLUDE}
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
    application = document.get("data")
    candidate_link = _linkage(application, "candidate")
    job = _resource(document, _linkage(application, "job"))
    candidate = _attributes(_resource(document, candidate_link))
    stage = _attributes(_resource(document, _linkage(application, "stage")))
    reason = _attributes(_resource(document, _linkage(application, "reject-reason")))
    recruiter = _attributes(_resource(document, _linkage(job, "user")))
    name = " ".join(
        part for part in (_text(candidate, "first-name"), _text(candidate, "last-name")) if part
    )
    position = _text(_attributes(job), "title") or change.position
    emails = [
        email
        for email in dict.fromkeys((_text(recruiter, "email"), _text(recruiter, "login-email")))
        if email and "@" in email
    ]
    by_company = reason.get("rejected-by-company")
    rejection = Rejection(
        vendor="teamtailor",
        application_id=change.application_id,
        person_id=candidate_link[1][:64] if candidate_link else None,
        name=(name or "?")[:200],
        position=(position or "?")[:200],
        rejected_at=change.rejected_at,
        internal=candidate.get("internal") is True,
        recruiter_emails=emails,
        stage=_text(stage, "name") or change.stage,
        # No reason given counts as the company's decision; a reason says which side it was.
        by_employer=by_company is not False,
        event_at=change.event_at,
    )
    return rejection, emails


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None
