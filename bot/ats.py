"""Candidates from an applicant tracking system, in the engine: what each ATS change does here.

The intake channel (`bot/intake/`) turns vendor webhooks and CSV rows into the typed requests
below; this module applies them in one transaction each. The admin commands are in
`bot/engine/intake.py`, the batched message to the recruiter in `bot/ats_notices.py`.

Only interviewed candidates the employer rejected become candidates here. Who withdrew, or was
turned down before any interview, is counted on the integration and not stored at all. What is
stored is the name, the position, the rejection date, internal or not, the ATS's ids and a link
back to the application: never a CV, e-mail, phone number or the ATS's notes.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field

from bot import commands
from bot.messages import Identity
from storage import intake as store
from storage import privacy as privacy_store
from storage import queries
from storage.tables import AtsApplication, AtsIntegration

if TYPE_CHECKING:
    from bot.engine.context import Runtime

log = logging.getLogger(__name__)

VENDOR_NAMES = {
    "greenhouse": "Greenhouse",
    "teamtailor": "Teamtailor",
    "ashby": "Ashby",
    "csv": "CSV",
}
# Without a workspace setting, a stage whose name contains one of these counts as interviewed.
DEFAULT_INTERVIEWED: dict[str, tuple[str, ...]] = {
    "greenhouse": ("interview", "face to face", "onsite", "on-site", "reference", "offer"),
    "ashby": ("interview", "onsite", "on-site", "reference", "offer", "final"),
    "teamtailor": ("interview", "reference", "offer"),
}
# Vendors whose signature key is made by the vendor and given to us, not the other way round.
VENDOR_MADE_KEYS = frozenset({"teamtailor"})
# Norwegian stage names are common in Nordic set-ups, whatever the vendor.
NORWEGIAN_INTERVIEWED = ("intervju", "referanse", "tilbud")

_TEXT = Annotated[str, Field(min_length=1, max_length=commands.MAX_NAME)]
_ID = Annotated[str, Field(min_length=1, max_length=64)]


class Rejection(BaseModel):
    """An application was rejected in the source. `by_employer` False: the candidate withdrew."""

    kind: Literal["rejection"] = "rejection"
    vendor: str
    application_id: _ID
    person_id: _ID | None = None
    name: _TEXT
    position: _TEXT
    rejected_at: datetime
    internal: bool = False
    link: Annotated[str, Field(max_length=500)] | None = None
    recruiter_emails: list[str] = []
    # A chat user id given directly (CSV import), instead of an e-mail.
    recruiter_user: str | None = None
    # The stage the application was in; None: the source only lists interviewed candidates.
    stage: str | None = None
    by_employer: bool = True
    prospect: bool = False
    event_at: datetime


class StageSeen(BaseModel):
    """An application moved while still active: only its stage is remembered (by id)."""

    kind: Literal["stage"] = "stage"
    vendor: str
    application_id: _ID
    stage: _TEXT
    event_at: datetime


class Unrejection(BaseModel):
    kind: Literal["unrejection"] = "unrejection"
    vendor: str
    application_id: _ID
    event_at: datetime
    # Whether an application not known here is remembered as unrejected (so a late rejection
    # stays out). False where "not rejected" arrives with every stage move (Teamtailor).
    remember: bool = True


class PersonDeleted(BaseModel):
    kind: Literal["deleted"] = "deleted"
    vendor: str
    person_id: _ID | None = None
    application_ids: list[_ID] = []


class PersonMerged(BaseModel):
    kind: Literal["merged"] = "merged"
    vendor: str
    person_id: _ID
    into: _ID


IntakeEvent = Rejection | StageSeen | Unrejection | PersonDeleted | PersonMerged
Result = Literal[
    "created",
    "unassigned",
    "ignored",
    "known",
    "stale",
    "removed",
    "kept",
    "erased",
    "merged",
    "replayed",
]


def interviewed(vendor: str, stage: str | None, configured: Sequence[str] | None) -> bool:
    """Whether a stage counts as "interviewed": the workspace's list, else the vendor's default."""
    if stage is None:
        return True
    name = stage.strip().casefold()
    if configured:
        return name in {item.strip().casefold() for item in configured}
    words = (
        DEFAULT_INTERVIEWED.get(vendor, DEFAULT_INTERVIEWED["greenhouse"]) + NORWEGIAN_INTERVIEWED
    )
    return any(word in name for word in words)


def new_secret() -> str:
    return secrets.token_hex(32)


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Endpoint:
    integration_id: int
    workspace_id: int
    platform: str
    workspace: str
    secret: str
    api_key: str | None


class Intake:
    """ATS requests applied to the store, and the admin commands about them."""

    def __init__(self, coach: Runtime) -> None:
        # The engine's services (not the Coach facade): the ATS side never imports bot.coach.
        self.coach = coach

    def t(self, language: str, key: str, **values: object) -> str:
        return self.coach.t(language, key, **values)

    # -- matching recruiters ---------------------------------------------------------------

    async def known_recruiter(self, workspace_id: int, emails: Sequence[str]) -> Identity | None:
        """The chat user with one of these work e-mails, as the store already knows them."""
        async with self.coach.sessions() as session:
            space = await store.workspace(session, workspace_id)
            for email in emails:
                found = await store.recruiter_by_email(session, workspace_id, email)
                if found is not None:
                    return Identity(
                        platform=space.platform, workspace=space.external_id, user=found.external_id
                    )
        return None

    async def remember_email(self, who: Identity, email: str) -> None:
        """A recruiter's work e-mail or UPN, as their platform reported it."""
        async with self.coach.sessions.begin() as session:
            recruiter = await queries.recruiter_for(
                session, who.platform, who.workspace, who.user, self.coach.clock()
            )
            await store.remember_email(session, recruiter, email, self.coach.clock())

    async def knows_email(self, who: Identity) -> bool:
        async with self.coach.sessions() as session:
            recruiter = await queries.find_recruiter(session, who.platform, who.workspace, who.user)
            return recruiter is not None and await store.has_email(session, recruiter)

    # -- applying what the source says ------------------------------------------------------

    async def apply(
        self,
        workspace_id: int,
        event: IntakeEvent,
        owner: Identity | None = None,
        owner_email: str | None = None,
        integration_id: int | None = None,
        delivery_key: str | None = None,
    ) -> Result:
        """Apply one change from the source, idempotently; `owner`: the matched recruiter.

        A `delivery_key` seen before is a replay: nothing changes.
        """
        async with self.coach.sessions.begin() as session:
            now = self.coach.clock()
            if delivery_key and not await queries.claim_event(session, delivery_key, now):
                return "replayed"
            integration = (
                await session.get(AtsIntegration, integration_id) if integration_id else None
            )
            if integration is not None:
                integration.last_delivery_at = now
            if isinstance(event, PersonDeleted):
                return await self._deleted(session, workspace_id, event, now)
            if isinstance(event, PersonMerged):
                return await self._merged(session, workspace_id, event, now)
            row = await store.application(session, workspace_id, event.vendor, event.application_id)
            if row is not None and row.status == "deleted":
                return "stale"
            if row is not None and row.event_at is not None and _older(event, row):
                return "stale"
            active_again = row is not None and row.status in ("pending", "unassigned")
            if isinstance(event, StageSeen) and row is not None and active_again:
                # Active again after the rejection (Ashby unarchived it): an unreject.
                unreject = Unrejection(
                    vendor=event.vendor,
                    application_id=event.application_id,
                    event_at=event.event_at,
                )
                result = await self._unrejected(session, workspace_id, row, unreject, now)
                if row.status == "unrejected":
                    row.stage = event.stage
                return result
            if isinstance(event, StageSeen):
                if row is None:
                    row = await self._row(
                        session, workspace_id, event.vendor, event.application_id, now
                    )
                    if row is None:
                        return "known"
                if row.status in ("active", "unrejected"):
                    row.status, row.stage = "active", event.stage
                row.event_at, row.updated_at = event.event_at, now
                return "known"
            if isinstance(event, Unrejection):
                return await self._unrejected(session, workspace_id, row, event, now)
            return await self._rejected(
                session, workspace_id, integration, row, event, owner, owner_email, now
            )

    async def _row(
        self, session, workspace_id: int, vendor: str, application_id: str, now: datetime
    ) -> AtsApplication | None:
        row = await store.new_application(session, workspace_id, vendor, application_id, now)
        if row is None:
            # Delivered twice at the same moment: the other delivery made the row.
            row = await store.application(session, workspace_id, vendor, application_id)
        return row

    async def _rejected(
        self,
        session,
        workspace_id: int,
        integration: AtsIntegration | None,
        row: AtsApplication | None,
        event: Rejection,
        owner: Identity | None,
        owner_email: str | None,
        now: datetime,
    ) -> Result:
        if row is not None and row.status in ("pending", "unassigned", "expired"):
            row.event_at = max(row.event_at or event.event_at, event.event_at)
            return "known"
        stage = event.stage
        if stage is not None and row is not None and row.stage and _archived_stage(stage):
            # Ashby archives into an "Archived" stage: the stage before it is what counts.
            stage = row.stage
        configured = integration.interviewed_stages if integration is not None else None
        if (
            not event.by_employer
            or event.prospect
            or not interviewed(event.vendor, stage, configured)
        ):
            # Counted, not stored: nobody is to call them, so nothing about them is kept.
            if integration is not None:
                integration.ignored_count += 1
            if row is not None:
                row.event_at, row.updated_at = event.event_at, now
            return "ignored"
        if row is None:
            row = await self._row(session, workspace_id, event.vendor, event.application_id, now)
            if row is None or row.status in ("pending", "unassigned"):
                return "known"
        row.ats_candidate_id = event.person_id
        row.rejected_at = event.rejected_at
        row.internal = event.internal
        row.link = event.link
        row.event_at, row.updated_at = event.event_at, now
        row.notified_at = None
        if owner is None:
            row.status = "unassigned"
            row.name, row.position = event.name, event.position
            row.recruiter_email = (event.recruiter_emails or [event.recruiter_user or ""])[0][:254]
            return "unassigned"
        recruiter = await queries.recruiter_for(
            session, owner.platform, owner.workspace, owner.user, now
        )
        if owner_email:
            await store.remember_email(session, recruiter, owner_email, now)
        candidate = await self.new_candidate(
            session, recruiter, event.name, event.position, event.internal, event.rejected_at, now
        )
        row.status, row.candidate_id = "pending", candidate.id
        row.name = row.position = row.recruiter_email = None
        return "created"

    async def new_candidate(self, session, recruiter, name, title, internal, rejected_at, now):
        position = await queries.get_or_create_position(session, recruiter.workspace_id, title, now)
        candidate = await queries.add_candidate(session, recruiter, position, name, internal, now)
        candidate.rejected_at = rejected_at
        await session.flush()
        return candidate

    async def _unrejected(
        self,
        session,
        workspace_id: int,
        row: AtsApplication | None,
        event: Unrejection,
        now: datetime,
    ) -> Result:
        if row is None and not event.remember:
            return "known"
        if row is None:
            # Not known here (ignored, or not yet arrived): remember it, so a late reject stays out.
            row = await self._row(session, workspace_id, event.vendor, event.application_id, now)
            if row is not None:
                row.status, row.event_at = "unrejected", event.event_at
            return "known"
        row.event_at, row.updated_at = event.event_at, now
        if row.status == "unassigned":
            store.clear_personal(row)
            row.status = "unrejected"
            return "removed"
        if row.status != "pending" or row.candidate_id is None:
            row.status = "unrejected" if row.status == "active" else row.status
            return "known"
        candidate = await store.candidate(session, row.candidate_id)
        if candidate is None or candidate.outcome is not None or candidate.attempts:
            # The call happened (or was tried): the record of it stays.
            return "kept"
        privacy_store.audit(
            session, row.workspace_id, "ats", "ats_unreject", candidate.public_id, now
        )
        await store.delete_candidate(session, candidate.id)
        row.status, row.candidate_id = "unrejected", None
        return "removed"

    async def _deleted(
        self, session, workspace_id: int, event: PersonDeleted, now: datetime
    ) -> Result:
        rows = (
            list(
                await store.applications_of_person(
                    session, workspace_id, event.vendor, event.person_id
                )
            )
            if event.person_id
            else []
        )
        known = {row.id for row in rows}
        rows += [
            row
            for row in await store.applications_by_ids(
                session, workspace_id, event.vendor, event.application_ids
            )
            if row.id not in known
        ]
        ids = [row.candidate_id for row in rows if row.candidate_id is not None]
        for candidate_id in ids:
            candidate = await store.candidate(session, candidate_id)
            if candidate is not None:
                privacy_store.audit(
                    session, workspace_id, "ats", "ats_delete", candidate.public_id, now
                )
        await privacy_store.anonymize(session, ids, now)
        for row in rows:
            store.clear_personal(row)
            row.status, row.updated_at = "deleted", now
        for application_id in event.application_ids:
            if application_id not in {row.application_id for row in rows}:
                tomb = await self._row(session, workspace_id, event.vendor, application_id, now)
                if tomb is not None:
                    tomb.status = "deleted"
        return "erased"

    async def _merged(
        self, session, workspace_id: int, event: PersonMerged, now: datetime
    ) -> Result:
        rows = await store.applications_of_person(
            session, workspace_id, event.vendor, event.person_id
        )
        for row in rows:
            row.ats_candidate_id, row.updated_at = event.into, now
            if row.candidate_id is not None:
                candidate = await store.candidate(session, row.candidate_id)
                if candidate is not None:
                    privacy_store.audit(
                        session, workspace_id, "ats", "ats_merge", candidate.public_id, now
                    )
        return "merged"

    async def endpoint(self, vendor: str, token: str) -> Endpoint | None:
        """The connection a webhook URL belongs to, and what verifying and reading it needs."""
        async with self.coach.sessions() as session:
            found = await store.integration_by_token(session, vendor, token)
            if found is None:
                return None
            space = await store.workspace(session, found.workspace_id)
            return Endpoint(
                found.id,
                found.workspace_id,
                space.platform,
                space.external_id,
                found.secret,
                found.api_key,
            )

    async def preconfigure(self) -> int:
        """Make the connections set in the environment (self-hosted installs); how many."""
        done = 0
        for platform, workspace, vendor, token, secret in self.coach.settings.preconfigured_ats():
            async with self.coach.sessions.begin() as session:
                now = self.coach.clock()
                space = await queries.get_or_create_workspace(session, platform, workspace, now)
                found = await store.integration_for(session, space.id, vendor)
                if (
                    found is None
                    or found.token_hash != store.token_hash(token)
                    or found.secret != secret
                ):
                    await store.save_integration(session, space.id, vendor, token, secret, now)
                done += 1
        return done

    async def import_workspace(self, external_id: str | None) -> tuple[int, str, str] | list[str]:
        """The workspace a file is imported into: (id, platform, external id), or the choice
        of external ids when it is not clear which (none given and several exist)."""
        async with self.coach.sessions.begin() as session:
            found = list(await store.find_workspaces(session, external_id))
            if external_id is None and not found:
                # A fresh install used only from the terminal: the console's own workspace.
                space = await queries.get_or_create_workspace(
                    session, "console", "local", self.coach.clock()
                )
                found = [space]
            if len(found) != 1:
                everyone = await store.find_workspaces(session, None)
                return [f"{space.external_id} ({space.platform})" for space in everyone]
            return found[0].id, found[0].platform, found[0].external_id

    async def preview(self, workspace_id: int, event: Rejection, owner: Identity | None) -> Result:
        """What `apply` would do with a rejection, changing nothing (a dry run)."""
        async with self.coach.sessions() as session:
            row = await store.application(session, workspace_id, event.vendor, event.application_id)
            if row is not None and row.status not in ("active", "unrejected"):
                return "known"
        return "created" if owner is not None else "unassigned"

    async def delivered(self, integration_id: int) -> None:
        async with self.coach.sessions.begin() as session:
            integration = await session.get(AtsIntegration, integration_id)
            if integration is not None:
                integration.last_delivery_at = self.coach.clock()

    async def count_error(self, integration_id: int, error: str) -> None:
        async with self.coach.sessions.begin() as session:
            await store.record_error(session, integration_id, error, self.coach.clock())


def _archived_stage(stage: str) -> bool:
    return stage.strip().casefold() in ("archived", "arkivert")


def _older(event: Rejection | StageSeen | Unrejection, row: AtsApplication) -> bool:
    """An older change than the one applied: a reordered delivery. At the same instant a
    rejection does not undo an unrejection (the ATS sends them in that order)."""
    assert row.event_at is not None
    if event.event_at < row.event_at:
        return True
    return (
        event.event_at == row.event_at
        and isinstance(event, Rejection)
        and row.status == "unrejected"
    )
