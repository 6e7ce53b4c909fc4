"""Queries the engine needs. Each takes a session and never commits on its own."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from anyascii import anyascii
from sqlalchemy import Select, bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from storage.tables import (
    CallLog,
    CallPreparation,
    Candidate,
    Position,
    PreparationAnswer,
    ProcessedEvent,
    Recruiter,
    Workspace,
)

# No 0/o, 1/l/i: ids are read aloud and typed from a phone screen.
_ID_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_Row = TypeVar("_Row")


def fold(text: str) -> str:
    """A name as it is compared: no case, no accents, one space (Bjorn = Bjørn, Asa = Åsa)."""
    return " ".join(anyascii(text).casefold().split())


def new_public_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))


async def _get_or_create(
    session: AsyncSession, query: Select[_Row], make: Callable[[], _Row]
) -> _Row:
    """The row the query finds, else a new one; a concurrent insert of the same row is fine."""
    found = await session.scalar(query)
    if found is not None:
        return found
    try:
        async with session.begin_nested():
            created = make()
            session.add(created)
    except IntegrityError:
        # Another request created it at the same moment: use theirs.
        return (await session.scalars(query)).one()
    return created


async def get_or_create_workspace(
    session: AsyncSession, platform: str, external_id: str, now: datetime
) -> Workspace:
    query = select(Workspace).where(
        Workspace.platform == platform, Workspace.external_id == external_id
    )
    return await _get_or_create(
        session,
        query,
        lambda: Workspace(platform=platform, external_id=external_id, created_at=now),
    )


async def get_or_create_recruiter(
    session: AsyncSession, workspace: Workspace, external_id: str, now: datetime
) -> Recruiter:
    query = select(Recruiter).where(
        Recruiter.workspace_id == workspace.id, Recruiter.external_id == external_id
    )
    return await _get_or_create(
        session,
        query,
        lambda: Recruiter(workspace_id=workspace.id, external_id=external_id, created_at=now),
    )


# Every request starts here: the statement is built once, not on each call.
_RECRUITER = (
    select(Recruiter)
    .join(Workspace, Workspace.id == Recruiter.workspace_id)
    .where(
        Workspace.platform == bindparam("platform"),
        Workspace.external_id == bindparam("workspace"),
        Recruiter.external_id == bindparam("user"),
    )
)


async def find_recruiter(
    session: AsyncSession, platform: str, workspace: str, user: str
) -> Recruiter | None:
    return await session.scalar(
        _RECRUITER, {"platform": platform, "workspace": workspace, "user": user}
    )


async def recruiter_for(
    session: AsyncSession, platform: str, workspace: str, user: str, now: datetime
) -> Recruiter:
    """The user's recruiter row in one joined read; the get-or-creates only on first contact."""
    found = await find_recruiter(session, platform, workspace, user)
    if found is not None:
        return found
    space = await get_or_create_workspace(session, platform, workspace, now)
    return await get_or_create_recruiter(session, space, user, now)


async def get_or_create_position(
    session: AsyncSession, workspace_id: int, title: str, now: datetime
) -> Position:
    key = title.casefold()
    query = select(Position).where(Position.workspace_id == workspace_id, Position.title_key == key)
    return await _get_or_create(
        session,
        query,
        lambda: Position(workspace_id=workspace_id, title=title, title_key=key, created_at=now),
    )


async def find_position(session: AsyncSession, workspace_id: int, title: str) -> Position | None:
    return await session.scalar(
        select(Position).where(
            Position.workspace_id == workspace_id, Position.title_key == title.casefold()
        )
    )


async def add_candidate(
    session: AsyncSession,
    recruiter: Recruiter,
    position: Position,
    name: str,
    internal: bool,
    now: datetime,
    rejected_at: datetime | None = None,
) -> Candidate:
    """A new candidate, told no at `rejected_at` (default: now)."""
    for _ in range(10):
        try:
            async with session.begin_nested():
                candidate = Candidate(
                    public_id=new_public_id(),
                    workspace_id=recruiter.workspace_id,
                    recruiter_id=recruiter.id,
                    position_id=position.id,
                    name=name,
                    internal=internal,
                    rejected_at=rejected_at or now,
                    attempts=0,
                    created_at=now,
                )
                session.add(candidate)
            return candidate
        except IntegrityError:
            continue
    raise RuntimeError("could not find a free candidate id")


def _own(recruiter: Recruiter):
    return (Candidate.recruiter_id == recruiter.id) & (
        Candidate.workspace_id == recruiter.workspace_id
    )


async def find_candidates(session: AsyncSession, recruiter: Recruiter, ref: str) -> list[Candidate]:
    """The recruiter's own candidates matching an id, else a name (case-insensitive)."""
    return await find_in_workspace(session, recruiter.workspace_id, recruiter.id, ref)


