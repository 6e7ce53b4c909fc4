"""Queries for applicants' personal data: consent, export, erasure, retention and the audit log.

`CANDIDATE_DATA` is the one list of every table and column that holds data about a candidate,
and what export and erasure do with each. Export and erasure are driven by it, and a test
compares it with the schema, so a new column cannot be forgotten silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, Select, Table, delete, exists, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from storage.tables import (
    AtsApplication,
    AuditEvent,
    Base,
    CallLog,
    CallPreparation,
    Candidate,
    Position,
    PracticeRun,
    PreparationAnswer,
    Recruiter,
    TalentPoolConsent,
    Workspace,
)

# The actor recorded in the audit log when the retention policy, not a person, acted.
RETENTION_ACTOR = "retention-policy"


@dataclass(frozen=True)
class Covered:
    """One table holding candidate data, and what export and erasure do with its columns.

    - personal: about the person; exported, and gone after erasure (cleared, or the row deleted)
    - kept: anonymous once the name is gone (counts for reports, the audit trail); exported
    - internal: surrogate keys that mean nothing outside the database; not exported
    """

    table: str
    on_erase: Literal["delete_rows", "clear_personal", "keep"]
    personal: frozenset[str]
    kept: frozenset[str]
    internal: frozenset[str]
    rows: Callable[[Candidate], Select[Any]]

    @property
    def exported(self) -> frozenset[str]:
        return self.personal | self.kept


def _fs(*names: str) -> frozenset[str]:
    return frozenset(names)


def _preparation_ids(candidate: Candidate) -> Select[Any]:
    return select(CallPreparation.id).where(CallPreparation.candidate_id == candidate.id)


# Children come before their parents, so deleting in this order never trips a foreign key.
CANDIDATE_DATA: tuple[Covered, ...] = (
    Covered(
        table="preparation_answers",
        on_erase="delete_rows",
        personal=_fs("step_key", "text", "updated_at"),
        kept=_fs(),
        internal=_fs("id", "preparation_id"),
        rows=lambda c: (
            select(PreparationAnswer)
            .where(PreparationAnswer.preparation_id.in_(_preparation_ids(c)))
            .order_by(PreparationAnswer.id)
        ),
    ),
    Covered(
        table="call_preparations",
        on_erase="delete_rows",
        personal=_fs(
            "recruiter_id",
            "guide_language",
            "guide_version",
            "active",
            "flagged",
            "strongest",
            "confirmations",
            "started_at",
            "completed_at",
        ),
        kept=_fs(),
        internal=_fs("id", "candidate_id"),
        rows=lambda c: select(CallPreparation).where(CallPreparation.candidate_id == c.id),
    ),
    Covered(
        table="talent_pool_consents",
        on_erase="delete_rows",
        personal=_fs("granted_by", "granted_at", "expires_at", "withdrawn_at", "withdrawn_by"),
        kept=_fs(),
        internal=_fs("id", "candidate_id"),
        rows=lambda c: (
            select(TalentPoolConsent)
            .where(TalentPoolConsent.candidate_id == c.id)
            .order_by(TalentPoolConsent.id)
        ),
    ),
    Covered(
        # Only that a practice call happened, when and its scores; never the typed lines.
        table="practice_runs",
        on_erase="delete_rows",
        personal=_fs(
            "recruiter_id",
            "scenario",
            "language",
            "exchanges",
            "passed",
            "checked",
            "results",
            "created_at",
        ),
        kept=_fs(),
        internal=_fs("id", "run_key", "candidate_id"),
        rows=lambda c: (
            select(PracticeRun).where(PracticeRun.candidate_id == c.id).order_by(PracticeRun.id)
        ),
    ),
    Covered(
        table="call_logs",
        on_erase="clear_personal",
        # What was said about the person goes; that a call was tried stays for the statistics.
        personal=_fs("note"),
        kept=_fs("recruiter_id", "outcome", "replaced_outcome", "created_at"),
        internal=_fs("id", "candidate_id"),
        rows=lambda c: select(CallLog).where(CallLog.candidate_id == c.id).order_by(CallLog.id),
    ),
    Covered(
        # An ATS application behind the candidate: its ids stay (a late delivery must not bring
        # the person back), the link to the person in the ATS goes.
        table="ats_applications",
        on_erase="clear_personal",
        personal=_fs("name", "position", "link", "recruiter_email", "ats_candidate_id"),
        kept=_fs(
            "vendor",
            "application_id",
            "status",
            "stage",
            "internal",
            "rejected_at",
            "event_at",
            "notified_at",
            "created_at",
            "updated_at",
        ),
        internal=_fs("id", "workspace_id", "candidate_id"),
        rows=lambda c: (
            select(AtsApplication)
            .where(AtsApplication.candidate_id == c.id)
            .order_by(AtsApplication.id)
        ),
    ),
    Covered(
        table="candidates",
        on_erase="clear_personal",
        personal=_fs("name"),
        kept=_fs(
            "public_id",
            "recruiter_id",
            "position_id",
            "internal",
            "rejected_at",
            "outcome",
            "outcome_at",
            "attempts",
            "anonymized_at",
            "created_at",
        ),
        internal=_fs("id", "workspace_id"),
        rows=lambda c: select(Candidate).where(Candidate.id == c.id),
    ),
    Covered(
        # Linked by public id, not a foreign key: the trail must outlive the erasure it records.
        table="audit_events",
        on_erase="keep",
        personal=_fs(),
        kept=_fs("actor_external_id", "action", "candidate_public_id", "detail", "created_at"),
        internal=_fs("id", "workspace_id"),
        rows=lambda c: (
            select(AuditEvent)
            .where(
                AuditEvent.candidate_public_id == c.public_id,
                AuditEvent.workspace_id == c.workspace_id,
            )
            .order_by(AuditEvent.id)
        ),
    ),
)


# -- finding candidates ---------------------------------------------------------------------


# -- talent pool ----------------------------------------------------------------------------


def _active(now: datetime):
    return TalentPoolConsent.withdrawn_at.is_(None) & (TalentPoolConsent.expires_at > now)


async def active_consent(
    session: AsyncSession, candidate: Candidate, now: datetime
) -> TalentPoolConsent | None:
    return await session.scalar(
        select(TalentPoolConsent)
        .where(TalentPoolConsent.candidate_id == candidate.id, _active(now))
        .order_by(TalentPoolConsent.expires_at.desc())
        .limit(1)
    )


async def grant_consent(
    session: AsyncSession,
    candidate: Candidate,
    recruiter: Recruiter,
    now: datetime,
    expires_at: datetime,
) -> TalentPoolConsent:
    consent = TalentPoolConsent(
        candidate_id=candidate.id, granted_by=recruiter.id, granted_at=now, expires_at=expires_at
    )
    session.add(consent)
    await session.flush()
    return consent


async def withdraw_consent(
    session: AsyncSession, candidate: Candidate, recruiter: Recruiter, now: datetime
) -> int:
    """Withdraw every active consent of the candidate; how many there were."""
    result = await session.execute(
        update(TalentPoolConsent)
        .where(TalentPoolConsent.candidate_id == candidate.id, _active(now))
        .values(withdrawn_at=now, withdrawn_by=recruiter.id)
    )
    # An UPDATE's result is a CursorResult, which has the count (SQLAlchemy types it as Result).
    return cast(CursorResult[Any], result).rowcount or 0


@dataclass(frozen=True)
class PoolEntry:
    public_id: str
    name: str
    position: str
    granted_at: datetime
    expires_at: datetime


async def pool(session: AsyncSession, workspace_id: int, now: datetime) -> list[PoolEntry]:
    """Candidates of the workspace with an active consent, the soonest to expire first."""
    rows = await session.execute(
        select(
            Candidate.public_id,
            Candidate.name,
            Position.title,
            TalentPoolConsent.granted_at,
            TalentPoolConsent.expires_at,
        )
        .join(Candidate, Candidate.id == TalentPoolConsent.candidate_id)
        .join(Position, Position.id == Candidate.position_id)
        .where(
            Candidate.workspace_id == workspace_id,
            Candidate.name.is_not(None),
            _active(now),
        )
        .order_by(TalentPoolConsent.expires_at, Candidate.id)
    )
    return [PoolEntry(p, n or "", t, g, e) for p, n, t, g, e in rows.all()]


# -- export and erasure ---------------------------------------------------------------------


async def export_rows(session: AsyncSession, candidate: Candidate) -> dict[str, list[dict]]:
    """Every stored row about the candidate, per table, with the exported columns only.

    References to recruiters become their platform user ids and positions their titles,
    since the database's own numbers mean nothing to the person who asked.
    """
    recruiters: dict[int, str] = {}
    positions: dict[int, str] = {}
    out: dict[str, list[dict]] = {}
    for covered in CANDIDATE_DATA:
        table = Base.metadata.tables[covered.table]
        objects = (await session.scalars(covered.rows(candidate))).all()
        rows = []
        for obj in objects:
            row: dict[str, Any] = {}
            for column in table.columns:
                if column.name not in covered.exported:
                    continue
                value = getattr(obj, column.key)
                targets = {fk.column.table.name for fk in column.foreign_keys}
                if value is not None and "recruiters" in targets:
                    value = await _lookup(session, recruiters, Recruiter.external_id, value)
                elif value is not None and "positions" in targets:
                    value = await _lookup(session, positions, Position.title, value)
                row[column.name] = value
            rows.append(row)
        out[covered.table] = rows
    return out


async def _lookup(session: AsyncSession, cache: dict[int, str], column: Any, key: int) -> str:
    if key not in cache:
        owner = column.class_
        cache[key] = await session.scalar(select(column).where(owner.id == key)) or ""
    return cache[key]


async def anonymize(session: AsyncSession, candidate_ids: Sequence[int], now: datetime) -> None:
    """Delete or clear every personal column of these candidates; their counts stay."""
    if not candidate_ids:
        return
    ids = list(candidate_ids)
    for covered in CANDIDATE_DATA:
        if covered.on_erase == "keep":
            continue
        model = _model(covered.table)
        where = _belongs_to(model, ids)
        if covered.on_erase == "delete_rows":
            await session.execute(delete(model).where(where))
        elif covered.on_erase == "clear_personal":
            values: dict[str, Any] = dict.fromkeys(covered.personal)
            if model is Candidate:
                values["anonymized_at"] = now
            await session.execute(update(model).where(where).values(**values))


def _model(table: str) -> Any:
    for mapper in Base.registry.mappers:
        if isinstance(mapper.local_table, Table) and mapper.local_table.name == table:
            return mapper.class_
    raise KeyError(table)


def _belongs_to(model: Any, ids: list[int]) -> Any:
    if model is Candidate:
        return Candidate.id.in_(ids)
    if model is PreparationAnswer:
        return PreparationAnswer.preparation_id.in_(
            select(CallPreparation.id).where(CallPreparation.candidate_id.in_(ids))
        )
    return model.candidate_id.in_(ids)


# -- retention ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expired:
    id: int
    public_id: str
    workspace_id: int


async def due_for_purge(
    session: AsyncSession, rejected_before: datetime, now: datetime, limit: int
) -> list[Expired]:
    """Candidates rejected before the cut-off, not yet anonymised, with no active consent."""
    consented = exists().where(TalentPoolConsent.candidate_id == Candidate.id, _active(now))
    query = (
        select(Candidate.id, Candidate.public_id, Candidate.workspace_id)
        .where(
            Candidate.anonymized_at.is_(None),
            Candidate.rejected_at < rejected_before,
            ~consented,
        )
        .order_by(Candidate.id)
        .limit(limit)
        # Two servers purging at once each take different rows (SQLite ignores this).
        .with_for_update(of=Candidate, skip_locked=True)
    )
    return [Expired(*row) for row in (await session.execute(query)).all()]


async def scrub(engine: AsyncEngine) -> None:
    """Leave no deleted bytes readable in a SQLite file: rebuild it and empty its WAL.

    secure_delete already zeroes freed space in the main file; old page images can still sit
    in the write-ahead log until it is checkpointed and truncated. PostgreSQL reclaims dead
    rows itself (autovacuum); its files and WAL are the database administrator's to protect.
    """
    if engine.dialect.name != "sqlite":
        return
    async with engine.connect() as connection:
        # VACUUM cannot run inside a transaction.
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM"))
        await connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


# -- audit log ------------------------------------------------------------------------------


def audit(
    session: AsyncSession,
    workspace_id: int,
    actor: str,
    action: str,
    candidate_public_id: str | None,
    now: datetime,
    detail: str | None = None,
) -> None:
    """Record who did what to whose data; the person is named by public id only."""
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            actor_external_id=actor[:128],
            action=action,
            candidate_public_id=candidate_public_id,
            detail=detail[:200] if detail else None,
            created_at=now,
        )
    )


async def audit_events(session: AsyncSession, workspace_id: int) -> Sequence[AuditEvent]:
    return (
        await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.workspace_id == workspace_id)
            .order_by(AuditEvent.id)
        )
    ).all()


# -- workspaces that removed the app ---------------------------------------------------------


async def uninstalled_before(session: AsyncSession, cutoff: datetime) -> list[int]:
    """Workspaces uninstalled before the cut-off whose personal data is not erased yet."""
    query = (
        select(Workspace.id)
        .where(
            Workspace.uninstalled_at.is_not(None),
            Workspace.uninstalled_at <= cutoff,
            Workspace.erased_at.is_(None),
        )
        .order_by(Workspace.id)
    )
    return list((await session.scalars(query)).all())


async def workspace_candidates(
    session: AsyncSession, workspace_id: int, limit: int
) -> list[Expired]:
    """A batch of a workspace's candidates not anonymised yet, consent or not."""
    query = (
        select(Candidate.id, Candidate.public_id, Candidate.workspace_id)
        .where(Candidate.workspace_id == workspace_id, Candidate.anonymized_at.is_(None))
        .order_by(Candidate.id)
        .limit(limit)
        .with_for_update(of=Candidate, skip_locked=True)
    )
    return [Expired(*row) for row in (await session.execute(query)).all()]


async def finish_workspace_erasure(session: AsyncSession, workspace_id: int, now: datetime) -> None:
    """After its candidates: what is left about the workspace's people, and the erasure mark."""
    await session.execute(
        update(Recruiter)
        .where(Recruiter.workspace_id == workspace_id)
        .values(conversation_reference=None, unreachable_reason=None, reminders_enabled=False)
    )
    await session.execute(
        update(Workspace)
        .where(Workspace.id == workspace_id, Workspace.erased_at.is_(None))
        .values(erased_at=now)
    )
