"""The engine end to end on a real database."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.coach import Coach, ProfileSource
from bot.messages import Identity, Inbound
from conversation_guides import GuideBook
from storage.tables import Candidate, Recruiter, Workspace
from tests.support.database import Clock
from tests.support.engine import CONCRETE, add, say
from tests.support.statements import counting


async def test_add_start_script_log_report(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    who = person()
    candidate = await add(coach, who, "add Kari Nordmann | Payroll officer")
    start = await say(coach, who, f"start {candidate}")
    assert start.form is not None
    assert [f.key for f in start.form.fields] == [
        "competence",
        "gaps",
        "luxury_problem",
        "self_presentation",
    ]
    answers = {key: CONCRETE[key] for key in ("competence", "gaps", "self_presentation")}
    answers["luxury_problem"] = ""
    script = await coach.submit_checklist(who, candidate, answers)
    assert script.form is None, script.text
    template = guides.script("en")
    for point in answers.values():
        assert point in script.text
    for line in (template.this_position, *template.closing_external, *template.closing_final):
        assert line in script.text
    # Not marked among the strongest: no talent-pool question.
    assert "CV" not in script.text
    # The recruiter's points come in guide order.
    positions = [script.text.index(answers[k]) for k in ("competence", "gaps", "self_presentation")]
    assert positions == sorted(positions)
    commands = [b.command for b in script.cards[0].buttons]
    assert f"log {candidate} called" in commands and f"consent {candidate}" in commands

    logged = await say(coach, who, f"log {candidate} called")
    assert "Kari Nordmann" in logged.text and "called" in logged.text
    report = await say(coach, who, "report")
    assert "Payroll officer: 1 called, 0 declined, 0 skipped, 0 waiting" in report.text


async def test_internal_candidates_get_the_internal_value_step(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person()
    internal = await add(coach, who, "add Per Hansen | Team lead | internal")
    external = await add(coach, who, "add Siri Dahl | Team lead")
    internal_form = (await say(coach, who, f"start {internal}")).form
    external_form = (await say(coach, who, f"start {external}")).form
    assert internal_form and external_form
    assert "internal_value" in [f.key for f in internal_form.fields]
    assert "internal_value" not in [f.key for f in external_form.fields]
    missing = await coach.submit_checklist(
        who, internal, {k: CONCRETE[k] for k in ("competence", "gaps")}
    )
    assert missing.form is not None
    errors = {f.key: f.error for f in missing.form.fields if f.error}
    assert list(errors) == ["internal_value"]
    done = await coach.submit_checklist(who, internal, CONCRETE)
    assert done.form is None and CONCRETE["internal_value"] in done.text


async def test_vague_answer_is_flagged_then_accepted_when_repeated(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person()
    candidate = await add(coach, who, "add Kari Nordmann | Nurse")
    vague = "You were not the right fit for us."
    first = await coach.answer_step(who, candidate, "competence", vague)
    assert not first.accepted
    assert "same text again" in first.message
    second = await coach.answer_step(who, candidate, "competence", vague)
    assert second.accepted
    form = (await say(coach, who, f"start {candidate}")).form
    assert form and form.fields[0].value == vague


async def test_risky_answer_is_never_accepted(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person()
    candidate = await add(coach, who, "add Kari Nordmann | Nurse")
    risky = "We wanted a younger profile for this team."
    for _ in range(2):
        result = await coach.answer_step(who, candidate, "gaps", risky)
        assert not result.accepted and "don't say" in result.message


def _sentences(message: str) -> list[str]:
    # A sentence ends at . ? or !, or just after the quote that such a mark closes.
    return [s for s in re.split(r"(?:(?<=[.?!])|(?<=[.?!][»\"]))\s+", message) if s]


@pytest.mark.parametrize(
    ("language", "step", "text", "lead"),
    [
        ("en", "competence", "You have good experience, but not quite what we wanted.", "hard"),
        ("en", "gaps", "There were some gaps here and there.", "hard"),
        ("en", "gaps", "We wanted a younger profile, maybe someone fresher.", "don't say"),
        ("nb", "competence", "Du har god erfaring, men ikke helt det vi så etter.", "vanskelig"),
        ("nb", "internal_value", "log Per ringt", "vanskelig"),
        ("nb", "gaps", "Vi ønsket oss egentlig noen med norsk som morsmål.", "Ikke si"),
    ],
)
async def test_the_check_reads_as_one_clear_message(
    coach: Coach, person: Callable[..., Identity], language: str, step: str, text: str, lead: str
) -> None:
    who = person(language=language)
    candidate = await add(coach, who, "add Kari Nordmann | Nurse | internal")
    result = await coach.answer_step(who, candidate, step, text)
    assert not result.accepted and lead in _sentences(result.message)[0]
    sentences = _sentences(result.message)
    assert len(sentences) == len(set(sentences)), result.message  # nothing said twice
    assert all(s.rstrip('»"').endswith((".", "?", "!", ":")) for s in sentences), sentences
    # Risky: why it must not be said and what to say instead, without a list of hedges.
    assert "«egentlig»" not in result.message and '"maybe"' not in result.message


async def test_interrupted_preparation_resumes(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person()
    candidate = await add(coach, who, "add Kari Nordmann | Nurse")
    assert (await coach.answer_step(who, candidate, "competence", CONCRETE["competence"])).accepted
    not_yet = await coach.finish(who, candidate)
    assert "Gaps against the requirements" in not_yet.text
    again = await say(coach, who, f"start {candidate}")
    assert "Welcome back" in again.text
    assert again.form and again.form.fields[0].value == CONCRETE["competence"]
    assert again.form.fields[1].value == ""


async def test_no_answer_keeps_pending_and_counts_attempts(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person()
    candidate = await add(coach, who, "add Kari Nordmann | Nurse")
    await say(coach, who, f"log {candidate} no-answer")
    second = await say(coach, who, "log Kari no-answer voicemail")
    assert "try 2" in second.text
    listing = await say(coach, who, "list")
    assert "tries so far: 2" in listing.text
    report = await say(coach, who, "report")
    assert "0 called, 0 declined, 0 skipped, 1 waiting" in report.text
    await say(coach, who, f"log {candidate} declined")
    again = await say(coach, who, f"log {candidate} declined")
    assert "already logged" in again.text
    # A different outcome is a correction: asked about first, nothing changes until confirmed.
    asked = await say(coach, who, f"log {candidate} called")
    assert asked.confirm is not None
    report = await say(coach, who, "report")
    assert "0 called, 1 declined, 0 skipped, 0 waiting" in report.text


async def test_skipped_needs_a_reason(coach: Coach, person: Callable[..., Identity]) -> None:
    who = person()
    candidate = await add(coach, who, "add Kari Nordmann | Nurse")
    assert "why" in (await say(coach, who, f"log {candidate} skipped")).text
    assert "skipped" in (await say(coach, who, f"log {candidate} skipped met in person")).text


async def test_another_recruiter_cannot_see_or_log(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    owner, other = person("u1"), person("u2")
    other_workspace = person("u1", workspace="w2")
    candidate = await add(coach, owner, "add Kari Nordmann | Nurse")
    for intruder in (other, other_workspace):
        assert "can't find" in (await say(coach, intruder, f"log {candidate} called")).text
        assert "can't find" in (await say(coach, intruder, "start Kari Nordmann")).text
        assert "no candidates" in (await say(coach, intruder, "list")).text
        assert "can't find" in (await coach.submit_checklist(intruder, candidate, CONCRETE)).text
        assert not (await coach.answer_step(intruder, candidate, "competence", "x")).accepted
    listing = await say(coach, owner, "list")
    assert "waiting for a call (tries so far: 0)" in listing.text


async def test_ambiguous_name_asks_which(coach: Coach, person: Callable[..., Identity]) -> None:
    who = person()
    first = await add(coach, who, "add Kari Nordmann | Nurse")
    second = await add(coach, who, "add Kari Nordmann | Midwife")
    reply = await say(coach, who, "start Kari Nordmann")
    assert reply.form is None and "Which one" in reply.text
    assert first in reply.text and second in reply.text
    assert (await say(coach, who, f"start {second}")).form is not None


async def test_list_is_oldest_first_with_days_waited(
    coach: Coach, person: Callable[..., Identity], clock: Clock
) -> None:
    who = person()
    await add(coach, who, "add Old Candidate | Nurse")
    clock.advance(days=3)
    await add(coach, who, "add New Candidate | Nurse")
    clock.advance(days=1)
    text = (await say(coach, who, "list")).text
    assert text.index("Old Candidate") < text.index("New Candidate")
    assert "days since rejection: 4" in text and "days since rejection: 1" in text


async def test_report_per_position_and_admin_sees_workspace(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    me, colleague, admin = person("u1"), person("u2"), person("admin-user")
    a = await add(coach, me, "add A One | Nurse")
    await add(coach, me, "add B Two | Nurse")
    c = await add(coach, colleague, "add C Three | Driver")
    await say(coach, me, f"log {a} called")
    await say(coach, colleague, f"log {c} skipped internal, met in person")
    mine = (await say(coach, me, "report")).text
    assert "Nurse: 1 called, 0 declined, 0 skipped, 1 waiting – 50% of 2" in mine
    assert "Driver" not in mine
    everyone = (await say(coach, admin, "report")).text
    assert "whole workspace" in everyone and "Driver: 0 called, 0 declined, 1 skipped" in everyone
    only = (await say(coach, admin, "report driver")).text
    assert "Nurse" not in only and "Driver" in only


async def test_remind_setting(coach: Coach, person: Callable[..., Identity]) -> None:
    who = person(timezone="Europe/Oslo")
    assert "every Friday at 08:30 (Europe/Oslo)" in (await say(coach, who, "remind fri 08:30")).text
    assert "off" in (await say(coach, who, "remind off")).text


async def test_duplicate_delivery_acts_once(coach: Coach, person: Callable[..., Identity]) -> None:
    who = person()
    candidate = await add(coach, who, "add Kari Nordmann | Nurse")
    inbound = Inbound(text=f"log {candidate} no-answer", idempotency_key="delivery-1")
    await coach.handle(who, inbound)
    again = await coach.handle(who, inbound)
    assert "already recorded" in again[0].text
    assert "tries so far: 1" in (await say(coach, who, "list")).text


async def test_norwegian_answers_and_errors(coach: Coach, person: Callable[..., Identity]) -> None:
    who = person(language="nb")
    reply = await say(coach, who, "add Kari Nordmann | Sykepleier")
    assert "er lagt til for stillingen Sykepleier" in reply.text
    assert "kjenner ikke kommandoen «dans»" in (await say(coach, who, "dans")).text
    # Norwegian usage lines show the Norwegian words.
    assert "Prøv: legg til" in (await say(coach, who, "add Kari")).text
    start = await say(coach, who, "start Kari")
    assert start.form and start.form.fields[0].label == "Relevant kompetanse"


async def test_english_errors(coach: Coach, person: Callable[..., Identity]) -> None:
    who = person()
    assert "don't know the command “dance”" in (await say(coach, who, "dance")).text
    assert "Try: log" in (await say(coach, who, "log Kari")).text
    assert "HH:MM" in (await say(coach, who, "remind mon 9am")).text


async def test_database_down_gets_a_friendly_answer(
    guides: GuideBook, person: Callable[..., Identity]
) -> None:
    from bot.settings import Settings
    from storage.database import create_engine, make_sessionmaker

    # Nothing listens on port 1: the connection is refused, as with a database that is down.
    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/test")
    coach = Coach(make_sessionmaker(engine), guides, Settings())
    for language, expected in (("en", "can't reach my database"), ("nb", "får ikke kontakt")):
        reply = await coach.handle(person(language=language), Inbound(text="list"))
        assert expected in reply[0].text
    await engine.dispose()


async def test_list_and_help_send_two_statements_whatever_the_number_of_candidates(
    coach: Coach, sessions: async_sessionmaker[AsyncSession], person: Callable[..., Identity]
) -> None:
    who = person()
    first = await add(coach, who, "add Kari Nordmann | Position 0")
    with counting(sessions) as one:
        assert "Kari Nordmann" in (await say(coach, who, "list")).text
    for n in range(1, 30):
        await add(coach, who, f"add Candidate {n} | Position {n}")
    await say(coach, who, f"log {first} called")
    with counting(sessions) as thirty:
        listed = await say(coach, who, "list")
    with counting(sessions) as pending:
        helped = await say(coach, who, "help")
    # Every line still names its own position, and only pending candidates get buttons.
    assert "Position 29" in listed.text and "Position 0" in listed.text
    assert len(listed.cards) == 29
    assert "Position 29" in helped.text and "Kari Nordmann" not in helped.text
    # The recruiter (workspace joined), then the candidates (positions joined): no per-row
    # loads, no separate workspace read.
    assert len(one) == len(thirty) == len(pending) == 2, thirty


async def test_a_first_contact_still_registers_workspace_and_recruiter(
    coach: Coach, sessions: async_sessionmaker[AsyncSession], person: Callable[..., Identity]
) -> None:
    await say(coach, person(user="u1", workspace="w9"), "list")
    await say(coach, person(user="u2", workspace="w9"), "list")
    async with sessions() as session:
        spaces = (await session.scalars(select(Workspace.external_id))).all()
        users = (await session.scalars(select(Recruiter.external_id))).all()
    assert spaces == ["w9"]
    assert sorted(users) == ["u1", "u2"]


class Platform:
    """A platform's profile service as a channel hands it to the engine: records each ask."""

    def __init__(self, language: str | None, timezone: str = "Europe/Oslo") -> None:
        self.language = language
        self.timezone = timezone
        self.asked = 0
        self.fails = False

    async def look_up(self, who: Identity) -> Identity | None:
        self.asked += 1
        if self.fails:
            return None
        return who.model_copy(update={"language": self.language, "timezone": self.timezone})

    def source(self, max_age: timedelta = timedelta(days=7)) -> ProfileSource:
        return ProfileSource(self.look_up, max_age)