async def find_in_workspace(
    session: AsyncSession, workspace_id: int, recruiter_id: int | None, ref: str
) -> list[Candidate]:
    """Candidates (not anonymised) matching an id, else a name; one recruiter's, or everyone's."""
    base = (
        select(Candidate)
        .options(selectinload(Candidate.position))
        .where(Candidate.workspace_id == workspace_id, Candidate.name.is_not(None))
    )
    if recruiter_id is not None:
        base = base.where(Candidate.recruiter_id == recruiter_id)
    by_id = (await session.scalars(base.where(Candidate.public_id == ref.casefold()))).all()
    if by_id:
        return list(by_id)
    rows = (await session.scalars(base.order_by(Candidate.rejected_at, Candidate.id))).all()
    wanted = fold(ref)
    names = [(c, fold(c.name)) for c in rows if c.name]
    exact = [c for c, name in names if name == wanted]
    if exact:
        return exact
    return [c for c, name in names if wanted in name]


async def pending_namesakes(
    session: AsyncSession, recruiter: Recruiter, name: str, position: Position
) -> list[Candidate]:
    """The recruiter's pending candidates of this name (accent- and case-free) and position."""
    rows = await session.scalars(
        select(Candidate)
        .options(selectinload(Candidate.position))
        .where(
            _own(recruiter),
            Candidate.position_id == position.id,
            Candidate.outcome.is_(None),
            Candidate.name.is_not(None),
        )
        .order_by(Candidate.id)
    )
    wanted = fold(name)
    return [c for c in rows if c.name and fold(c.name) == wanted]


async def last_note(session: AsyncSession, candidate: Candidate) -> str | None:
    return await session.scalar(_LAST_NOTE.where(CallLog.candidate_id == candidate.id))


async def own_candidate(
    session: AsyncSession, recruiter: Recruiter, public_id: str
) -> Candidate | None:
    """The recruiter's candidate with exactly this public id, position loaded, in one statement."""
    return await session.scalar(
        select(Candidate)
        .options(joinedload(Candidate.position))
        .where(
            _own(recruiter),
            Candidate.name.is_not(None),
            Candidate.public_id == public_id.casefold(),
        )
    )


@dataclass(frozen=True, slots=True)
class CandidateSummary:
    """A candidate as a list shows it: read-only, so plain rows instead of ORM objects."""

    public_id: str
    name: str
    internal: bool
    rejected_at: datetime
    outcome: str | None
    attempts: int
    position_title: str
    # The newest call note, shown back so notes are never write-only.
    last_note: str | None = None
    # A call script was made: the next step is the call, not the preparation.
    prepared: bool = False


_LAST_NOTE = (
    select(CallLog.note)
    .where(CallLog.note.is_not(None))
    .order_by(CallLog.created_at.desc(), CallLog.id.desc())
    .limit(1)
)

# Built once: `list` and `help` run on nearly every request.
_CANDIDATES = (
    select(
        Candidate.public_id,
        Candidate.name,
        Candidate.internal,
        Candidate.rejected_at,
        Candidate.outcome,
        Candidate.attempts,
        Position.title,
        _LAST_NOTE.where(CallLog.candidate_id == Candidate.id)
        .correlate(Candidate)
        .scalar_subquery(),
        select(CallPreparation.id)
        .where(
            CallPreparation.candidate_id == Candidate.id,
            CallPreparation.completed_at.is_not(None),
        )
        .correlate(Candidate)
        .exists(),
    )
    .join(Position, Position.id == Candidate.position_id)
    .where(
        Candidate.recruiter_id == bindparam("recruiter"),
        Candidate.workspace_id == bindparam("workspace"),
        Candidate.name.is_not(None),
    )
    .order_by(Candidate.rejected_at, Candidate.id)
)
_PENDING_CANDIDATES = _CANDIDATES.where(Candidate.outcome.is_(None))


async def list_candidates(
    session: AsyncSession, recruiter: Recruiter, pending_only: bool = False
) -> list[CandidateSummary]:
    """The recruiter's candidates, oldest first, in one statement whatever their number."""
    query = _PENDING_CANDIDATES if pending_only else _CANDIDATES
    rows = await session.execute(
        query, {"recruiter": recruiter.id, "workspace": recruiter.workspace_id}
    )
    return [
        CandidateSummary(*row[:-1], prepared=bool(row[-1]))  # type: ignore[misc]
        for row in rows
    ]


async def get_preparation(session: AsyncSession, candidate: Candidate) -> CallPreparation | None:
    return await session.scalar(
        select(CallPreparation)
        .options(selectinload(CallPreparation.answers))
        .where(CallPreparation.candidate_id == candidate.id)
    )


