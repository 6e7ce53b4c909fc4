"""What happened, as data: the engine sets `Reply.status` and `Reply.candidate_id`, so channels
never have to read a reply's wording. Real store (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from bot.coach import Coach
from bot.messages import Identity, Inbound, Reply, Status
from storage.tables import ProcessedEvent
from tests.support.engine import CONCRETE, add, say

DONE, REFUSED, REPEAT = Status.DONE, Status.REFUSED, Status.REPEAT


@pytest.mark.parametrize(
    "text",
    [
        "frobnicate",  # an unknown verb
        "add Kari Nordmann",  # no position: usage
        "add Kari Nordmann | Nurse | 31.02.",  # no such date
        "add Kari Nordmann | Nurse | 1.1.2020",  # too long ago
        "log",  # no candidate
        "start nobody-here",  # not found
        "log nobody-here called",
        "consent nobody-here",
        "practice nobody-here",
        "position Welder",  # nothing decided for it yet
        "export k1",  # admins only
        "erase k1",
        "integration",
        "unassigned",
    ],
)
async def test_refusals_say_refused_and_change_nothing(
    coach: Coach, person: Callable[..., Identity], text: str
) -> None:
    who = person()
    reply = await say(coach, who, text)
    assert reply.status is REFUSED, reply.text
    assert reply.candidate_id is None
    # Refused means nothing was stored: still nobody on the list.
    assert (await say(coach, who, "list")).text == coach.t("en", "list_empty")


@pytest.mark.parametrize("text", ["help", "list", "report", "pool", "remind friday 09:00"])
async def test_commands_that_work_say_done(
    coach: Coach, person: Callable[..., Identity], text: str
) -> None:
    reply = await say(coach, person(), text)
    assert reply.status is DONE, reply.text
    assert reply.candidate_id is None


async def test_a_candidates_way_through_names_them_at_each_step(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person()
    added = await say(coach, who, "add Kari Nordmann | Payroll officer")
    assert added.status is DONE
    ref = added.candidate_id
    assert ref is not None and added.cards[0].buttons[0].command == f"start {ref}"

    start = await say(coach, who, f"start {ref}")
    assert (start.status, start.candidate_id) == (DONE, ref)
    assert start.form is not None

    # Not every required step answered: no script yet.
    early = await coach.finish(who, ref)
    assert (early.status, early.candidate_id) == (REFUSED, ref)
    assert not early.cards

    vague = await coach.submit_checklist(who, ref, {"competence": "good"})
    assert (vague.status, vague.candidate_id) == (REFUSED, ref)
    assert vague.form is not None and vague.text == coach.t("en", "checklist_needs_work")

    answers = {k: CONCRETE[k] for k in ("competence", "gaps", "self_presentation")}
    script = await coach.submit_checklist(who, ref, answers, idempotency_key="form-1")
    assert (script.status, script.candidate_id) == (DONE, ref)
    assert script.cards and script.cards[0].script
    again = await coach.submit_checklist(who, ref, answers, idempotency_key="form-1")
    assert again.status is REPEAT

    no_reason = await say(coach, who, f"log {ref} skipped")
    assert (no_reason.status, no_reason.candidate_id) == (REFUSED, ref)
    logged = await say(coach, who, f"log {ref} called")
    assert (logged.status, logged.candidate_id) == (DONE, ref)
    twice = await say(coach, who, f"log {ref} called")
    assert (twice.status, twice.candidate_id) == (REFUSED, ref)
    # A correction is asked first (nothing changes yet), then made.
    ask = await say(coach, who, f"log {ref} declined")
    assert (ask.status, ask.candidate_id) == (DONE, ref)
    assert ask.confirm is not None
    fixed = await say(coach, who, ask.confirm.command)
    assert (fixed.status, fixed.candidate_id) == (DONE, ref)

    consent = await say(coach, who, f"consent {ref}")
    assert (consent.status, consent.candidate_id) == (DONE, ref)
    already = await say(coach, who, f"consent {ref}")
    assert (already.status, already.candidate_id) == (REFUSED, ref)

    admin = person("admin-user")
    exported = await say(coach, admin, f"export {ref}")
    assert (exported.status, exported.candidate_id) == (DONE, ref)
    assert exported.attachment is not None


async def test_a_name_shared_by_two_is_refused_until_one_is_named(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person()
    first = await add(coach, who, "add Kari Nordmann | Nurse")
    await say(coach, who, f"log {first} called")
    asked = await say(coach, who, "add Kari Nordmann | Nurse")
    # Only a pending namesake makes the engine ask; a called one does not.
    assert asked.status is DONE and asked.confirm is None
    second = asked.candidate_id
    assert second is not None and second != first
    await say(coach, who, f"log {second} called")
    both = await say(coach, who, "log Kari Nordmann declined")
    assert both.status is REFUSED and both.candidate_id is None
    assert first in both.text and second in both.text


async def test_a_repeated_delivery_says_repeat(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person()
    inbound = Inbound(text="add Kari Nordmann | Nurse", idempotency_key="delivery-9")
    [first] = await coach.handle(who, inbound)
    [second] = await coach.handle(who, inbound)
    assert first.status is DONE and first.candidate_id is not None
    assert second.status is REPEAT and second.candidate_id is None


async def test_a_repeated_delivery_of_a_command_that_only_reads_is_answered_again(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    # A list resent by the platform shows the list again, and keeps no delivery key.
    who = person()
    await say(coach, who, "add Kari Nordmann | Nurse")
    inbound = Inbound(text="list", idempotency_key="delivery-10")
    [first] = await coach.handle(who, inbound)
    [second] = await coach.handle(who, inbound)
    assert first.status is DONE and second.status is DONE
    assert "Kari Nordmann" in second.text and second.text == first.text
    async with coach.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedEvent)) == 0


async def test_practice_statuses(coach: Coach, person: Callable[..., Identity]) -> None:
    who = person()
    ref = await add(coach, who, "add Kari Nordmann | Payroll officer")
    unprepared = await say(coach, who, f"practice {ref}")
    assert (unprepared.status, unprepared.candidate_id) == (REFUSED, ref)
    answers = {k: CONCRETE[k] for k in ("competence", "gaps", "self_presentation")}
    assert (await coach.submit_checklist(who, ref, answers)).status is DONE
    unknown = await say(coach, who, f"practice {ref} | juggling")
    assert (unknown.status, unknown.candidate_id) == (REFUSED, ref)

    start = await say(coach, who, f"practice {ref}")
    assert (start.status, start.candidate_id) == (DONE, ref)
    assert start.practice is not None
    state = start.practice.state
    empty = await coach.practice_turn(who, state, "   ")
    assert (empty.status, empty.candidate_id) == (REFUSED, ref)
    assert empty.practice is not None and empty.practice.state == state
    line = await coach.practice_turn(who, state, "Hi Kari, this is about the payroll job.")
    assert (line.status, line.candidate_id) == (DONE, ref)
    end = await coach.practice_turn(who, state, "", stop=True)
    assert (end.status, end.candidate_id) == (DONE, ref)
    assert end.practice is not None and end.practice.done
    expired = await coach.practice_turn(who, "not a state", "Hi")
    assert expired.status is REFUSED and expired.candidate_id is None
    stranger = await coach.practice_turn(person("u2"), state, "Hi")
    assert stranger.status is REFUSED and stranger.candidate_id is None


async def test_erasing_asks_by_name_and_acts_by_id(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    ref = await add(coach, person(), "add Kari Nordmann | Nurse")
    admin = person("admin-user")
    asked = await say(coach, admin, "erase Kari Nordmann")
    assert (asked.status, asked.candidate_id) == (DONE, ref)
    assert asked.cards and asked.cards[0].buttons[0].command == f"erase {ref}"
    erased = await say(coach, admin, f"erase {ref}")
    assert (erased.status, erased.candidate_id) == (DONE, ref)
    gone = await say(coach, admin, f"erase {ref}")
    assert gone.status is REFUSED


async def test_position_statuses(coach: Coach, person: Callable[..., Identity]) -> None:
    who = person()
    risky = await say(coach, who, "position Nurse | We wanted someone younger")
    assert risky.status is REFUSED
    assert (await say(coach, who, "position Nurse")).status is REFUSED
    saved = await say(coach, who, f"position Nurse | {CONCRETE['gaps']}")
    assert saved.status is DONE
    assert (await say(coach, who, "position Nurse")).status is DONE


def _only(replies: list[Reply]) -> Reply:
    assert len(replies) == 1
    return replies[0]


async def test_parse_errors_are_shareable_refusals(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    reply = _only(await coach.handle(person(), Inbound(text="lsit")))
    assert reply.status is REFUSED
    # Usage help names nobody: a channel may show it where others see it.
    assert not reply.private
