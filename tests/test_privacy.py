"""Talent-pool consent, export, erasure, access rules and the audit log, through the engine."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import commands
from bot.coach import Coach
from bot.engine.privacy import add_months
from bot.messages import Identity
from bot.retention import purge
from bot.settings import Settings
from conversation_guides import GuideBook
from storage import privacy as store
from storage.database import create_engine, make_sessionmaker, migrate
from storage.tables import (
    AuditEvent,
    CallLog,
    CallPreparation,
    Candidate,
    PreparationAnswer,
    TalentPoolConsent,
)
from tests.support.database import Clock, engine_of
from tests.support.engine import CONCRETE, add, say
from tests.support.snapshots import snapshot

NOTE = "left a voicemail, sounded upset about the salary"


async def prepared(coach: Coach, who: Identity, line: str = "add Kari Nordmann | Nurse") -> str:
    """A candidate with a preparation, a note in the call log and a consent."""
    ref = await add(coach, who, line)
    for key in ("competence", "gaps"):
        assert (await coach.answer_step(who, ref, key, CONCRETE[key])).accepted
    await say(coach, who, f"log {ref} no-answer {NOTE}")
    await say(coach, who, f"log {ref} called")
    assert "talent pool until" in (await say(coach, who, f"consent {ref}")).text
    return ref


async def audit_trail(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str, str]]:
    async with sessions() as session:
        rows = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
        return [(e.actor_external_id, e.action, e.candidate_public_id or "") for e in rows]


# -- consent --------------------------------------------------------------------------------


async def test_consent_expires_after_the_configured_months(
    coach: Coach, person: Callable[..., Identity], clock: Clock
) -> None:
    me, colleague, elsewhere = person("u1"), person("u2"), person("u1", workspace="w2")
    ref = await add(coach, me, "add Kari Nordmann | Nurse")
    granted = await say(coach, me, f"consent {ref}")
    assert "Kari Nordmann" in granted.text and "until 2027-11-23" in granted.text
    again = await say(coach, me, "consent Kari Nordmann")
    assert "already in the talent pool until 2027-11-23" in again.text
    # The pool is the workspace's: a colleague sees it; another workspace does not.
    for viewer in (me, colleague):
        pool = (await say(coach, viewer, "pool")).text
        assert f"Kari Nordmann ({ref}) – Nurse – consent until 2027-11-23" in pool
    assert "Kari" not in (await say(coach, elsewhere, "pool")).text
    clock.advance(days=364)
    assert ref in (await say(coach, me, "pool")).text
    clock.advance(days=1)
    assert "Nobody" in (await say(coach, me, "pool")).text
    renewed = await say(coach, me, f"consent {ref}")
    assert "until 2028-11-23" in renewed.text


async def test_consent_months_come_from_settings(
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    database_url: str,
    person: Callable[..., Identity],
    clock: Clock,
) -> None:
    settings = Settings(DATABASE_URL=database_url, COACH_TALENT_POOL_MONTHS=6)
    coach = Coach(sessions, guides, settings, clock=clock)
    ref = await add(coach, person(), "add Kari Nordmann | Nurse")
    assert "until 2027-05-23" in (await say(coach, person(), f"consent {ref}")).text


def test_add_months_keeps_the_day_or_takes_the_last() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 11, 23, tzinfo=UTC), 14) == datetime(2028, 1, 23, tzinfo=UTC)


async def test_consent_withdrawn(
    coach: Coach, sessions: async_sessionmaker[AsyncSession], person: Callable[..., Identity]
) -> None:
    me = person("u1")
    ref = await add(coach, me, "add Kari Nordmann | Nurse")
    nothing = await say(coach, me, f"consent {ref} withdraw")
    assert "nothing to withdraw" in nothing.text
    await say(coach, me, f"consent {ref}")
    withdrawn = await say(coach, me, "consent Kari Nordmann withdraw")
    assert "no longer in the talent pool" in withdrawn.text
    assert "Nobody" in (await say(coach, me, "pool")).text
    async with sessions() as session:
        consent = (await session.scalars(select(TalentPoolConsent))).one()
        assert consent.withdrawn_at is not None and consent.withdrawn_by == consent.granted_by
    assert await audit_trail(sessions) == [
        ("u1", "consent_granted", ref),
        ("u1", "consent_withdrawn", ref),
    ]


async def test_consent_in_norwegian(coach: Coach, person: Callable[..., Identity]) -> None:
    who = person(language="nb")
    ref = await add(coach, who, "add Kari Nordmann | Sykepleier")
    assert "ressursbanken til 2027-11-23" in (await say(coach, who, f"consent {ref}")).text
    assert "Ressursbanken" in (await say(coach, who, "pool")).text
    assert "trukket" in (await say(coach, who, f"consent {ref} trekk")).text
    assert "Bare en administrator" in (await say(coach, who, f"export {ref}")).text


# -- access -----------------------------------------------------------------------------------


async def test_privacy_commands_refused_across_recruiters_and_workspaces(
    coach: Coach,
    sessions: async_sessionmaker[AsyncSession],
    person: Callable[..., Identity],
) -> None:
    owner = person("u1")
    ref = await prepared(coach, owner)
    colleague, outsider = person("u2"), person("u1", workspace="w2")
    foreign_admin = person("admin-user", workspace="w2")
    for who in (colleague, outsider, foreign_admin):
        await say(coach, who, "help")  # registered, so the snapshot below compares like for like
    before = await snapshot(sessions)
    for intruder in (colleague, outsider):
        for text in (f"consent {ref}", f"consent {ref} withdraw", "consent Kari withdraw"):
            assert "can't find" in (await say(coach, intruder, text)).text
        for text in (f"export {ref}", f"erase {ref}", "export Kari Nordmann"):
            reply = await say(coach, intruder, text)
            assert "Only an admin" in reply.text and "Kari" not in reply.text
    # The owner is no admin either: a recruiter cannot export or erase their own candidates.
    assert "Only an admin" in (await say(coach, owner, f"erase {ref}")).text
    for text in (f"export {ref}", f"erase {ref}", f"consent {ref} withdraw"):
        reply = await say(coach, foreign_admin, text)
        assert "can't find" in reply.text and "Kari" not in reply.text
    assert "Kari" not in (await say(coach, outsider, "pool")).text
    assert await snapshot(sessions) == before


async def test_admin_scoped_to_one_workspace(
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    database_url: str,
    person: Callable[..., Identity],
    clock: Clock,
) -> None:
    settings = Settings(DATABASE_URL=database_url, COACH_ADMINS="w1:boss, 29:1teams-id")
    coach = Coach(sessions, guides, settings, clock=clock)
    ref = await add(coach, person("u1"), "add Kari Nordmann | Nurse")
    other = await add(coach, person("u1", workspace="w2"), "add Ola Nordmann | Driver")
    boss = person("boss")
    assert json.loads((await say(coach, boss, f"export {ref}")).text)["candidate"] == ref
    assert "whole workspace" in (await say(coach, boss, "report")).text
    assert (
        "Only an admin"
        in (await say(coach, person("boss", workspace="w2"), f"export {other}")).text
    )
    assert (
        "whole workspace" not in (await say(coach, person("boss", workspace="w2"), "report")).text
    )
    # A plain id works in any workspace, also a Teams id with a colon in it.
    teams_admin = person("29:1teams-id", workspace="w2")
    assert json.loads((await say(coach, teams_admin, f"export {other}")).text)["candidate"] == other


async def test_admin_may_change_consent_for_any_candidate_of_the_workspace(
    coach: Coach, sessions: async_sessionmaker[AsyncSession], person: Callable[..., Identity]
) -> None:
    ref = await add(coach, person("u1"), "add Kari Nordmann | Nurse")
    await say(coach, person("u1"), f"consent {ref}")
    admin = person("admin-user")
    assert "no longer" in (await say(coach, admin, "consent Kari Nordmann withdraw")).text
    assert await audit_trail(sessions) == [
        ("u1", "consent_granted", ref),
        ("admin-user", "consent_withdrawn", ref),
    ]


# -- export ---------------------------------------------------------------------------------


async def test_export_holds_everything_about_the_person(
    coach: Coach, sessions: async_sessionmaker[AsyncSession], person: Callable[..., Identity]
) -> None:
    ref = await prepared(coach, person("u1"))
    other = await prepared(coach, person("u1"), "add Ola Nordmann | Driver")
    reply = await say(coach, person("admin-user"), "export Kari Nordmann")
    assert reply.attachment is not None
    assert reply.attachment.filename == f"candidate-{ref}.json"
    assert reply.attachment.content == reply.text
    document = json.loads(reply.text)
    assert document["candidate"] == ref and document["exported_by"] == "admin-user"
    data = document["data"]
    (candidate,) = data["candidates"]
    assert candidate["name"] == "Kari Nordmann" and candidate["outcome"] == "called"
    assert candidate["position_id"] == "Nurse" and candidate["recruiter_id"] == "u1"
    assert candidate["public_id"] == ref and "id" not in candidate
    answers = {a["step_key"]: a["text"] for a in data["preparation_answers"]}
    assert answers == {k: CONCRETE[k] for k in ("competence", "gaps")}
    assert [log["note"] for log in data["call_logs"]] == [NOTE, None]
    (consent,) = data["talent_pool_consents"]
    assert consent["granted_by"] == "u1" and consent["expires_at"].startswith("2027-11-23")
    assert [e["action"] for e in data["audit_events"]] == ["consent_granted", "export"]
    # Nothing of the other candidate.
    assert "Ola" not in reply.text and other not in reply.text
    trail = await audit_trail(sessions)
    assert trail[-1] == ("admin-user", "export", ref)


async def test_export_of_an_unknown_or_ambiguous_name(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    first = await add(coach, person("u1"), "add Kari Nordmann | Nurse")
    second = await add(coach, person("u2"), "add Kari Nordmann | Midwife")
    admin = person("admin-user")
    ambiguous = await say(coach, admin, "export Kari")
    assert "Which one" in ambiguous.text and first in ambiguous.text and second in ambiguous.text
    assert ambiguous.attachment is None
    assert "can't find" in (await say(coach, admin, "export Nobody Here")).text


# -- erase ----------------------------------------------------------------------------------


async def test_erase_asks_for_the_id_then_deletes_everything_personal(
    coach: Coach,
    sessions: async_sessionmaker[AsyncSession],
    person: Callable[..., Identity],
) -> None:
    owner, admin = person("u1"), person("admin-user")
    ref = await prepared(coach, owner)
    kept = await prepared(coach, owner, "add Ola Nordmann | Nurse")
    report_before = (await say(coach, admin, "report")).text
    before = await snapshot(sessions)
    confirm = await say(coach, admin, "erase Kari Nordmann")
    assert f"erase {ref}" in confirm.text
    assert [b.command for b in confirm.cards[0].buttons] == [f"erase {ref}"]
    assert await snapshot(sessions) == before
    erased = await say(coach, admin, f"erase {ref}")
    assert ref in erased.text and "Kari" not in erased.text
    assert (await say(coach, admin, "report")).text == report_before
    assert "Kari" not in (await say(coach, owner, "list")).text
    assert "Ola Nordmann" in (await say(coach, owner, "list")).text
    assert "Kari" not in (await say(coach, owner, "pool")).text
    assert "can't find" in (await say(coach, admin, f"export {ref}")).text
    async with sessions() as session:
        candidate = await session.scalar(select(Candidate).where(Candidate.public_id == ref))
        assert candidate is not None
        assert candidate.name is None and candidate.anonymized_at is not None
        assert candidate.outcome == "called" and candidate.attempts == 1
        for model in (CallPreparation, TalentPoolConsent):
            count = select(func.count()).select_from(model)
            assert await session.scalar(count.where(model.candidate_id == candidate.id)) == 0
        notes = await session.scalars(
            select(CallLog.note).where(CallLog.candidate_id == candidate.id)
        )
        assert list(notes) == [None, None]
        # Ola's data is untouched.
        assert await session.scalar(select(func.count()).select_from(PreparationAnswer)) == 2
    assert "Ola Nordmann" in (await say(coach, admin, f"export {kept}")).text
    assert (await audit_trail(sessions))[-2] == ("admin-user", "erase", ref)


async def test_erased_data_is_unreadable_in_the_sqlite_file(
    tmp_path: Path, guides: GuideBook, person: Callable[..., Identity], clock: Clock
) -> None:
    path = tmp_path / "erase.sqlite3"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    settings = Settings(DATABASE_URL=f"sqlite+aiosqlite:///{path}", COACH_ADMINS="admin-user")
    coach = Coach(sessions, guides, settings, clock=clock)
    try:
        ref = await prepared(coach, person("u1"), "add Quillon Braxendale | Nurse")
        secrets = [b"Quillon", NOTE.encode(), CONCRETE["gaps"].encode()[:40]]
        assert all(secret in _raw(path) for secret in secrets)  # the check can see them
        await say(coach, person("admin-user"), f"erase {ref}")
        raw = _raw(path)
        assert [s for s in secrets if s in raw] == []
    finally:
        await engine.dispose()


def _raw(path: Path) -> bytes:
    """The database file and its write-ahead log, byte for byte."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


