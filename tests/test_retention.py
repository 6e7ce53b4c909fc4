"""The retention policy: exactly the right candidates lose their personal data, reports stay."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.coach import Coach
from bot.messages import Identity
from bot.retention import erase_now, purge, retention_loop
from bot.settings import Settings
from bot.wiring import build_web_app
from conversation_guides import GuideBook
from storage import privacy as store
from storage.database import create_engine, make_sessionmaker, migrate
from storage.tables import (
    AuditEvent,
    CallLog,
    CallPreparation,
    Candidate,
    TalentPoolConsent,
    Workspace,
)
from tests.support.database import Clock, engine_of
from tests.support.engine import CONCRETE, add, say

ROOT = Path(__file__).resolve().parent.parent


async def full(
    coach: Coach, who: Identity, line: str, note: str = "rang twice, no voicemail"
) -> str:
    ref = await add(coach, who, line)
    assert (await coach.answer_step(who, ref, "competence", CONCRETE["competence"])).accepted
    await say(coach, who, f"log {ref} no-answer {note}")
    return ref


async def names(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str | None]:
    async with sessions() as session:
        rows = (await session.execute(select(Candidate.public_id, Candidate.name))).all()
    return dict(rows)


async def test_purge_deletes_exactly_the_right_rows_and_reports_stay(
    coach: Coach,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    person: Callable[..., Identity],
    clock: Clock,
) -> None:
    me, colleague, admin = person("u1"), person("u2"), person("admin-user")
    days = settings.coach_retention_days
    # Rejected long ago: no consent, withdrawn consent, consent expiring before the purge.
    plain = await full(coach, me, "add Old Plain | Nurse")
    await say(coach, me, f"log {plain} called")
    withdrawn = await full(coach, colleague, "add Old Withdrawn | Driver")
    await say(coach, colleague, f"consent {withdrawn}")
    await say(coach, colleague, f"consent {withdrawn} withdraw")
    clock.advance(days=days - 300)
    expiring = await full(coach, me, "add Old Expiring | Nurse")
    await say(coach, me, f"consent {expiring}")  # lasts a year: over before the purge below
    clock.advance(days=60)
    # Rejected long ago but still in the talent pool.
    pooled = await full(coach, me, "add Old Pooled | Nurse")
    clock.advance(days=240)  # now `days` after the first three were added
    await say(coach, me, f"consent {pooled}")
    # Rejected exactly at the limit, and recently: both stay.
    clock.advance(days=1)
    borderline_day = clock()
    clock.advance(days=days - 1)
    recent = await full(coach, colleague, "add New Recent | Driver")
    clock.now = borderline_day
    borderline = await full(coach, me, "add At Limit | Nurse")
    clock.now = borderline_day + timedelta(days=days)

    reports_before = [(await say(coach, who, "report")).text for who in (me, colleague, admin)]
    result = await purge(engine, sessions, settings, clock())

    gone = {plain, withdrawn, expiring}
    assert set(result.public_ids) == gone and result.anonymized == 3
    stored = await names(sessions)
    assert {ref for ref, name in stored.items() if name is None} == gone
    assert {stored[r] for r in (pooled, recent, borderline)} == {
        "Old Pooled",
        "New Recent",
        "At Limit",
    }
    reports_after = [(await say(coach, who, "report")).text for who in (me, colleague, admin)]
    assert reports_after == reports_before
    async with sessions() as session:
        for ref in gone | {pooled, recent, borderline}:
            candidate = await session.scalar(select(Candidate).where(Candidate.public_id == ref))
            assert candidate is not None
            preparations = await session.scalar(
                select(func.count())
                .select_from(CallPreparation)
                .where(CallPreparation.candidate_id == candidate.id)
            )
            consents = await session.scalar(
                select(func.count())
                .select_from(TalentPoolConsent)
                .where(TalentPoolConsent.candidate_id == candidate.id)
            )
            notes = list(
                await session.scalars(
                    select(CallLog.note).where(CallLog.candidate_id == candidate.id)
                )
            )
            if ref in gone:
                assert candidate.anonymized_at == clock()
                assert (preparations, consents) == (0, 0)
                assert notes and set(notes) == {None}  # the calls still count, their notes go
            else:
                assert candidate.anonymized_at is None
                assert preparations == 1 and notes == ["rang twice, no voicemail"]
        purged = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "purge"))
        ).all()
    assert {(e.actor_external_id, e.candidate_public_id) for e in purged} == {
        (store.RETENTION_ACTOR, ref) for ref in gone
    }
    # Running it again changes nothing.
    assert (await purge(engine, sessions, settings, clock())).anonymized == 0


async def test_consent_keeps_a_candidate_until_it_expires(
    coach: Coach,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    person: Callable[..., Identity],
    clock: Clock,
) -> None:
    me = person()
    ref = await full(coach, me, "add Kari Nordmann | Nurse")
    await say(coach, me, f"consent {ref}")
    clock.advance(days=settings.coach_retention_days + 1)
    assert (await purge(engine, sessions, settings, clock())).anonymized == 0
    assert "Kari Nordmann" in (await say(coach, me, "pool")).text
    clock.advance(days=365 - settings.coach_retention_days)
    assert (await purge(engine, sessions, settings, clock())).public_ids == (ref,)
    assert "Nobody" in (await say(coach, me, "pool")).text
    assert (await names(sessions))[ref] is None


async def test_purge_leaves_nothing_readable_in_the_sqlite_file(
    tmp_path: Path, guides: GuideBook, person: Callable[..., Identity], clock: Clock
) -> None:
    path = tmp_path / "retention.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    settings = Settings(DATABASE_URL=url)
    coach = Coach(sessions, guides, settings, clock=clock)
    try:
        note = "mentioned-xylophone-4471 in the interview"
        ref = await full(coach, person(), "add Brunhilda Vexworth | Nurse", note)
        await say(coach, person(), f"consent {ref}")
        await say(coach, person(), f"consent {ref} withdraw")
        secrets = [b"Brunhilda", note.encode(), CONCRETE["competence"].encode()[:40]]
        raw = path.read_bytes() + _wal(path)
        assert all(secret in raw for secret in secrets)
        clock.advance(days=settings.coach_retention_days + 1)
        result = await purge(engine, sessions, settings, clock())
        assert result.public_ids == (ref,) and result.scrubbed
        raw = path.read_bytes() + _wal(path)
        assert [s for s in secrets if s in raw] == []
        assert b"Nurse" in raw  # the file was readable; the anonymous remainder is there
    finally:
        await engine.dispose()


async def test_erase_now_leaves_nothing_readable_in_the_sqlite_file(
    tmp_path: Path, guides: GuideBook, person: Callable[..., Identity], clock: Clock
) -> None:
    """Slack's uninstall event with no grace erases at once, without the engine in hand."""
    path = tmp_path / "uninstalled.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    settings = Settings(DATABASE_URL=url, COACH_UNINSTALL_GRACE_DAYS="0")
    coach = Coach(sessions, guides, settings, clock=clock)
    try:
        note = "mentioned-marimba-8812 in the interview"
        ref = await full(coach, person(), "add Gunnhild Quarrington | Nurse", note)
        secrets = [b"Gunnhild", note.encode()]
        assert all(secret in path.read_bytes() + _wal(path) for secret in secrets)
        async with sessions.begin() as session:
            await session.execute(update(Workspace).values(uninstalled_at=clock()))
        assert await erase_now(sessions, settings, clock()) == [ref]
        raw = path.read_bytes() + _wal(path)
        assert [s for s in secrets if s in raw] == []
        assert b"Nurse" in raw
    finally:
        await engine.dispose()