async def get_or_create_preparation(
    session: AsyncSession,
    candidate: Candidate,
    recruiter: Recruiter,
    language: str,
    guide_version: int,
    now: datetime,
) -> CallPreparation:
    preparation = await get_preparation(session, candidate)
    if preparation is not None:
        return preparation
    preparation = CallPreparation(
        candidate_id=candidate.id,
        recruiter_id=recruiter.id,
        guide_language=language,
        guide_version=guide_version,
        flagged={},
        confirmations={},
        started_at=now,
        answers=[],
    )
    session.add(preparation)
    await session.flush()
    return preparation


def set_answer(preparation: CallPreparation, step_key: str, text: str, now: datetime) -> None:
    for answer in preparation.answers:
        if answer.step_key == step_key:
            answer.text = text
            answer.updated_at = now
            return
    preparation.answers.append(PreparationAnswer(step_key=step_key, text=text, updated_at=now))


def set_flagged(preparation: CallPreparation, step_key: str, text: str | None) -> None:
    flagged = dict(preparation.flagged or {})
    if text is None:
        flagged.pop(step_key, None)
    else:
        flagged[step_key] = text
    # A new dict, so SQLAlchemy sees the JSON column change.
    preparation.flagged = flagged


def set_confirmation(
    preparation: CallPreparation,
    step_key: str,
    requirement: str,
    grounds: list[str],
    recruiter_id: int,
    now: datetime,
) -> None:
    """Keep, with the preparation, which requirement a flagged answer was confirmed to be about."""
    confirmations = dict(preparation.confirmations or {})
    confirmations[step_key] = {
        "requirement": requirement,
        "grounds": list(grounds),
        "by": recruiter_id,
        "at": now.isoformat(),
    }
    preparation.confirmations = confirmations  # a new dict, so the JSON column is written


async def add_call_log(
    session: AsyncSession,
    candidate: Candidate,
    recruiter: Recruiter,
    outcome: str,
    note: str | None,
    now: datetime,
) -> CallLog:
    """Record an outcome. On a candidate with a final outcome it is a correction: the earlier
    log stays as history and this one names the outcome it replaced."""
    replaced = candidate.outcome
    log = CallLog(
        candidate_id=candidate.id,
        recruiter_id=recruiter.id,
        outcome=outcome,
        note=note,
        replaced_outcome=replaced,
        created_at=now,
    )
    session.add(log)
    if outcome == "no-answer":
        candidate.attempts += 1
        if replaced is not None:
            # "Called" was a mistake: they were not reached, so they wait for a call again.
            candidate.outcome = None
            candidate.outcome_at = None
    else:
        candidate.outcome = outcome
        candidate.outcome_at = now
    await session.flush()
    return log


def set_conversation_reference(recruiter: Recruiter, reference: dict[str, Any]) -> None:
    """A user who just wrote to the bot is reachable again, whatever failed before."""
    if recruiter.conversation_reference != reference:
        recruiter.conversation_reference = reference
    recruiter.unreachable_at = None
    recruiter.unreachable_reason = None


async def mark_unreachable(
    session: AsyncSession, platform: str, workspace: str, user: str, reason: str, now: datetime
) -> bool:
    """Record that the platform refused delivery to this user; False if they are unknown."""
    recruiter = await find_recruiter(session, platform, workspace, user)
    if recruiter is None:
        return False
    recruiter.unreachable_at = now
    recruiter.unreachable_reason = reason[:200]
    return True


async def claim_event(session: AsyncSession, key: str, now: datetime) -> bool:
    """Record a delivery key; False when it was already handled."""
    try:
        async with session.begin_nested():
            session.add(ProcessedEvent(key=key, created_at=now))
    except IntegrityError:
        return False
    return True


@dataclass(frozen=True)
class ReportRow:
    position: str
    called: int
    declined: int
    skipped: int
    pending: int

    @property
    def total(self) -> int:
        return self.called + self.declined + self.skipped + self.pending


async def report(
    session: AsyncSession, workspace_id: int, recruiter_id: int | None, position: str | None
) -> list[ReportRow]:
    """Outcomes per position; anonymised candidates still count, so figures stay true."""

    def count(outcome: str | None):
        condition = Candidate.outcome.is_(None) if outcome is None else Candidate.outcome == outcome
        return func.sum(case((condition, 1), else_=0))

    query = (
        select(
            Position.title,
            count("called"),
            count("declined"),
            count("skipped"),
            count(None),
        )
        .join(Candidate, Candidate.position_id == Position.id)
        .where(Candidate.workspace_id == workspace_id)
        .group_by(Position.id, Position.title)
        .order_by(Position.title)
    )
    if recruiter_id is not None:
        query = query.where(Candidate.recruiter_id == recruiter_id)
    if position:
        query = query.where(Position.title_key == position.casefold())
    # Counts and a title; typed Any, since SQLAlchemy types a CASE sum as object.
    rows: Sequence[Any] = (await session.execute(query)).all()
    return [
        ReportRow(title, int(a or 0), int(b or 0), int(c or 0), int(d or 0))
        for title, a, b, c, d in rows
    ]
