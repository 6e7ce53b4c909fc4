"""What Greenhouse and Ashby send, as pydantic models of the fields the coach reads, and how
each becomes `bot.ats` requests. Everything else in a payload (CV links, e-mails and phone
numbers of the candidate, notes, custom fields) is never read, so it cannot be stored.

Shapes: Greenhouse's webhook documentation (developers.greenhouse.io/webhooks.html, "Candidate
or Prospect Rejected", "Unrejected", "Candidate Deleted", "Candidate Merged"); Ashby's
(developers.ashbyhq.com: "Common Payload Data", "Authenticating Webhooks", and the webhook
payload reference: applicationUpdate's Application object, candidateDelete's `candidate.id`,
candidateMerge's `deletedCandidate.id` and `mergedCandidate.id`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.ats import IntakeEvent, PersonDeleted, PersonMerged, Rejection, StageSeen, Unrejection


class Malformed(Exception):
    """The body is JSON but not a payload this vendor sends."""


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _id(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value) == "":
        raise ValueError("not an id")
    return str(value)[:64]


# -- Greenhouse -----------------------------------------------------------------------------


class _GhUser(_Loose):
    email: str | None = None


class _GhNamed(_Loose):
    name: str | None = None


class _GhReason(_Loose):
    name: str | None = None
    type: _GhNamed | None = None


class _GhSource(_Loose):
    public_name: str | None = None


class _GhCandidate(_Loose):
    id: Any
    first_name: str | None = None
    last_name: str | None = None
    recruiter: _GhUser | None = None
    coordinator: _GhUser | None = None

    _check = field_validator("id")(lambda cls, v: _id(v))


class _GhApplication(_Loose):
    id: Any
    prospect: bool = False
    status: str | None = None
    rejected_at: datetime | None = None
    last_activity_at: datetime | None = None
    url: str | None = None
    credited_to: _GhUser | None = None
    rejection_reason: _GhReason | None = None
    current_stage: _GhNamed | None = None
    source: _GhSource | None = None
    candidate: _GhCandidate
    jobs: list[_GhNamed] = Field(default_factory=list)

    _check = field_validator("id")(lambda cls, v: _id(v))


class _GhPerson(_Loose):
    id: Any
    deleted_application_ids: list[Any] = Field(default_factory=list)
    new_candidate_id: Any = None

    _check = field_validator("id")(lambda cls, v: _id(v))


# Greenhouse's own rejection-reason types for "the candidate said no".
_WITHDRAWN = ("they rejected us", "withdrew", "withdrawn", "trakk", "takket nei")


def greenhouse(data: Any, now: datetime) -> tuple[IntakeEvent | None, list[str]]:
    """(the request, the recruiter e-mails to match); None for actions the coach ignores."""
    if not isinstance(data, dict) or not isinstance(data.get("action"), str):
        raise Malformed("no action")
    action = data["action"]
    payload = data.get("payload")
    if action == "ping":
        return None, []
    if not isinstance(payload, dict):
        raise Malformed("no payload")
    try:
        if action in ("reject_candidate", "unreject_candidate"):
            app = _GhApplication.model_validate(payload.get("application"))
            at = app.last_activity_at or app.rejected_at or now
            if action == "unreject_candidate":
                return Unrejection(vendor="greenhouse", application_id=app.id, event_at=at), []
            name = " ".join(p for p in (app.candidate.first_name, app.candidate.last_name) if p)
            position = next((job.name for job in app.jobs if job.name), None)
            reason_type = ""
            if app.rejection_reason and app.rejection_reason.type:
                reason_type = (app.rejection_reason.type.name or "").casefold()
            emails = [
                user.email
                for user in (app.candidate.recruiter, app.credited_to, app.candidate.coordinator)
                if user is not None and user.email
            ]
            source = (app.source.public_name or "") if app.source else ""
            event = Rejection(
                vendor="greenhouse",
                application_id=app.id,
                person_id=app.candidate.id,
                name=name.strip() or "?",
                position=(position or "?").strip()[:200],
                rejected_at=app.rejected_at or now,
                internal="internal" in source.casefold(),
                link=app.url if app.url and app.url.startswith("https://") else None,
                recruiter_emails=list(dict.fromkeys(emails)),
                stage=app.current_stage.name if app.current_stage else None,
                by_employer=not any(word in reason_type for word in _WITHDRAWN),
                prospect=app.prospect,
                event_at=at,
            )
            return event, event.recruiter_emails
        if action in ("delete_candidate", "merge_candidate"):
            person = _GhPerson.model_validate(payload.get("person"))
            if action == "merge_candidate":
                if person.new_candidate_id is None:
                    raise Malformed("merge without new_candidate_id")
                into = _id(person.new_candidate_id)
                return PersonMerged(vendor="greenhouse", person_id=person.id, into=into), []
            ids = [_id(value) for value in person.deleted_application_ids]
            return PersonDeleted(vendor="greenhouse", person_id=person.id, application_ids=ids), []
    except ValueError as error:  # pydantic's ValidationError is one
        raise Malformed(type(error).__name__) from None
    return None, []


# -- Ashby --------------------------------------------------------------------------------------


class _AshbyUser(_Loose):
    email: str | None = None
    role: str | None = None


class _AshbyStage(_Loose):
    title: str | None = None
    type: str | None = None


class _AshbyReason(_Loose):
    reasonType: str | None = None


class _AshbyCandidate(_Loose):
    id: Any
    name: str | None = None
    profileUrl: str | None = None

    _check = field_validator("id")(lambda cls, v: _id(v))


class _AshbyJob(_Loose):
    title: str | None = None


class _AshbySource(_Loose):
    title: str | None = None


class _AshbyMerge(_Loose):
    deletedCandidate: _AshbyCandidate
    mergedCandidate: _AshbyCandidate


class _AshbyApplication(_Loose):
    id: Any
    status: str
    updatedAt: datetime | None = None
    archivedAt: datetime | None = None
    candidate: _AshbyCandidate
    job: _AshbyJob | None = None
    currentInterviewStage: _AshbyStage | None = None
    archiveReason: _AshbyReason | None = None
    hiringTeam: list[_AshbyUser] = Field(default_factory=list)
    creditedToUser: _AshbyUser | None = None
    source: _AshbySource | None = None

    _check = field_validator("id")(lambda cls, v: _id(v))


_ROLE_ORDER = {"recruiter": 0, "hiring manager": 1}


def ashby(data: Any, now: datetime) -> tuple[IntakeEvent | None, list[str]]:
    if not isinstance(data, dict) or not isinstance(data.get("action"), str):
        raise Malformed("no action")
    action = data["action"]
    if action == "ping":
        return None, []
    body = data.get("data")
    if not isinstance(body, dict):
        raise Malformed("no data")
    try:
        if action == "applicationUpdate":
            app = _AshbyApplication.model_validate(body.get("application"))
            at = app.updatedAt or now
            stage = app.currentInterviewStage.title if app.currentInterviewStage else None
            if app.status != "Archived":
                if app.status == "Active" and stage:
                    return StageSeen(
                        vendor="ashby", application_id=app.id, stage=stage[:200], event_at=at
                    ), []
                return None, []
            team = sorted(
                (user for user in app.hiringTeam if user.email),
                key=lambda user: _ROLE_ORDER.get((user.role or "").casefold(), 2),
            )
            emails = [user.email for user in team if user.email]
            if app.creditedToUser and app.creditedToUser.email:
                emails.append(app.creditedToUser.email)
            reason = app.archiveReason.reasonType if app.archiveReason else None
            link = (
                app.candidate.profileUrl or f"https://app.ashbyhq.com/candidates/{app.candidate.id}"
            )
            source = (app.source.title or "") if app.source else ""
            event = Rejection(
                vendor="ashby",
                application_id=app.id,
                person_id=app.candidate.id,
                name=(app.candidate.name or "?").strip()[:200] or "?",
                position=((app.job.title if app.job else None) or "?").strip()[:200],
                rejected_at=app.archivedAt or at,
                internal="internal" in source.casefold(),
                link=link if link.startswith("https://") else None,
                recruiter_emails=list(dict.fromkeys(emails)),
                stage=stage,
                by_employer=reason == "RejectedByOrg",
                event_at=at,
            )
            return event, event.recruiter_emails
        if action == "candidateDelete":
            candidate = _AshbyCandidate.model_validate(body.get("candidate"))
            return PersonDeleted(vendor="ashby", person_id=candidate.id), []
        if action == "candidateMerge":
            merge = _AshbyMerge.model_validate(body)
            into = merge.mergedCandidate.id
            if into == merge.deletedCandidate.id:
                return None, []
            return PersonMerged(vendor="ashby", person_id=merge.deletedCandidate.id, into=into), []
    except ValueError as error:
        raise Malformed(type(error).__name__) from None
    return None, []


# -- Teamtailor -------------------------------------------------------------------------------


class TeamtailorRejected(BaseModel):
    """A rejected job application from Teamtailor's webhook. The webhook carries no name and
    no recruiter, so the rest is read from Teamtailor's API (`bot.intake.teamtailor`)."""

    application_id: str
    stage: str | None
    position: str | None
    rejected_at: datetime
    event_at: datetime


