"""Generated bad input at the engine: it never raises, never writes, and never leaks."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import commands
from bot.coach import Coach
from bot.messages import Identity, Inbound, Reply
from tests.support.engine import CONCRETE, add, say
from tests.support.snapshots import snapshot
from tests.support.strategies import hostile_text, inbound_text

FUZZ = settings(
    # The database fixture is shared by every example on purpose: state builds up like in use.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    deadline=None,
    max_examples=150,
)
# Commands that legitimately write for whoever sends them (their own rows, their own settings).
WRITES_OWN = {"add", "remind", "snooze"}
_fresh = itertools.count()


NAME = "Zorblax Quintavalle"
# The victim's id is random, so generated commands name them by name; the id comes via REFS too.
REFS = [NAME, "Zorblax", "quintaval", "Kari", "Kari Nordmann", "k7f3qa"]
INTRUDERS = st.sampled_from(["colleague", "outsider", "foreign-admin"])
STEP_KEYS = st.sampled_from([*CONCRETE, "", "nope", "__class__"]) | hostile_text(40)


@dataclass(frozen=True)
class Victim:
    who: Identity
    ref: str
    name: str
    note: str
    answer: str


@pytest.fixture
async def victim(coach: Coach, person: Callable[..., Identity]) -> Victim:
    who = person("victim-user")
    name = NAME
    ref = await add(coach, who, f"add {name} | Night nurse")
    answer = CONCRETE["competence"]
    assert (await coach.answer_step(who, ref, "competence", answer)).accepted
    note = "whispered-note-7731 prefers evenings"
    await say(coach, who, f"log {ref} no-answer {note}")
    await add(coach, who, "add Kari Nordmann | Night nurse")
    await say(coach, person("admin-user"), "help")  # registered, so later snapshots compare
    return Victim(who, ref, name, note, answer)


def _intruder(person: Callable[..., Identity], kind: str) -> Identity:
    """Someone new with no candidates: a colleague, another workspace, its admin."""
    number = next(_fresh)
    if kind == "colleague":
        return person(f"colleague-{number}", workspace="w1")
    if kind == "outsider":
        return person(f"outsider-{number}", workspace="w2")
    return person("admin-user", workspace=f"w-other-{number}")


def _check_replies(replies: list[Reply]) -> None:
    assert replies, "every input gets an answer"
    for reply in replies:
        assert reply.text.strip()
        assert "Traceback" not in reply.text


def _leaks(victim: Victim, typed: str, replies: list[Reply]) -> list[str]:
    said = "\n".join(r.text + "".join(c.title for c in r.cards) for r in replies).casefold()
    secrets = [victim.note, victim.answer]
    if victim.name.casefold() not in typed.casefold():
        secrets.append(victim.name)
    return [secret for secret in secrets if secret.casefold() in said]


@FUZZ
@given(text=inbound_text(REFS), admin=st.booleans())
@example(text="log Kari no-answer \ud800\x00 note", admin=False)
@example(text="add \ud800 | \x00", admin=False)
async def test_fuzz_inputs_never_raise_and_bad_ones_never_write(
    coach: Coach,
    sessions: async_sessionmaker[AsyncSession],
    person: Callable[..., Identity],
    victim: Victim,
    text: str,
    admin: bool,
) -> None:
    who = person("admin-user") if admin else victim.who
    before = await snapshot(sessions)
    replies = await coach.handle(who, Inbound(text=text))
    _check_replies(replies)
    if isinstance(commands.parse(text), commands.ParseError):
        assert await snapshot(sessions) == before, text[:200]


@FUZZ
@given(text=inbound_text(REFS), kind=INTRUDERS)
async def test_fuzz_intruders_change_and_learn_nothing(
    coach: Coach,
    sessions: async_sessionmaker[AsyncSession],
    person: Callable[..., Identity],
    victim: Victim,
    text: str,
    kind: str,
) -> None:
    who = _intruder(person, kind)
    await coach.handle(who, Inbound(text="help"))  # their first contact registers them
    before = await snapshot(sessions)
    replies = await coach.handle(who, Inbound(text=text))
    _check_replies(replies)
    parsed = commands.parse(text)
    if getattr(parsed, "kind", None) not in WRITES_OWN:
        assert await snapshot(sessions) == before, text[:200]
    assert _leaks(victim, text, replies) == [], text[:200]


@FUZZ
@given(
    kind=INTRUDERS,
    candidate=st.sampled_from(REFS) | hostile_text(20),
    step=STEP_KEYS,
    text=hostile_text(),
    answers=st.dictionaries(STEP_KEYS, hostile_text(), max_size=6),
)
# A form payload's candidate id with a lone surrogate: no driver can encode it as a parameter.
@example(kind="colleague", candidate="\ud800", step="competence", text="", answers={})
async def test_fuzz_checklist_calls_never_raise_or_cross_over(
    coach: Coach,
    sessions: async_sessionmaker[AsyncSession],
    person: Callable[..., Identity],
    victim: Victim,
    kind: str,
    candidate: str,
    step: str,
    text: str,
    answers: dict[str, str],
) -> None:
    who = _intruder(person, kind)
    await coach.handle(who, Inbound(text="help"))
    before = await snapshot(sessions)
    result = await coach.answer_step(who, candidate, step, text)
    assert not result.accepted and result.message.strip()
    _check_replies([await coach.submit_checklist(who, candidate, answers)])
    _check_replies([await coach.finish(who, candidate)])
    assert await snapshot(sessions) == before


@FUZZ
@given(step=STEP_KEYS, text=hostile_text(4000))
@example(step="gaps", text="\ud800 " + CONCRETE["gaps"])
@example(step="gaps", text="\x00 " + CONCRETE["gaps"])
async def test_fuzz_own_checklist_answers_never_raise(
    coach: Coach, victim: Victim, step: str, text: str
) -> None:
    result = await coach.answer_step(victim.who, victim.ref, step, text)
    assert result.accepted or result.message.strip()
    _check_replies([await coach.submit_checklist(victim.who, victim.ref, {step: text})])
    form = (await say(coach, victim.who, f"start {victim.ref}")).form
    assert form is not None
    for field in form.fields:
        # What was stored is storable everywhere: no NUL, no lone surrogate.
        field.value.encode("utf-8")
        assert "\x00" not in field.value