def _wal(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""


async def test_retention_loop_runs_again_after_each_interval(
    coach: Coach,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    person: Callable[..., Identity],
    clock: Clock,
) -> None:
    ref = await add(coach, person(), "add Kari Nordmann | Nurse")
    task = asyncio.create_task(retention_loop(engine, sessions, settings, clock, interval=0.01))
    try:
        await asyncio.sleep(0.05)
        assert (await names(sessions))[ref] == "Kari Nordmann"  # not due yet
        clock.advance(days=settings.coach_retention_days + 1)
        await _until(lambda: names(sessions), lambda stored: stored[ref] is None)
    finally:
        task.cancel()
        # Wait for it to unwind: a loop cancelled mid-purge still holds a connection, and
        # the engine's disposal at teardown would wait for it for ever.
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_server_purges_while_it_runs(
    coach: Coach,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    person: Callable[..., Identity],
    clock: Clock,
) -> None:
    ref = await add(coach, person(), "add Kari Nordmann | Nurse")
    clock.advance(days=settings.coach_retention_days + 1)
    runner = web.AppRunner(build_web_app(settings, coach, engine_of(coach)))
    await runner.setup()  # runs the cleanup contexts' start-up half
    try:
        await _until(lambda: names(sessions), lambda stored: stored[ref] is None)
    finally:
        await runner.cleanup()


async def _until(read, done, attempts: int = 200) -> None:
    for _ in range(attempts):
        if done(await read()):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the background purge did not happen")


async def test_purge_command_line(tmp_path: Path, guides: GuideBook, person) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    engine = create_engine(url)
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    settings = Settings(DATABASE_URL=url, COACH_RETENTION_DAYS=30)
    long_ago = datetime.now(UTC) - timedelta(days=31)
    old_coach = Coach(sessions, guides, settings, clock=lambda: long_ago)
    new_coach = Coach(sessions, guides, settings, clock=lambda: datetime.now(UTC))
    old = await add(old_coach, person(), "add Old One | Nurse")
    new = await add(new_coach, person(), "add New One | Nurse")
    await engine.dispose()
    env = {**os.environ, "DATABASE_URL": url, "COACH_RETENTION_DAYS": "30"}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "app.py", "purge"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Purged the personal data of 1 candidates." in done.stdout
    assert "Old One" not in done.stdout + done.stderr
    engine = create_engine(url)
    try:
        stored = await names(make_sessionmaker(engine))
    finally:
        await engine.dispose()
    assert stored == {old: None, new: "New One"}
