"""Who is due when: each recruiter's own slot, in their own time zone, across DST changes."""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection
from datetime import UTC, datetime, time
from typing import Any

import pytest

from bot.coach import Coach
from bot.messages import Identity, Inbound
from bot.reminders import (
    CLOSED,
    OPEN,
    Calendar,
    due_period,
    plan,
    snooze_period,
    week_period,
    zone,
)
from storage import reminders as store
from storage.reminders import Target
from tests.support.database import Clock
from tests.support.reminders import Hire


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def target(**changes: Any) -> Target:
    values: dict[str, Any] = {
        "recruiter_id": 1,
        "platform": "slack",
        "workspace": "T1",
        "user": "U1",
        "language": "en",
        "timezone": "Europe/Oslo",
        "weekday": 0,
        "at": time(9, 0),
        "snoozed_until": None,
        "created_at": utc(2026, 1, 1),
        "conversation_reference": None,
        "call_deadline_days": None,
    }
    values.update(changes)
    return Target(**values)


def due(t: Target, now: datetime, sent: Collection[str] = (), everyone: bool = False) -> str | None:
    """`sent`: periods already delivered (or being delivered) for this recruiter."""
    return due_period(t, now, everyone, lambda period: CLOSED if period in sent else None)


def test_monday_nine_in_oslo_winter_is_eight_utc() -> None:
    oslo = target()
    assert due(oslo, utc(2026, 11, 23, 7, 59)) is None
    assert due(oslo, utc(2026, 11, 23, 8, 0)) == "2026-W48"
    # A server that was down catches up for a day, until it has gone out.
    assert due(oslo, utc(2026, 11, 24, 7, 59)) == "2026-W48"
    assert due(oslo, utc(2026, 11, 24, 7, 59), sent={"2026-W48"}) is None
    # But nobody gets Monday's reminder on Thursday, unless asked with --now.
    assert due(oslo, utc(2026, 11, 26, 15, 0)) is None
    assert due(oslo, utc(2026, 11, 26, 15, 0), everyone=True) == "2026-W48"


def test_a_claim_or_failure_on_record_stays_owed_past_the_catch_up() -> None:
    owed = due_period(target(), utc(2026, 11, 26, 15, 0), False, lambda p: OPEN)
    assert owed == "2026-W48"


@pytest.mark.parametrize(
    ("monday", "first_due_hour"),
    [
        (utc(2026, 3, 23), 8),  # CET, the week before the change on 29 March
        (utc(2026, 3, 30), 7),  # CEST
        (utc(2026, 10, 19), 7),  # CEST, the week before the change on 25 October
        (utc(2026, 10, 26), 8),  # CET again
    ],
)
def test_oslo_dst_changes_move_the_utc_slot(monday: datetime, first_due_hour: int) -> None:
    oslo = target()
    before = monday.replace(hour=first_due_hour - 1, minute=59)
    at = monday.replace(hour=first_due_hour)
    assert due(oslo, before) is None
    assert due(oslo, at) == week_period(at, zone("Europe/Oslo"))


def test_slot_in_the_skipped_hour_still_fires_once() -> None:
    # 02:30 does not exist in Oslo on 29 March 2026: the clocks jump from 02:00 to 03:00.
    sunday = target(weekday=6, at=time(2, 30))
    assert due(sunday, utc(2026, 3, 29, 0, 59)) is None
    assert due(sunday, utc(2026, 3, 29, 1, 30)) == "2026-W13"


def test_slot_in_the_repeated_hour_fires_at_the_first_and_only_once() -> None:
    # 02:30 happens twice in Oslo on 25 October 2026; the first is 00:30 UTC.
    sunday = target(weekday=6, at=time(2, 30))
    assert due(sunday, utc(2026, 10, 25, 0, 29)) is None
    assert due(sunday, utc(2026, 10, 25, 0, 30)) == "2026-W43"
    assert due(sunday, utc(2026, 10, 25, 1, 30), sent={"2026-W43"}) is None


def test_iso_week_is_the_recruiters_own() -> None:
    # Sunday 23:20 UTC is already Monday 00:20 in Oslo: a new ISO week there, not in UTC.
    now = utc(2026, 11, 29, 23, 20)
    assert week_period(now, zone("UTC")) == "2026-W48"
    assert week_period(now, zone("Europe/Oslo")) == "2026-W49"
    assert due(target(at=time(0, 15)), now) == "2026-W49"
    assert due(target(at=time(0, 15), timezone="UTC"), now) is None


def test_each_recruiter_in_their_own_zone() -> None:
    auckland = target(timezone="Pacific/Auckland")
    oslo = target()
    los_angeles = target(timezone="America/Los_Angeles")
    sunday_evening = utc(2026, 11, 22, 20, 0)  # Monday 09:00 in Auckland (NZDT)
    assert [due(t, sunday_evening) for t in (auckland, oslo, los_angeles)] == [
        "2026-W48",
        None,
        None,
    ]
    monday_17 = utc(2026, 11, 23, 17, 0)  # Monday 09:00 in Los Angeles (PST)
    assert due(los_angeles, monday_17.replace(minute=0, hour=16)) is None
    assert due(los_angeles, monday_17) == "2026-W48"


