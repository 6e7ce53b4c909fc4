"""Forgiving the recruiter: names without accents, rejection dates, a second namesake, a
corrected outcome with its history, and notes that are shown again. Engine on a real store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.coach import Coach
from bot.messages import Identity
from storage.tables import CallLog, Candidate
from tests.support.database import Clock
from tests.support.engine import add, say


async def test_names_match_without_accents_or_case(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person()
    bjorn = await add(coach, who, "add Bjørn Ærø | Nurse")
    asa = await add(coach, who, "add Åsa Øverli | Nurse")
    for typed, expected in [
        ("bjorn", bjorn),
        ("BJORN AERO", bjorn),
        ("Bjørn", bjorn),
        ("asa", asa),
        ("Asa Overli", asa),
        ("åsa øverli", asa),
    ]:
        reply = await say(coach, who, f"start {typed}")
        assert reply.form is not None, (typed, reply.text)
        assert reply.form.candidate_id == expected
    logged = await say(coach, who, "logg Asa ikke svar")
    assert "Åsa Øverli" in logged.text and "try 1" in logged.text


async def test_norwegian_words_answer_in_norwegian(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person(language="nb")
    await add(coach, who, "legg til Bjørn Hansen | Lærer")
    listing = await say(coach, who, "liste")
    assert "Bjørn Hansen" in listing.text
    assert "Jeg kjenner ikke" not in listing.text
    assert "ringt" in (await say(coach, who, "logg bjorn ringt")).text
    assert "1 ringt" in (await say(coach, who, "rapport")).text
    unknown = await say(coach, who, "lsite")
    assert "Mente du liste?" in unknown.text


async def test_an_unknown_command_suggests_the_nearest(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    reply = await say(coach, person(), "lsit")
    assert "Did you mean list?" in reply.text


async def test_rejection_date_in_each_format(
    coach: Coach,
    person: Callable[..., Identity],
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> None:
    who = person(timezone="Europe/Oslo")
    # The clock says Monday 2026-11-23 09:00 UTC (10:00 in Oslo).
    for typed, day in [("2026-11-20", 20), ("20.11.2026", 19), ("18.11.", 18), ("16. nov", 16)]:
        typed = typed.replace("20.11", "19.11")
        reply = await say(coach, who, f"add Kari {day} | Nurse | {typed}")
        assert reply.cards, reply.text
        assert f"2026-11-{day}" in reply.text
    default = await say(coach, who, "add Ola | Nurse")
    assert "Told no on" not in default.text
    listing = await say(coach, who, "list")
    assert "Kari 16 (" in listing.text and "days since rejection: 7" in listing.text
    assert "days since rejection: 3" in listing.text
    assert "days since rejection: 0" in listing.text
    async with sessions() as session:
        stored = {
            c.name: c.rejected_at
            for c in (await session.scalars(select(Candidate))).all()
            if c.name
        }
    # Same time of day as now, on the day they were told; in UTC for the store.
    assert stored["Kari 20"] == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert stored["Ola"] == clock.now


async def test_rejection_date_refusals(coach: Coach, person: Callable[..., Identity]) -> None:
    who = person()
    future = await say(coach, who, "add Kari | Nurse | 2026-11-24")
    assert "has not happened yet" in future.text and not future.cards
    too_old = await say(coach, who, "add Kari | Nurse | 20.11.2025")
    assert "more than a year ago" in too_old.text and not too_old.cards
    no_day = await say(coach, who, "add Kari | Nurse | 31.02.2026")
    assert "can't read that date" in no_day.text
    nonsense = await say(coach, who, "add Kari | Nurse | 20/11/2026")
    assert "can't read that date" in nonsense.text and "Try: add" in nonsense.text
    nb = await say(coach, person(user="nb", language="nb"), "legg til Kari | Lærer | 1.12.2026")
    assert "01.12.2026 har ikke kommet ennå" in nb.text
    assert "list is empty" not in (await say(coach, who, "list")).text
    assert "You have no candidates yet" in (await say(coach, who, "list")).text


async def test_a_year_back_is_the_limit(coach: Coach, person: Callable[..., Identity]) -> None:
    who = person()
    # 365 days before 2026-11-23.
    assert (await say(coach, who, "add Kari | Nurse | 2025-11-23")).cards
    assert not (await say(coach, who, "add Ola | Nurse | 2025-11-22")).cards


async def test_duplicate_add_asks_first(
    coach: Coach, person: Callable[..., Identity], sessions: async_sessionmaker[AsyncSession]
) -> None:
    who = person()
    first = await add(coach, who, "add Kari Nordmann | Nurse")
    asked = await say(coach, who, "add kari nordmann | nurse")
    assert asked.confirm is not None and not asked.cards
    assert first in asked.text and "Nothing was added yet" in asked.text
    async with sessions() as session:
        assert len((await session.scalars(select(Candidate))).all()) == 1
    report = await say(coach, who, "report")
    assert "of 1 reached" in report.text
    # Yes: the button's words add the second person.
    second = await say(coach, who, asked.confirm.command)
    assert second.cards and first not in second.cards[0].buttons[0].command
    async with sessions() as session:
        assert len((await session.scalars(select(Candidate))).all()) == 2
    # Another position, or the first one already called: no question.
    assert (await say(coach, who, "add Kari Nordmann | Doctor")).cards
    other = person(user="u2")
    assert (await say(coach, other, "add Kari Nordmann | Nurse")).cards


async def test_duplicate_add_keeps_date_and_internal_on_yes(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person()
    await add(coach, who, "add Kari | Nurse")
    asked = await say(coach, who, "add Kari | Nurse | internal | 20.11.2026")
    assert asked.confirm is not None
    added = await say(coach, who, asked.confirm.command)
    assert "internal applicant" in added.text and "2026-11-20" in added.text


async def test_correcting_an_outcome_asks_keeps_history_and_report_follows(
    coach: Coach,
    person: Callable[..., Identity],
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> None:
    who = person()
    ref = await add(coach, who, "add Kari Nordmann | Nurse")
    await say(coach, who, f"log {ref} called")
    assert "1 called, 0 declined" in (await say(coach, who, "report")).text
    clock.advance(minutes=5)
    asked = await say(coach, who, "log Kari declined did not want feedback after all")
    assert "logged as called" in asked.text and "Change it to did not want feedback" in asked.text
    assert asked.confirm is not None
    assert "1 called, 0 declined" in (await say(coach, who, "report")).text
    done = await say(coach, who, asked.confirm.command)
    assert "now did not want feedback (was called)" in done.text
    assert "0 called, 1 declined" in (await say(coach, who, "report")).text
    async with sessions() as session:
        logs = (await session.scalars(select(CallLog).order_by(CallLog.id))).all()
    assert [(log.outcome, log.replaced_outcome) for log in logs] == [
        ("called", None),
        ("declined", "called"),
    ]
    assert logs[1].note == "did not want feedback after all"
    # The same confirmation delivered again changes nothing more.
    again = await say(coach, who, asked.confirm.command)
    assert "already logged" in again.text


async def test_correcting_called_to_no_answer_puts_them_back_on_the_list(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person(language="nb")
    ref = await add(coach, who, "legg til Kari | Lærer")
    await say(coach, who, f"logg {ref} ringt")
    asked = await say(coach, who, f"logg {ref} ikke svar")
    assert "Vil du endre det til" in asked.text
    assert asked.confirm is not None
    await say(coach, who, asked.confirm.command)
    listing = await say(coach, who, "liste")
    assert "venter på samtale (1 forsøk så langt)" in listing.text
    report = await say(coach, who, "rapport")
    assert "0 ringt, 0 takket nei, 0 hoppet over, 1 venter" in report.text


async def test_notes_are_shown_in_list_and_start(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person()
    ref = await add(coach, who, "add Ingrid Berg | Nurse")
    await say(coach, who, "log Ingrid no-answer voicemail, try after 16")
    await say(coach, who, "log Ingrid no-answer Ba om skriftlig begrunnelse")
    listing = await say(coach, who, "list")
    assert "Last note: Ba om skriftlig begrunnelse" in listing.text
    assert "voicemail" not in listing.text
    assert "Last note: Ba om skriftlig begrunnelse" in listing.cards[0].lines[-1]
    started = await say(coach, who, f"start {ref}")
    assert "Tries so far: 2. Last note: Ba om skriftlig begrunnelse" in started.text
