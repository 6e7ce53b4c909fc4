"""Every table and column holding candidate data is covered by export, erasure and purge."""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.coach import Coach
from bot.messages import Identity
from bot.retention import purge
from bot.settings import Settings
from storage.privacy import CANDIDATE_DATA, Covered
from storage.tables import AtsApplication, Base, Candidate
from tests.support.database import Clock
from tests.support.engine import CONCRETE, add, say


def holding_candidate_data() -> dict[str, Table]:
    """candidates, every table that reaches it through foreign keys, and any table with a
    column that names a candidate without a foreign key (like the audit log's public id)."""
    tables = Base.metadata.tables
    found = {"candidates": tables["candidates"]}
    grew = True
    while grew:
        grew = False
        for name, table in tables.items():
            if name in found:
                continue
            if any(fk.column.table.name in found for fk in table.foreign_keys):
                found[name] = table
                grew = True
    for name, table in tables.items():
        if any("candidate" in column.name for column in table.columns):
            found[name] = table
    return found


def test_every_column_holding_candidate_data_is_covered() -> None:
    covered = {c.table: c for c in CANDIDATE_DATA}
    assert set(covered) == set(holding_candidate_data())
    for name, table in holding_candidate_data().items():
        policy = covered[name]
        columns = {column.name for column in table.columns}
        parts = (policy.personal, policy.kept, policy.internal)
        listed = set().union(*parts)
        assert listed == columns, (
            f"{name}: not covered {columns - listed}, stale {listed - columns}"
        )
        assert sum(len(p) for p in parts) == len(listed), f"{name}: a column is listed twice"
        if policy.on_erase == "clear_personal":
            nullable = {c.name for c in table.columns if c.nullable}
            assert policy.personal <= nullable, f"{name}: personal columns must be clearable"


async def _full_candidate(coach: Coach, who: Identity, line: str) -> str:
    """A candidate with a row in every table that can hold their data."""
    ref = await add(coach, who, line)
    vague = "You were not the right fit for us."
    assert (await coach.answer_step(who, ref, "gaps", CONCRETE["gaps"])).accepted
    assert not (await coach.answer_step(who, ref, "self_presentation", vague)).accepted  # flagged
    assert (await coach.answer_step(who, ref, "competence", CONCRETE["competence"])).accepted
    practice = (await say(coach, who, f"practice {ref}")).practice  # fills practice_runs
    assert practice is not None
    assert (await coach.practice_turn(who, practice.state, "stop")).practice is not None
    await say(coach, who, f"log {ref} no-answer left a voicemail about the role")
    await say(coach, who, f"consent {ref}")
    await say(coach, who, f"consent {ref} withdraw")
    await say(coach, who, f"consent {ref}")
    # As if the candidate had come from an ATS: the application row that links them there.
    async with coach.sessions.begin() as session:
        candidate = await session.scalar(select(Candidate).where(Candidate.public_id == ref))
        assert candidate is not None
        session.add(
            AtsApplication(
                workspace_id=candidate.workspace_id,
                vendor="greenhouse",
                application_id=f"app-{ref}",
                ats_candidate_id=f"person-{ref}",
                status="pending",
                candidate_id=candidate.id,
                internal=False,
                rejected_at=candidate.rejected_at,
                link=f"https://app.greenhouse.io/people/1?application_id=app-{ref}",
                event_at=candidate.rejected_at,
                created_at=candidate.rejected_at,
                updated_at=candidate.rejected_at,
            )
        )
    return ref


async def _rows(
    sessions: async_sessionmaker[AsyncSession], ref: str
) -> dict[str, list[dict[str, object]]]:
    async with sessions() as session:
        candidate = await session.scalar(select(Candidate).where(Candidate.public_id == ref))
        assert candidate is not None
        out = {}
        for policy in CANDIDATE_DATA:
            table = Base.metadata.tables[policy.table]
            objects = (await session.scalars(policy.rows(candidate))).all()
            out[policy.table] = [
                {c.name: getattr(o, c.key) for c in table.columns} for o in objects
            ]
        return out


def _assert_gone(policy: Covered, rows: list[dict[str, object]]) -> None:
    if policy.on_erase == "delete_rows":
        assert rows == [], policy.table
    elif policy.on_erase == "clear_personal":
        for row in rows:
            assert {k: v for k, v in row.items() if k in policy.personal} == dict.fromkeys(
                policy.personal
            ), policy.table


async def test_export_erase_and_purge_cover_every_listed_column(
    coach: Coach,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    person: Callable[..., Identity],
    clock: Clock,
) -> None:
    admin = person("admin-user")
    erased = await _full_candidate(coach, person("u1"), "add Kari Nordmann | Nurse")
    purged = await _full_candidate(coach, person("u1"), "add Ola Nordmann | Nurse")
    await say(coach, person("u1"), f"consent {purged} withdraw")
    exported = json.loads((await say(coach, admin, f"export {erased}")).text)["data"]
    stored = await _rows(sessions, erased)
    for policy in CANDIDATE_DATA:
        rows = stored[policy.table]
        assert rows, f"the test must put a row into {policy.table}"
        assert len(exported[policy.table]) == len(rows), policy.table
        for row, out in zip(rows, exported[policy.table], strict=True):
            assert set(out) == policy.exported, policy.table
            for column in policy.personal:
                # Every personal value is exported as stored (ids turn into names, not None).
                assert (out[column] is None) == (row[column] is None), (policy.table, column)
                if isinstance(row[column], str):
                    assert out[column] == row[column], (policy.table, column)

    await say(coach, admin, f"erase {erased}")
    after_erase = await _rows(sessions, erased)
    for policy in CANDIDATE_DATA:
        _assert_gone(policy, after_erase[policy.table])

    clock.advance(days=settings.coach_retention_days + 1)
    assert (await purge(engine, sessions, settings, clock())).public_ids == (purged,)
    after_purge = await _rows(sessions, purged)
    for policy in CANDIDATE_DATA:
        _assert_gone(policy, after_purge[policy.table])
