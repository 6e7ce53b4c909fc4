"""Queries for the ATS intake: integrations, applications by the source's ids, e-mails, notices.

Each takes a session and never commits on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.tables import (
    AtsApplication,
    AtsIntegration,
    AuditEvent,
    Candidate,
    IntakeNotice,
    Position,
    Recruiter,
    RecruiterEmail,
    Workspace,
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- integrations -----------------------------------------------------------------------------


async def integration_for(
    session: AsyncSession, workspace_id: int, vendor: str
) -> AtsIntegration | None:
    return await session.scalar(
        select(AtsIntegration).where(
            AtsIntegration.workspace_id == workspace_id, AtsIntegration.vendor == vendor
        )
    )


async def integration_by_token(
    session: AsyncSession, vendor: str, token: str
) -> AtsIntegration | None:
    return await session.scalar(
        select(AtsIntegration).where(
            AtsIntegration.token_hash == token_hash(token), AtsIntegration.vendor == vendor
        )
    )


async def save_integration(
    session: AsyncSession, workspace_id: int, vendor: str, token: str, secret: str, now: datetime
) -> AtsIntegration:
    """Create the workspace's integration for this vendor, or give it a new token and secret."""
    found = await integration_for(session, workspace_id, vendor)
    if found is None:
        found = AtsIntegration(
            workspace_id=workspace_id,
            vendor=vendor,
            token_hash=token_hash(token),
            secret=secret,
            error_count=0,
            ignored_count=0,
            created_at=now,
        )
        session.add(found)
    else:
        found.token_hash = token_hash(token)
        found.secret = secret
        found.error_count = 0
        found.last_error = None
        found.last_error_at = None
    await session.flush()
    return found


async def record_error(
    session: AsyncSession, integration_id: int, error: str, now: datetime
) -> None:
    await session.execute(
        update(AtsIntegration)
        .where(AtsIntegration.id == integration_id)
        .values(
            error_count=AtsIntegration.error_count + 1, last_error=error[:64], last_error_at=now
        )
    )


async def workspace_integrations(
    session: AsyncSession, workspace_id: int
) -> Sequence[AtsIntegration]:
    return (
        await session.scalars(
            select(AtsIntegration)
            .where(AtsIntegration.workspace_id == workspace_id)
            .order_by(AtsIntegration.vendor)
        )
    ).all()


async def workspace(session: AsyncSession, workspace_id: int) -> Workspace:
    found = await session.get(Workspace, workspace_id)
    assert found is not None
    return found


async def find_workspaces(session: AsyncSession, external_id: str | None) -> Sequence[Workspace]:
    """Workspaces with this external id (any platform), or every workspace when None."""
    query = select(Workspace).order_by(Workspace.id)
    if external_id is not None:
        query = query.where(Workspace.external_id == external_id)
    return (await session.scalars(query)).all()


# -- applications -----------------------------------------------------------------------------


async def application(
    session: AsyncSession, workspace_id: int, vendor: str, application_id: str
) -> AtsApplication | None:
    return await session.scalar(
        select(AtsApplication).where(
            AtsApplication.workspace_id == workspace_id,
            AtsApplication.vendor == vendor,
            AtsApplication.application_id == application_id,
        )
    )


async def new_application(
    session: AsyncSession, workspace_id: int, vendor: str, application_id: str, now: datetime
) -> AtsApplication | None:
    """A fresh row; None when a concurrent delivery of the same application made one first."""
    try:
        async with session.begin_nested():
            row = AtsApplication(
                workspace_id=workspace_id,
                vendor=vendor,
                application_id=application_id,
                status="active",
                internal=False,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
    except IntegrityError:
        return None
    return row


async def applications_of_person(
    session: AsyncSession, workspace_id: int, vendor: str, ats_candidate_id: str
) -> Sequence[AtsApplication]:
    return (
        await session.scalars(
            select(AtsApplication).where(
                AtsApplication.workspace_id == workspace_id,
                AtsApplication.vendor == vendor,
                AtsApplication.ats_candidate_id == ats_candidate_id,
            )
        )
    ).all()


async def applications_by_ids(
    session: AsyncSession, workspace_id: int, vendor: str, application_ids: Sequence[str]
) -> Sequence[AtsApplication]:
    if not application_ids:
        return []
    return (
        await session.scalars(
            select(AtsApplication).where(
                AtsApplication.workspace_id == workspace_id,
                AtsApplication.vendor == vendor,
                AtsApplication.application_id.in_(list(application_ids)),
            )
        )
    ).all()


def clear_personal(row: AtsApplication) -> None:
    """What the row held about the person goes; the ids stay, so a late delivery cannot
    bring them back."""
    row.name = None
    row.position = None
    row.recruiter_email = None
    row.link = None
    row.ats_candidate_id = None


async def unassigned(session: AsyncSession, workspace_id: int) -> Sequence[AtsApplication]:
    return (
        await session.scalars(
            select(AtsApplication)
            .where(
                AtsApplication.workspace_id == workspace_id,
                AtsApplication.status == "unassigned",
            )
            .order_by(AtsApplication.rejected_at, AtsApplication.id)
        )
    ).all()


# What an unassigned candidate's export shows: everything the row holds about the person and
# where it came from, nothing of the coach's own bookkeeping.
UNASSIGNED_EXPORTED = (
    "vendor",
    "application_id",
    "ats_candidate_id",
    "status",
    "stage",
    "name",
    "position",
    "internal",
    "rejected_at",
    "link",
    "recruiter_email",
    "created_at",
    "updated_at",
)


def unassigned_export(row: AtsApplication) -> dict[str, object]:
    return {column: getattr(row, column) for column in UNASSIGNED_EXPORTED}


async def audit_of(
    session: AsyncSession, workspace_id: int, public_id: str
) -> list[dict[str, object]]:
    """The audit rows that name this reference: an export lists who looked before."""
    rows = (
        await session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.workspace_id == workspace_id,
                AuditEvent.candidate_public_id == public_id,
            )
            .order_by(AuditEvent.id)
        )
    ).all()
    return [
        {"action": row.action, "by": row.actor_external_id, "at": row.created_at} for row in rows
    ]