def _attribute(attributes: dict[str, Any], name: str) -> Any:
    """Teamtailor documents attributes in kebab-case and lists some in snake_case: either."""
    return attributes.get(name, attributes.get(name.replace("-", "_")))


class _TtData(_Loose):
    id: Any
    attributes: dict[str, Any] = Field(default_factory=dict)

    _check = field_validator("id")(lambda cls, v: _id(v))


class _TtPayload(_Loose):
    event_name: str
    data: _TtData


class _TtTimes(_Loose):
    rejected_at: datetime | None = None
    updated_at: datetime | None = None


def teamtailor(
    data: Any, now: datetime
) -> tuple[IntakeEvent | TeamtailorRejected | None, list[str]]:
    if not isinstance(data, dict):
        raise Malformed("not an object")
    try:
        payload = _TtPayload.model_validate(data.get("payload"))
        event, item = payload.event_name, payload.data
        if event == "job_application.update":
            times = _TtTimes(
                rejected_at=_attribute(item.attributes, "rejected-at"),
                updated_at=_attribute(item.attributes, "updated-at"),
            )
            at = times.updated_at or now
            if times.rejected_at is None:
                # Moved, or unrejected: a pending candidate of this application goes.
                return Unrejection(
                    vendor="teamtailor", application_id=item.id, event_at=at, remember=False
                ), []
            stage = _attribute(item.attributes, "stage-name")
            title = _attribute(item.attributes, "job-title")
            return TeamtailorRejected(
                application_id=item.id,
                stage=stage[:200] if isinstance(stage, str) and stage else None,
                position=title[:200] if isinstance(title, str) and title else None,
                rejected_at=times.rejected_at,
                event_at=at,
            ), []
        if event == "job_application.destroy":
            return PersonDeleted(vendor="teamtailor", application_ids=[item.id]), []
        if event == "candidate.destroy":
            return PersonDeleted(vendor="teamtailor", person_id=item.id), []
    except ValueError as error:
        raise Malformed(type(error).__name__) from None
    return None, []