async def test_converse_asks_the_platform_only_when_the_stored_profile_is_stale(
    coach: Coach, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    who = Identity(platform="slack", workspace="T1", user="U1")
    platform = Platform("nb")
    first = await coach.converse(who, Inbound(text="help"), platform.source())
    assert (first.language, platform.asked) == ("nb", 1)
    assert "Jeg hjelper deg" in first.replies[0].text
    async with sessions() as session:
        stored = await session.scalar(select(Recruiter).where(Recruiter.external_id == "U1"))
    assert stored is not None
    assert (stored.language, stored.timezone) == ("nb", "Europe/Oslo")
    assert stored.language_checked_at == clock.now

    clock.advance(days=6)
    with counting(sessions) as statements:
        cached = await coach.converse(who, Inbound(text="list"), platform.source())
    assert (cached.language, platform.asked) == ("nb", 1)
    # The profile comes with the recruiter row the command needs anyway: no extra read.
    assert len(statements) == 2

    platform.language = "en"
    clock.advance(days=2)
    renewed = await coach.converse(who, Inbound(text="help"), platform.source())
    assert (renewed.language, platform.asked) == ("en", 2)
    assert "I help you" in renewed.replies[0].text


async def test_converse_keeps_the_stored_language_when_the_platform_fails(
    coach: Coach, clock: Clock
) -> None:
    who = Identity(platform="slack", workspace="T1", user="U1")
    platform = Platform("nb")
    await coach.converse(who, Inbound(text="help"), platform.source())
    platform.fails = True
    clock.advance(days=8)
    answer = await coach.converse(who, Inbound(text="help"), platform.source())
    assert answer.language == "nb" and "Jeg hjelper deg" in answer.replies[0].text
    # Not remembered as checked: the next command asks again.
    await coach.converse(who, Inbound(text="help"), platform.source())
    assert platform.asked == 3


async def test_converse_runs_a_write_once_when_the_profile_is_renewed_first(
    coach: Coach, sessions: async_sessionmaker[AsyncSession]
) -> None:
    who = Identity(platform="slack", workspace="T1", user="U1")
    platform = Platform("en")
    inbound = Inbound(text="add Kari Nordmann | Nurse", idempotency_key="delivery-1")
    answer = await coach.converse(who, inbound, platform.source())
    assert "Added Kari Nordmann" in answer.replies[0].text
    again = await coach.converse(who, inbound, platform.source())
    assert again.replies[0].text == coach.t("en", "already_handled")
    async with sessions() as session:
        names = (await session.scalars(select(Candidate.name))).all()
    assert names == ["Kari Nordmann"]


async def test_converse_apologises_in_the_platform_language_when_the_store_is_down(
    guides: GuideBook,
) -> None:
    from bot.settings import Settings
    from storage.database import create_engine, make_sessionmaker

    engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/test")
    coach = Coach(make_sessionmaker(engine), guides, Settings())
    platform = Platform("nb")
    who = Identity(platform="slack", workspace="T1", user="U1")
    answer = await coach.converse(who, Inbound(text="list"), platform.source())
    assert answer.language == "nb" and "får ikke kontakt" in answer.replies[0].text
    assert platform.asked == 1
    await engine.dispose()
