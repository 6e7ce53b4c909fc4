"""Queries for the weekly reminders. Each takes a session and never commits on its own.

Finding who is due and what to tell them takes a fixed number of queries however many
recruiters there are: id lists travel as one parameter (a PostgreSQL array, a JSON text
on SQLite), never as one placeholder per id.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    exists,
    func,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import Candidate, Position, Recruiter, ReminderDelivery, Workspace

CLAIMED, SENT, FAILED, GONE = "claimed", "sent", "failed", "gone"


# Named tuples, not dataclasses: a plan makes one per recruiter and per pending candidate
# (hundreds of thousands), and a tuple is made several times faster than a frozen dataclass.


class Target(NamedTuple):
    """A recruiter who wants reminders, can be reached, and has someone waiting for a call."""

    recruiter_id: int
    platform: str
    workspace: str
    user: str
    language: str | None
    timezone: str
    weekday: int
    at: time
    snoozed_until: datetime | None
    created_at: datetime
    conversation_reference: dict[str, Any] | None
    call_deadline_days: int | None


# A candidate still waiting for the call, as the reminder shows them: public id, name,
# position title, rejected at (UTC). A plain tuple: a plan holds a hundred thousand of them.
Pending = tuple[str, str, str, datetime]


class Delivery(NamedTuple):
    recruiter_id: int
    period: str
    status: str
    claimed_at: datetime | None
    attempts: int

    def open(self, now: datetime, lease: timedelta, max_attempts: int) -> bool:
        """May this delivery be claimed (again)? Mirrors the WHERE clause of `claim`."""
        stale = self.claimed_at is None or self.claimed_at < now - lease
        if self.status == CLAIMED:
            return stale
        if self.status == FAILED:
            return stale and self.attempts < max_attempts
        return False


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)


def _utc(value: datetime) -> datetime:
    """As UTCDateTime reads a value: SQLite gives the stored UTC time without a zone.

    The same instant as `value.replace(tzinfo=UTC)`, in a tenth of the time (replace's keyword
    parsing is most of the cost of reading a hundred thousand rows).
    """
    return value if value.tzinfo is not None else _EPOCH + (value - _NAIVE_EPOCH)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _among(session: AsyncSession, column: Any, ids: Collection[int]) -> ColumnElement[bool]:
    """`column IN ids` with the whole list bound as a single parameter."""
    values = sorted(set(ids))
    dialect = _dialect(session)
    if dialect == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(Integer)))
    if dialect == "sqlite":
        document = bindparam(None, json.dumps(values), type_=String)
        each = func.json_each(document).table_valued("value")
        return column.in_(select(each.c.value))
    return column.in_(values)


async def _rows(session: AsyncSession, query: Select[*tuple[Any, ...]]) -> Sequence[Any]:
    """Plain rows through the session's connection: Core, without the ORM's result loading
    (a tenth of the time for ten thousand recruiters' rows, and these are not entities)."""
    connection = await session.connection()
    return (await connection.execute(query)).all()


async def targets(session: AsyncSession) -> list[Target]:
    """Every recruiter with reminders on, reachable, and at least one pending candidate."""
    # By recruiter only: with a workspace condition too, SQLite probes the workspace index
    # (thousands of rows) instead of the recruiter's handful. add_candidate sets both alike.
    waiting = exists().where(
        Candidate.recruiter_id == Recruiter.id,
        Candidate.outcome.is_(None),
        Candidate.name.is_not(None),
    )
    query = (
        select(
            Recruiter.id,
            Workspace.platform,
            Workspace.external_id,
            Recruiter.external_id,
            Recruiter.language,
            Recruiter.timezone,
            Recruiter.reminder_weekday,
            Recruiter.reminder_time,
            # Bare column types, converted below as in `pending`.
            type_coerce(Recruiter.snoozed_until, DateTime(timezone=True)),
            type_coerce(Recruiter.created_at, DateTime(timezone=True)),
            Recruiter.conversation_reference,
            Workspace.call_deadline_days,
        )
        .join(Workspace, Workspace.id == Recruiter.workspace_id)
        .where(
            Recruiter.reminders_enabled.is_(True),
            Recruiter.unreachable_at.is_(None),
            # A workspace that removed the app gets nothing more from it.
            Workspace.uninstalled_at.is_(None),
            waiting,
        )
        .order_by(Recruiter.id)
    )
    found = []
    for row in await _rows(session, query):
        rid, platform, workspace, user, language, zone, weekday, at, snoozed, created, *rest = row
        snoozed = None if snoozed is None else _utc(snoozed)
        found.append(
            Target(
                rid,
                platform,
                workspace,
                user,
                language,
                zone,
                weekday,
                at,
                snoozed,
                _utc(created),
                *rest,
            )
        )
    return found


async def deliveries(
    session: AsyncSession, recruiter_ids: Collection[int], periods: Collection[str]
) -> list[Delivery]:
    """The deliveries already recorded for these recruiters in these periods."""
    if not recruiter_ids or not periods:
        return []
    query = select(
        ReminderDelivery.recruiter_id,
        ReminderDelivery.period,
        ReminderDelivery.status,
        ReminderDelivery.claimed_at,
        ReminderDelivery.attempts,
    ).where(
        _among(session, ReminderDelivery.recruiter_id, recruiter_ids),
        ReminderDelivery.period.in_(sorted(set(periods))),
    )
    return [Delivery._make(row) for row in await _rows(session, query)]


async def pending(
    session: AsyncSession, recruiter_ids: Collection[int]
) -> dict[int, list[Pending]]:
    """Each recruiter's pending candidates, oldest rejection first."""
    found: dict[int, list[Pending]] = {rid: [] for rid in recruiter_ids}
    if not recruiter_ids:
        return found
    query = (
        select(
            Candidate.recruiter_id,
            Candidate.public_id,
            Candidate.name,
            Position.title,
            # The bare column type: UTCDateTime's per-value hook is most of the cost of a
            # hundred thousand rows, so the same conversion is done below, inline.
            type_coerce(Candidate.rejected_at, DateTime(timezone=True)),
        )
        .join(Position, Position.id == Candidate.position_id)
        .where(
            _among(session, Candidate.recruiter_id, recruiter_ids),
            Candidate.outcome.is_(None),
            Candidate.name.is_not(None),
        )
        .order_by(Candidate.recruiter_id, Candidate.rejected_at, Candidate.id)
    )
    for rid, public_id, name, position, rejected in await _rows(session, query):
        found[rid].append((public_id, name, position, _utc(rejected)))
    return found


async def claim(
    session: AsyncSession,
    recruiter_id: int,
    period: str,
    worker: str,
    now: datetime,
    lease: timedelta,
    max_attempts: int,
) -> bool:
    """Take the right to send one reminder; commit before sending. False: someone else has it.

    A new row is inserted; an existing one is taken over only when its claim has gone stale
    (its process died after claiming) or an earlier attempt failed and may be retried.
    """
    values = {
        "recruiter_id": recruiter_id,
        "period": period,
        "status": CLAIMED,
        "claimed_by": worker,
        "claimed_at": now,
        "attempts": 1,
    }
    # Both supported databases speak INSERT .. ON CONFLICT DO NOTHING .. RETURNING.
    insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    statement = (
        insert(ReminderDelivery)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["recruiter_id", "period"])
        .returning(ReminderDelivery.id)
    )
    if (await session.execute(statement)).first() is not None:
        return True
    stale = now - lease
    retake = (
        update(ReminderDelivery)
        .where(
            ReminderDelivery.recruiter_id == recruiter_id,
            ReminderDelivery.period == period,
            # No claim time: given back by `release`, free to take at once.
            or_(ReminderDelivery.claimed_at.is_(None), ReminderDelivery.claimed_at < stale),
            or_(
                ReminderDelivery.status == CLAIMED,
                and_(ReminderDelivery.status == FAILED, ReminderDelivery.attempts < max_attempts),
            ),
        )
        .values(
            status=CLAIMED,
            claimed_by=worker,
            claimed_at=now,
            attempts=ReminderDelivery.attempts + 1,
            error=None,
        )
        .returning(ReminderDelivery.id)
    )
    return (await session.execute(retake)).first() is not None