# -- the audit log and the application log --------------------------------------------------


async def test_audit_log_records_who_and_when_but_no_personal_data(
    coach: Coach,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    person: Callable[..., Identity],
    clock: Clock,
) -> None:
    admin = person("admin-user")
    ref = await prepared(coach, person("u1"))
    clock.advance(days=1)
    await say(coach, person("u1"), f"consent {ref} withdraw")
    await say(coach, admin, f"export {ref}")
    await say(coach, admin, f"erase {ref}")
    old = await add(coach, person("u1"), "add Ola Nordmann | Driver")
    clock.advance(days=settings.coach_retention_days + 1)
    await purge(engine_of(coach), coach.sessions, settings, clock())
    async with sessions() as session:
        events = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
        workspace_ids = {c.workspace_id for c in (await session.scalars(select(Candidate))).all()}
    assert [(e.actor_external_id, e.action, e.candidate_public_id) for e in events] == [
        ("u1", "consent_granted", ref),
        ("u1", "consent_withdrawn", ref),
        ("admin-user", "export", ref),
        ("admin-user", "erase", ref),
        (store.RETENTION_ACTOR, "purge", old),
    ]
    assert [e.created_at.date().isoformat() for e in events[:2]] == ["2026-11-23", "2026-11-24"]
    assert {e.workspace_id for e in events} == workspace_ids
    for event in events:
        stored = f"{event.actor_external_id} {event.action} {event.candidate_public_id}"
        assert "Kari" not in stored and "Ola" not in stored and "voicemail" not in stored