def test_unknown_zone_falls_back_to_utc() -> None:
    assert due(target(timezone="Mars/Olympus"), utc(2026, 11, 23, 9, 0)) == "2026-W48"
    assert due(target(timezone="Mars/Olympus"), utc(2026, 11, 23, 8, 59)) is None


def test_someone_who_joined_after_the_slot_waits_for_next_week() -> None:
    newcomer = target(created_at=utc(2026, 11, 24, 10, 0))
    assert due(newcomer, utc(2026, 11, 24, 10, 1)) is None
    assert due(newcomer, utc(2026, 11, 24, 10, 1), everyone=True) == "2026-W48"
    assert due(newcomer, utc(2026, 11, 30, 8, 0)) == "2026-W49"


def test_snooze_holds_back_then_comes_once() -> None:
    until = utc(2026, 11, 24, 8, 0)
    snoozed = target(snoozed_until=until)
    week_sent = {"2026-W48"}
    assert due(snoozed, utc(2026, 11, 24, 7, 59), sent=week_sent) is None
    assert due(snoozed, utc(2026, 11, 24, 7, 59), everyone=True) is None
    assert due(snoozed, utc(2026, 11, 24, 8, 0), sent=week_sent) == snooze_period(until)
    both = week_sent | {snooze_period(until)}
    assert due(snoozed, utc(2026, 11, 24, 9, 0), sent=both) is None


def test_snooze_over_the_next_slot_gives_one_message() -> None:
    # "Snooze a week" from Monday's reminder ends at next Monday's slot: one weekly reminder.
    until = utc(2026, 11, 30, 8, 0)
    snoozed = target(snoozed_until=until)
    assert due(snoozed, utc(2026, 11, 30, 8, 0), sent={"2026-W48"}) == "2026-W49"


def test_one_calendar_answers_each_zone_and_slot_on_its_own() -> None:
    # A plan asks one Calendar about every recruiter: what it works out once for a zone must
    # not leak into another zone, or into another day or time in the same zone.
    now = utc(2026, 11, 23, 8, 0)  # Monday 09:00 in Oslo, 08:00 UTC, 03:00 in New York
    expected = {
        target(): "2026-W48",
        target(at=time(9, 1)): None,
        target(weekday=6): None,  # Sunday's slot is still ahead this week
        target(weekday=4, at=time(10, 0)): None,  # last Friday's: past the catch-up
        target(timezone="UTC", at=time(8, 0)): "2026-W48",
        target(timezone="UTC"): None,
        target(timezone="America/New_York"): None,
        target(timezone="Pacific/Auckland"): "2026-W48",  # 21:00 there: still caught up
        target(timezone="Pacific/Auckland", weekday=6): None,  # Sunday: still ahead there
        target(timezone="Mars/Olympus", at=time(8, 0)): "2026-W48",  # as UTC
    }
    calendar = Calendar(now)
    never = lambda period: None  # noqa: E731
    for _ in range(2):  # asked again, the same: nothing cached under the wrong key
        shared = {t: due_period(t, now, False, never, calendar) for t in expected}
        assert shared == expected
    # Sunday 23:30 UTC: already next ISO week in Oslo, not in UTC.
    late = Calendar(utc(2026, 11, 29, 23, 30))
    assert late.week("Europe/Oslo") == "2026-W49"
    assert late.week("UTC") == "2026-W48"
    assert late.week("Europe/Oslo") == "2026-W49"


def test_calendar_slots_follow_each_weeks_dst() -> None:
    # The same Oslo slot is 08:00 UTC in winter and 07:00 UTC in summer: a Calendar is for
    # one instant, so each week's slot is worked out in that week's offset.
    monday_nine = (0, time(9, 0))
    assert Calendar(utc(2026, 3, 23, 12)).slot("Europe/Oslo", *monday_nine) == utc(2026, 3, 23, 8)
    assert Calendar(utc(2026, 3, 30, 12)).slot("Europe/Oslo", *monday_nine) == utc(2026, 3, 30, 7)


# -- the same through the store and the engine ------------------------------------------------


async def due_users(coach: Coach, now: datetime, everyone: bool = False) -> dict[str, str]:
    return {p.recipient.user: p.period for p in await plan(coach, now, everyone=everyone)}