async def mark_sent(
    session: AsyncSession,
    recruiter_id: int,
    period: str,
    worker: str,
    now: datetime,
    snoozed: bool = False,
) -> bool:
    """Record the delivery; a snooze that has come due is used up. False: our claim was lost.

    `snoozed`: the recruiter had a snooze when planned (a snooze set since is in the future).
    """
    done = await session.execute(
        _finish(recruiter_id, period, worker).values(status=SENT, sent_at=now, error=None)
    )
    if snoozed:
        await session.execute(
            update(Recruiter)
            .where(Recruiter.id == recruiter_id, Recruiter.snoozed_until <= now)
            .values(snoozed_until=None)
        )
    return done.first() is not None


async def mark_failed(
    session: AsyncSession,
    recruiter_id: int,
    period: str,
    worker: str,
    now: datetime,
    reason: str,
    gone: bool,
) -> None:
    """Record a failed delivery; a recruiter the platform says is gone is not tried again."""
    await session.execute(
        _finish(recruiter_id, period, worker).values(
            status=GONE if gone else FAILED, error=reason[:200]
        )
    )
    if gone:
        await session.execute(
            update(Recruiter)
            .where(Recruiter.id == recruiter_id)
            .values(unreachable_at=now, unreachable_reason=reason[:200])
        )


async def release(
    session: AsyncSession, recruiter_id: int, period: str, worker: str, reason: str
) -> None:
    """Give a claim back, not counted as an attempt: the failure was the app's, not the
    recruiter's (its token or credentials were refused), so any later run may take it."""
    await session.execute(
        _finish(recruiter_id, period, worker).values(
            status=FAILED,
            claimed_by=None,
            claimed_at=None,
            attempts=ReminderDelivery.attempts - 1,
            error=reason[:200],
        )
    )


def _finish(recruiter_id: int, period: str, worker: str) -> Any:
    return (
        update(ReminderDelivery)
        .where(
            ReminderDelivery.recruiter_id == recruiter_id,
            ReminderDelivery.period == period,
            ReminderDelivery.claimed_by == worker,
            ReminderDelivery.status == CLAIMED,
        )
        .returning(ReminderDelivery.id)
    )


def periods_of(rows: Iterable[Delivery]) -> dict[tuple[int, str], Delivery]:
    return {(row.recruiter_id, row.period): row for row in rows}