async def test_application_logs_never_hold_names_or_notes(
    coach: Coach, settings: Settings, person: Callable[..., Identity], clock: Clock, caplog
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="storage")
    caplog.set_level(logging.INFO)
    me, admin, colleague = person("u1"), person("admin-user"), person("u2")
    ref = await prepared(coach, me)
    await say(coach, me, "start Kari Nordmann")
    await coach.submit_checklist(me, ref, {"competence": "x"})
    await coach.answer_step(me, ref, "gaps", "We wanted a younger profile.")
    await coach.finish(me, ref)
    for text in ("list", "pool", "report", "help", "consent Kari Nordmann withdraw"):
        await say(coach, me, text)
    for text in ("export Kari Nordmann", "erase Kari Nordmann", "log Kari Nordmann skipped"):
        await say(coach, colleague, text)
    await say(coach, admin, "export Kari Nordmann")
    await say(coach, admin, f"erase {ref}")
    await add(coach, me, "add Ola Nordmann | Driver")
    clock.advance(days=settings.coach_retention_days + 1)
    await purge(engine_of(coach), coach.sessions, settings, clock())
    logged = caplog.text
    assert f"export of candidate {ref}" in logged and "export refused" in logged  # logs do exist
    for secret in ("Kari", "Nordmann", "Ola", "voicemail", "salary", CONCRETE["gaps"][:30]):
        assert secret not in logged


@pytest.mark.parametrize("language", ["en", "nb"])
async def test_erase_confirmation_in_both_languages(
    coach: Coach, person: Callable[..., Identity], language: str
) -> None:
    ref = await add(coach, person("u1"), "add Kari Nordmann | Nurse")
    reply = await say(coach, person("admin-user", language=language), "erase Kari")
    # The words to type are the recruiter's own; the button carries the grammar's.
    typed = {"en": "erase", "nb": "slett"}[language]
    assert f"{typed} {ref}" in reply.text and reply.cards[0].buttons[0].style == "danger"
    assert isinstance(commands.parse(f"{typed} {ref}"), commands.Erase)
