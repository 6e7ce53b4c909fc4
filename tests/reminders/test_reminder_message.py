"""What the reminder says: overdue first, oldest first, days waited, position, buttons."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.coach import Coach
from bot.messages import Inbound, Reply
from bot.reminders import MAX_CARDS, ROW_FIELDS, Template, plan, working_days_between
from conversation_guides import GuideBook
from storage.tables import Candidate, Recruiter, Workspace
from tests.support.database import Clock
from tests.support.reminders import Hire


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_working_days_skip_weekends() -> None:
    monday = date(2026, 11, 16)
    assert working_days_between(monday, monday) == 0
    assert working_days_between(monday, date(2026, 11, 20)) == 4  # to Friday
    assert working_days_between(monday, date(2026, 11, 22)) == 4  # to Sunday
    assert working_days_between(monday, date(2026, 11, 23)) == 5  # to next Monday
    assert working_days_between(date(2026, 11, 13), date(2026, 11, 23)) == 6  # Friday to Monday
    assert working_days_between(date(2026, 11, 15), date(2026, 11, 16)) == 1  # Sunday to Monday
    assert working_days_between(monday, date(2026, 12, 21)) == 25


@pytest.mark.parametrize(
    "template",
    [
        "• {name} ({id}) – {position} – waited {days} days",
        "{days}% of {name}: 100 %s, %(id)s and %%",  # printf's own marks stay text
        "{{literal braces}} around {name}, {{{id}}}",
        "no fields at all",
        "{days:>4} days, {name!r}",  # what printf cannot say: format_map itself
        "{deadline}{days}",
        "{position}",  # one field: picked as a tuple of one all the same
        "{id} {id}",
    ],
)
def test_prepared_templates_say_what_format_map_says(template: str) -> None:
    values: dict[str, object] = {
        "name": "Anna 50% Mandag {x}",
        "id": "k7f3qa",
        "position": ("Nurse", "night"),  # a tuple, where printf would take it for its values
        "days": 14,
        "deadline": 5,
    }
    prepared = Template(template, ROW_FIELDS)
    row = tuple(values[field] for field in ROW_FIELDS)
    assert prepared(row) == template.format_map(values)
    assert prepared.text % prepared.pick(row) == template.format_map(values)


def test_every_reminder_template_prepares_to_the_same_text(guides: GuideBook) -> None:
    values: dict[str, object] = {
        "name": "Ånund % Ødegård",
        "id": "k7f3qa",
        "position": "Sykepleier {natt}",
        "days": 9,
        "deadline": 5,
    }
    for language in ("nb", "en"):
        for key, template in guides.templates(language).items():
            if key.startswith("reminder_line") or key.startswith("reminder_card"):
                row = tuple(values[field] for field in ROW_FIELDS)
                assert Template(template, ROW_FIELDS)(row) == template.format_map(values), key


async def reminder_for(coach: Coach, user: str, now: datetime) -> Reply:
    found = [p.build(coach) for p in await plan(coach, now) if p.recipient.user == user]
    assert len(found) == 1
    return found[0]


WAITING = (
    # Added out of order on purpose; the message must sort them.
    ("Dina Fredag", "Driver", utc(2026, 11, 20, 10)),  # 3 days, 1 working day
    ("Anna Mandag", "Nurse", utc(2026, 11, 9, 10)),  # 14 days, 10 working days: overdue
    ("Bjørn Mandag", "Nurse", utc(2026, 11, 16, 10)),  # 7 days, exactly 5: not yet overdue
    ("Eva Søndag", "Cook", utc(2026, 11, 15, 10)),  # 8 days, 6 working days: overdue
    ("Carl Fredag", "Cook", utc(2026, 11, 13, 10)),  # 10 days, 6 working days: overdue
)


async def test_overdue_first_then_oldest(coach: Coach, clock: Clock, hire: Hire) -> None:
    who = await hire("U1", *WAITING, ("Finn Ferdig", "Nurse", utc(2026, 11, 2, 10)))
    await hire("U2", ("Someone Else", "Nurse", utc(2026, 11, 2, 10)))
    await coach.handle(who, Inbound(text="log Finn Ferdig called"))

    reply = await reminder_for(coach, "U1", clock.now)
    lines = reply.text.splitlines()
    assert "your call: 5, overdue: 3" in lines[0]
    names = ["Anna Mandag", "Carl Fredag", "Eva Søndag", "Bjørn Mandag", "Dina Fredag"]
    shown = [line.split(" (")[0].removeprefix("• ").removeprefix("OVERDUE ") for line in lines]
    assert shown[1:] == names
    assert lines[1].startswith("• OVERDUE Anna Mandag (")
    assert "Nurse" in lines[1] and "waited 14 days" in lines[1] and "5-working-day" in lines[1]
    assert "OVERDUE" not in lines[4] and "waited 7 days" in lines[4]
    assert "Driver" in lines[5] and "waited 3 days" in lines[5]
    assert "Finn Ferdig" not in reply.text and "Someone Else" not in reply.text

    cards, snooze = reply.cards[:-1], reply.cards[-1]
    assert [card.title.split(" (")[0] for card in cards] == names
    first_id = cards[0].title.split("(")[1].rstrip(")")
    assert [b.command for b in cards[0].buttons] == [
        f"start {first_id}",
        f"log {first_id} called",
        f"log {first_id} no-answer",
    ]
    assert cards[0].lines[0].startswith("Overdue: Nurse")
    assert [(b.label, b.command) for b in snooze.buttons] == [
        ("Snooze until tomorrow", "snooze tomorrow"),
        ("Snooze a week", "snooze week"),
    ]


async def test_deadline_per_workspace(
    coach: Coach, clock: Clock, hire: Hire, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await hire("U1", *WAITING)
    async with sessions.begin() as session:
        await session.execute(update(Workspace).values(call_deadline_days=7))
    reply = await reminder_for(coach, "U1", clock.now)
    lines = reply.text.splitlines()
    assert "overdue: 1" in lines[0]
    assert lines[1].startswith("• OVERDUE Anna Mandag") and "7-working-day" in lines[1]
    assert lines[2].startswith("• Carl Fredag")


async def test_deadline_from_settings(coach: Coach, clock: Clock, hire: Hire) -> None:
    await hire("U1", *WAITING)
    coach.settings = coach.settings.model_copy(update={"coach_call_deadline_days": 20})
    reply = await reminder_for(coach, "U1", clock.now)
    assert "OVERDUE" not in reply.text and "overdue" not in reply.text.splitlines()[0]
    assert reply.text.splitlines()[1].startswith("• Anna Mandag")


async def test_norwegian_reminder(coach: Coach, clock: Clock, hire: Hire) -> None:
    await hire("U1", *WAITING, language="nb")
    reply = await reminder_for(coach, "U1", clock.now)
    assert reply.text.startswith("Ukentlig påminnelse")
    assert "Over fristen: Anna Mandag" in reply.text and "har ventet 14 dager" in reply.text
    assert [b.label for b in reply.cards[-1].buttons] == ["Utsett til i morgen", "Utsett en uke"]
    assert reply.cards[0].buttons[0].label == "Forbered samtale"


async def test_long_lists_are_capped(coach: Coach, clock: Clock, hire: Hire) -> None:
    many = [(f"Person {n:02d}", "Nurse", utc(2026, 11, 1 + n, 10)) for n in range(12)]
    await hire("U1", *many)
    reply = await reminder_for(coach, "U1", clock.now)
    assert len(reply.cards) == MAX_CARDS + 1
    assert reply.cards[0].title.startswith("Person 00")
    assert len(reply.text.splitlines()) == 13


async def test_the_buttons_work_in_the_engine(
    coach: Coach, clock: Clock, hire: Hire, sessions: async_sessionmaker[AsyncSession]
) -> None:
    who = await hire("U1", *WAITING)
    reply = await reminder_for(coach, "U1", clock.now)
    start, called, _ = reply.cards[0].buttons
    [prepared] = await coach.handle(who, Inbound(text=start.command))
    assert prepared.form is not None and "Anna Mandag" in prepared.text
    await coach.handle(who, Inbound(text=called.command))
    async with sessions() as session:
        outcome = await session.scalar(
            select(Candidate.outcome).where(Candidate.name == "Anna Mandag")
        )
    assert outcome == "called"

    [snoozed] = await coach.handle(who, Inbound(text=reply.cards[-1].buttons[0].command))
    # Monday 10:00 in Oslo: back tomorrow at the usual 09:00, Oslo time (08:00 UTC).
    assert snoozed.text == (
        "Snoozed. I will remind you again on Tuesday 24.11. at 09:00 (Europe/Oslo)."
    )
    async with sessions() as session:
        until = await session.scalar(select(Recruiter.snoozed_until))
    assert until == utc(2026, 11, 24, 8, 0)
    await coach.handle(who, Inbound(text="utsett uke"))
    async with sessions() as session:
        until = await session.scalar(select(Recruiter.snoozed_until))
    assert until == utc(2026, 11, 30, 8, 0)


USAGE = {
    "en": "I didn't quite get that.\nTry: snooze tomorrow   or   snooze week",
    "nb": "Det skjønte jeg ikke helt.\nPrøv: utsett i morgen   eller   utsett uke",
}


@pytest.mark.parametrize("language", ["en", "nb"])
@pytest.mark.parametrize(
    "words", ["snooze later", "snooze", "utsett lenge", "snooze tomorrow please", "snooze 2"]
)
async def test_an_unknown_snooze_gets_the_usage_line(
    coach: Coach, hire: Hire, sessions: async_sessionmaker[AsyncSession], language: str, words: str
) -> None:
    who = await hire("U1", language=language)
    [reply] = await coach.handle(who, Inbound(text=words))
    assert reply.text == USAGE[language]
    async with sessions() as session:
        assert await session.scalar(select(Recruiter.snoozed_until)) is None