async def test_plan_finds_the_right_recruiters(coach: Coach, clock: Clock, hire: Hire) -> None:
    await hire("OSLO", ("Kari Nordmann", "Nurse"))
    await hire("LA", ("Ola Nordmann", "Nurse"), timezone="America/Los_Angeles")
    await hire("NOBODY")  # nobody pending: never due
    assert await due_users(coach, utc(2026, 11, 23, 7, 59)) == {}
    assert await due_users(coach, utc(2026, 11, 23, 8, 0)) == {"OSLO": "2026-W48"}
    assert await due_users(coach, utc(2026, 11, 23, 17, 0)) == {
        "OSLO": "2026-W48",
        "LA": "2026-W48",
    }
    # --now: whatever the slot, this week's; in Los Angeles it is still last week.
    assert await due_users(coach, utc(2026, 11, 23, 7, 0), everyone=True) == {
        "OSLO": "2026-W48",
        "LA": "2026-W47",
    }


async def test_plan_weighs_each_recruiters_slot_in_a_shared_zone(
    coach: Coach, clock: Clock, hire: Hire
) -> None:
    await hire("NINE", ("Kari Nordmann", "Nurse"))
    ten = await hire("TEN", ("Ola Nordmann", "Nurse"))
    await hire("NEW_YORK", ("Per Hansen", "Cook"), timezone="America/New_York")
    await coach.handle(ten, Inbound(text="remind mon 10:00"))
    assert await due_users(coach, utc(2026, 11, 23, 8, 30)) == {"NINE": "2026-W48"}
    assert await due_users(coach, utc(2026, 11, 23, 9, 0)) == {
        "NINE": "2026-W48",
        "TEN": "2026-W48",
    }
    assert await due_users(coach, utc(2026, 11, 23, 14, 0)) == {
        "NINE": "2026-W48",
        "TEN": "2026-W48",
        "NEW_YORK": "2026-W48",
    }


async def test_plan_leaves_the_garbage_collector_as_it_found_it(
    coach: Coach, clock: Clock, hire: Hire, monkeypatch: pytest.MonkeyPatch
) -> None:
    await hire("OSLO", ("Kari Nordmann", "Nurse"))
    assert gc.isenabled()
    assert await due_users(coach, utc(2026, 11, 23, 8, 0)) == {"OSLO": "2026-W48"}
    assert gc.isenabled()

    async def broken(*args: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(store, "pending", broken)
    with pytest.raises(RuntimeError):
        await plan(coach, utc(2026, 11, 23, 8, 0))
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(RuntimeError):
            await plan(coach, utc(2026, 11, 23, 8, 0))
        assert not gc.isenabled()  # someone else's pause is theirs to end
    finally:
        gc.enable()


async def test_remind_command_moves_and_turns_off_the_slot(
    coach: Coach, clock: Clock, hire: Hire
) -> None:
    who = await hire("OSLO", ("Kari Nordmann", "Nurse"))
    [reply] = await coach.handle(who, Inbound(text="remind wed 14:30"))
    assert "14:30" in reply.text and "Europe/Oslo" in reply.text
    assert await due_users(coach, utc(2026, 11, 23, 9, 0)) == {}
    assert await due_users(coach, utc(2026, 11, 25, 13, 29)) == {}
    assert await due_users(coach, utc(2026, 11, 25, 13, 30)) == {"OSLO": "2026-W48"}

    await coach.handle(who, Inbound(text="remind off"))
    assert await due_users(coach, utc(2026, 11, 25, 13, 30)) == {}
    assert await due_users(coach, utc(2026, 11, 25, 13, 30), everyone=True) == {}
    await coach.handle(who, Inbound(text="remind mon 09:00"))
    assert await due_users(coach, utc(2026, 11, 30, 8, 0)) == {"OSLO": "2026-W49"}


async def test_logged_candidates_are_not_pending(
    coach: Coach, clock: Clock, hire: Hire, person: Callable[..., Identity]
) -> None:
    who = await hire("OSLO", ("Kari Nordmann", "Nurse"))
    await coach.handle(who, Inbound(text="log Kari Nordmann no-answer"))
    assert await due_users(coach, utc(2026, 11, 23, 9, 0)) == {"OSLO": "2026-W48"}
    await coach.handle(who, Inbound(text="log Kari Nordmann called"))
    assert await due_users(coach, utc(2026, 11, 23, 9, 0)) == {}


@pytest.mark.parametrize(
    "naive",
    [
        datetime(2026, 11, 23, 8, 30, 15, 123456),
        datetime(1969, 12, 31, 23, 59, 59, 999999),  # before the epoch it counts from
        datetime(2026, 3, 29, 1, 30),  # the hour Oslo skips is nothing special in UTC
    ],
)
def test_stored_times_read_as_the_same_utc_instant(naive: datetime) -> None:
    read = store._utc(naive)
    assert read == naive.replace(tzinfo=UTC) and read.tzinfo is UTC
    assert read.fold == 0 and str(read) == str(naive.replace(tzinfo=UTC))
    aware = datetime(2026, 11, 23, 9, 30, tzinfo=zone("Europe/Oslo"))
    assert store._utc(aware) is aware  # PostgreSQL's are aware already