def erase_unassigned(row: AtsApplication, now: datetime) -> None:
    """An admin erased an unassigned candidate: the personal columns go, and the row stays as
    a tombstone ("deleted"), so a redelivered webhook or a re-imported file cannot bring the
    person back."""
    clear_personal(row)
    row.status, row.updated_at = "deleted", now


async def purge_unassigned(session: AsyncSession, rejected_before: datetime) -> int:
    """Unassigned candidates past retention lose their name like any candidate would.

    Read first: on most runs there is nothing to do, and then no write transaction is opened.
    """
    due = (
        await session.scalars(
            select(AtsApplication.id).where(
                AtsApplication.status == "unassigned",
                AtsApplication.rejected_at < rejected_before,
            )
        )
    ).all()
    if not due:
        return 0
    result = await session.execute(
        update(AtsApplication)
        .where(AtsApplication.id.in_(list(due)))
        .values(
            status="expired",
            name=None,
            position=None,
            recruiter_email=None,
            link=None,
            ats_candidate_id=None,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_candidate(session: AsyncSession, candidate_id: int) -> None:
    """A candidate who should never have been here (unrejected in the ATS before the call)."""
    await session.execute(delete(Candidate).where(Candidate.id == candidate_id))


async def candidate(session: AsyncSession, candidate_id: int) -> Candidate | None:
    return await session.scalar(
        select(Candidate)
        .options(joinedload(Candidate.position))
        .where(Candidate.id == candidate_id)
    )


# -- recruiters by e-mail -----------------------------------------------------------------------


async def recruiter_by_email(
    session: AsyncSession, workspace_id: int, email: str
) -> Recruiter | None:
    return await session.scalar(
        select(Recruiter)
        .join(RecruiterEmail, RecruiterEmail.recruiter_id == Recruiter.id)
        .where(
            RecruiterEmail.workspace_id == workspace_id, RecruiterEmail.email == email.casefold()
        )
    )


async def remember_email(
    session: AsyncSession, recruiter: Recruiter, email: str, now: datetime
) -> None:
    email = email.casefold()
    found = await session.scalar(
        select(RecruiterEmail).where(
            RecruiterEmail.workspace_id == recruiter.workspace_id, RecruiterEmail.email == email
        )
    )
    if found is not None:
        found.recruiter_id = recruiter.id
        return
    try:
        async with session.begin_nested():
            session.add(
                RecruiterEmail(
                    workspace_id=recruiter.workspace_id,
                    email=email,
                    recruiter_id=recruiter.id,
                    created_at=now,
                )
            )
    except IntegrityError:
        pass  # the same address stored by a concurrent request


async def has_email(session: AsyncSession, recruiter: Recruiter) -> bool:
    found = await session.scalar(
        select(func.count())
        .select_from(RecruiterEmail)
        .where(RecruiterEmail.recruiter_id == recruiter.id)
    )
    return bool(found)


# -- notices to recruiters ----------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A recruiter's new candidates from the ATS nobody told them about yet."""

    recruiter_id: int
    platform: str
    workspace: str
    user: str
    language: str | None
    conversation_reference: dict | None
    vendor: str
    public_id: str
    name: str
    position: str
    row_id: int
    created_at: datetime


async def waiting_notices(session: AsyncSession) -> list[Waiting]:
    query = (
        select(
            Recruiter.id,
            Workspace.platform,
            Workspace.external_id,
            Recruiter.external_id,
            Recruiter.language,
            Recruiter.conversation_reference,
            AtsApplication.vendor,
            Candidate.public_id,
            Candidate.name,
            Position.title,
            AtsApplication.id,
            AtsApplication.created_at,
        )
        .join(Candidate, Candidate.id == AtsApplication.candidate_id)
        .join(Recruiter, Recruiter.id == Candidate.recruiter_id)
        .join(Workspace, Workspace.id == Recruiter.workspace_id)
        .join(Position, Position.id == Candidate.position_id)
        .where(
            AtsApplication.status == "pending",
            AtsApplication.notified_at.is_(None),
            Candidate.outcome.is_(None),
            Candidate.name.is_not(None),
        )
        .order_by(Recruiter.id, AtsApplication.id)
    )
    rows: Sequence[Any] = (await session.execute(query)).all()
    return [Waiting(*row) for row in rows]


async def claim_notice(
    session: AsyncSession, recruiter_id: int, now: datetime, not_since: datetime
) -> bool:
    """Take the right to message this recruiter now: False if someone did after `not_since`."""
    result = await session.execute(
        update(IntakeNotice)
        .where(IntakeNotice.recruiter_id == recruiter_id, IntakeNotice.sent_at <= not_since)
        .values(sent_at=now)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    if await session.get(IntakeNotice, recruiter_id) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(IntakeNotice(recruiter_id=recruiter_id, sent_at=now))
    except IntegrityError:
        return False
    return True


async def mark_notified(session: AsyncSession, row_ids: Sequence[int], now: datetime) -> None:
    await session.execute(
        update(AtsApplication).where(AtsApplication.id.in_(list(row_ids))).values(notified_at=now)
    )


async def release_notice(session: AsyncSession, recruiter_id: int) -> None:
    """The message did not get through: the hour did not start."""
    await session.execute(delete(IntakeNotice).where(IntakeNotice.recruiter_id == recruiter_id))
