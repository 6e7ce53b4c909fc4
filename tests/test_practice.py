"""The practice call through the engine, on a real database: the candidate follows the
recruiter's lines, the debrief quotes them, a seed repeats a practice, and nothing typed is
stored or logged."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import commands
from bot.coach import Coach
from bot.messages import Identity, Reply
from bot.practice import (
    MAX_EXCHANGES,
    STATE_LIMIT,
    PracticeSetup,
    Rehearsal,
    pack,
    unpack,
)
from conversation_guides import GUIDES_DIR, GuideBook, GuideError
from conversation_guides.practice import SCENARIO_ORDER
from storage.tables import Base, PracticeRun
from tests.support.database import POSTGRES_URL
from tests.support.engine import add, say
from tests.support.practice_scripts import (
    CHANGES,
    COMMON,
    MARKER,
    MISTAKES,
    POINTS,
    matches,
    script,
)

POSITION = {"nb": "Lønnsmedarbeider", "en": "Payroll officer"}


async def prepared(coach: Coach, who: Identity, language: str, name: str = "Kari Nordmann") -> str:
    """A candidate whose checklist is done, with the points in tests/support/practice_scripts.py."""
    ref = await add(coach, who, f"add {name} | {POSITION[language]}")
    reply = await coach.submit_checklist(who, ref, POINTS[language])
    assert reply.form is None, reply.text
    return ref


def scenario_word(guides: GuideBook, language: str, scenario: str) -> str:
    return guides.practice(language).scenarios[scenario].words[0]  # type: ignore[index]


async def run_script(
    coach: Coach, who: Identity, guides: GuideBook, language: str, scenario: str, ref: str
) -> tuple[list[str], Reply]:
    """Play the scenario's script; the candidate's lines and the final reply (the debrief)."""
    start = await say(coach, who, f"practice {ref} | {scenario_word(guides, language, scenario)}")
    assert start.practice is not None, start.text
    assert matches(guides, language, scenario, "pick_up", start.practice.lines[-1].text)
    state = start.practice.state
    said: list[str] = []
    reply = start
    for step in script(language, scenario):
        assert state, "the practice ended too early"
        reply = await coach.practice_turn(who, state, step.says)
        assert reply.practice is not None, reply.text
        answer = reply.practice.lines[-1]
        assert answer.speaker == "candidate"
        assert matches(guides, language, scenario, step.answer, answer.text), (
            step.says,
            step.answer,
            answer.text,
        )
        said.append(answer.text)
        state = reply.practice.state
    assert reply.practice is not None and reply.practice.done
    return said, reply


def quoted(guides: GuideBook, language: str, line: str) -> str:
    return guides.practice(language).debrief.you_said.format(quote=line)


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("scenario", SCENARIO_ORDER)
async def test_the_candidate_follows_the_lines_and_the_debrief_quotes_them(
    coach: Coach,
    person: Callable[..., Identity],
    guides: GuideBook,
    sessions: async_sessionmaker[AsyncSession],
    language: str,
    scenario: str,
) -> None:
    who = person(language=language)
    ref = await prepared(coach, who, language)
    _, debrief = await run_script(coach, who, guides, language, scenario, ref)
    practice = guides.practice(language)
    lines = COMMON[language]
    mistake, mistake_check = MISTAKES[language][scenario]

    assert practice.scenarios[scenario].name in debrief.text  # type: ignore[index]
    # The changes, most important first, each with the recruiter's own line and a better one.
    expected_quotes = {
        "hired": lines["hired"],
        "promise": mistake if scenario == "argues" else lines["promise"],
        "svada": lines["vague"],
        mistake_check: mistake,
    }
    to_change = debrief.text.split(practice.debrief.to_change)[1]
    positions = []
    for check in CHANGES[scenario]:
        advice = practice.checks[check]  # type: ignore[index]
        assert advice.title in to_change, check
        entry = to_change.split(advice.title, 1)[1]
        assert entry.split("\n")[1].strip() == quoted(guides, language, expected_quotes[check])
        positions.append(to_change.index(advice.title))
    assert positions == sorted(positions)
    for check in set(practice.checks) - set(CHANGES[scenario]):
        assert practice.checks[check].title not in to_change  # type: ignore[index]
    # "Who got the job?" is answered with what decided, from the recruiter's own points.
    assert POINTS[language]["luxury_problem"] in to_change

    async with sessions() as session:
        runs = (await session.scalars(select(PracticeRun))).all()
    assert len(runs) == 1
    assert (runs[0].scenario, runs[0].language) == (scenario, language)
    assert runs[0].exchanges == len(script(language, scenario))
    assert {k for k, v in runs[0].results.items() if v == "flag"} >= set(CHANGES[scenario])
    assert runs[0].passed == sum(1 for v in runs[0].results.values() if v == "ok")


async def test_what_went_well_is_named(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    who = person(language="nb")
    ref = await prepared(coach, who, "nb")
    start = await say(coach, who, f"øv {ref} | skuffet")
    assert start.practice is not None
    practice = guides.practice("nb")
    must_say = guides.script("nb").must_say(internal=False)
    state = start.practice.state
    for line in [
        COMMON["nb"]["opening"],
        "Du har dessverre ikke fått jobben. " + POINTS["nb"]["gaps"],
        COMMON["nb"]["bridge"],
        "Jeg skjønner at det er skuffende. Ta den tiden du trenger.",
        " ".join(
            must_say[key] for key in ("this_position", "every_recruitment_differs", "apply_again")
        ),
        "Ha det bra!",
    ]:
        reply = await coach.practice_turn(who, state, line)
        assert reply.practice is not None
        state = reply.practice.state
    assert reply.practice.done
    well = reply.text.split(practice.debrief.went_well)[1].split(practice.debrief.to_change)[0]
    for check in ("emotion", "svada", "position"):
        assert practice.checks[check].good in well  # type: ignore[index]
    assert practice.debrief.nothing_to_change in reply.text


async def test_same_seed_same_practice_and_every_scenario_reachable(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    who = person(language="nb")
    ref = await prepared(coach, who, "nb")

    async def transcript(command: str) -> list[str]:
        start = await say(coach, who, command)
        assert start.practice is not None
        out = [start.text]
        state = start.practice.state
        for step in script("nb", "disappointed"):
            reply = await coach.practice_turn(who, state, step.says)
            out.append(reply.text)
            if reply.practice is None or reply.practice.done:
                break
            state = reply.practice.state
        return out

    first = await transcript(f"øv {ref} | 4711")
    again = await transcript(f"øv {ref} | 4711")
    assert first == again
    assert "øv " + ref + " | 4711" in first[-1]  # the debrief says how to repeat it
    other = await transcript(f"øv {ref} | 4712")
    assert other != first

    # Without a scenario word, the seed picks one: six seeds in a row reach all six.
    seeds = iter(range(600, 606))
    coach.practice.seeds = lambda: next(seeds)
    names = set()
    for _ in range(6):
        start = await say(coach, who, f"øv {ref}")
        assert start.practice is not None
        end = await coach.practice_turn(who, start.practice.state, "stopp")
        names.add(end.text.splitlines()[0])
    assert len(names) == 6
    for key in SCENARIO_ORDER:
        assert any(guides.practice("nb").scenarios[key].name in name for name in names)


def test_a_named_scenario_with_a_seed_repeats_exactly(guides: GuideBook) -> None:
    """The pure rehearsal: same setup and seed, same lines; another seed, other lines."""
    guide = guides.practice("en")

    def play(seed: int) -> list[str]:
        setup = PracticeSetup(
            language="en",
            candidate_name="Kari Nordmann",
            candidate_ref="k7f3qa",
            position="Payroll officer",
            points=POINTS["en"],
            must_say=guides.script("en").must_say(internal=False),
            pool_months=12,
            scenario="emotional",
            seed=seed,
        )
        rehearsal = Rehearsal(guide)
        state, first = rehearsal.begin(setup, "run-key-1")
        out = [first]
        for step in script("en", "emotional"):
            turn = rehearsal.step(setup, state, step.says)
            state = turn.state
            out.append(turn.candidate or "")
        assert turn.debrief is not None
        out.append(turn.debrief.text)
        return out

    assert play(5) == play(5)
    assert len({tuple(play(seed)) for seed in range(5)}) > 1


async def test_nothing_typed_is_stored_logged_or_exported(
    coach: Coach,
    person: Callable[..., Identity],
    guides: GuideBook,
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
    database_url: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    who = person(language="nb")
    ref = await prepared(coach, who, "nb")
    await run_script(coach, who, guides, "nb", "in_writing", ref)
    typed = [step.says for step in script("nb", "in_writing")]
    assert any(MARKER in line for line in typed)

    # Every row of every table, as text.
    async with sessions() as session:
        dump = []
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            dump.append(json.dumps([list(map(str, row)) for row in rows], ensure_ascii=False))
        everything = "\n".join(dump)
        if POSTGRES_URL:
            # Also what PostgreSQL would show of any table, not only ours.
            names = (
                await session.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            ).scalars()
            for name in names:
                rows = await session.execute(text(f'SELECT CAST(t AS text) FROM "{name}" t'))
                everything += "\n".join(str(r[0]) for r in rows)
    assert MARKER not in everything
    for line in typed:
        assert line not in everything
    assert "practice_runs" in [t.name for t in Base.metadata.sorted_tables]
    if not POSTGRES_URL:
        # The file itself (and its write-ahead log) never held the words.
        path = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
        for file in (path, Path(f"{path}-wal")):
            if file.exists():
                assert MARKER.encode() not in file.read_bytes()
    assert MARKER not in caplog.text
    for record in caplog.records:
        assert MARKER not in record.getMessage()

    export = await say(coach, person("admin-user", language="nb"), f"export {ref}")
    data = json.loads(export.text)["data"]
    assert len(data["practice_runs"]) == 1
    assert data["practice_runs"][0]["scenario"] == "in_writing"
    assert MARKER not in export.text
    for line in typed:
        assert line not in export.text


async def test_the_report_counts_practices(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    who = person(language="en")
    ref = await prepared(coach, who, "en")
    before = await say(coach, who, "report")
    assert "Practice calls" not in before.text
    await run_script(coach, who, guides, "en", "course", ref)
    report = await say(coach, who, "report")
    assert "Practice calls: 1, last on 23.11.2026" in report.text
    other = await say(coach, person("u2", language="en"), "report")
    assert "Practice calls" not in other.text


async def test_practice_needs_a_prepared_checklist_and_a_state_of_ours(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    who = person(language="nb")
    ref = await add(coach, who, "add Ola Nordmann | Lønnsmedarbeider")
    reply = await say(coach, who, f"øv {ref}")
    assert reply.practice is None
    assert reply.text == coach.t("nb", "practice_not_prepared", name="Ola Nordmann", id=ref)

    ready = await prepared(coach, who, "nb", name="Kari Nordmann")
    unknown = await say(coach, who, f"øv {ready} | sjonglering")
    assert unknown.practice is None
    assert "sjonglering" in unknown.text and "krangler" not in unknown.text
    assert "argumenterer" in unknown.text

    start = await say(coach, who, f"øv {ready}")
    assert start.practice is not None
    state = start.practice.state
    empty = await coach.practice_turn(who, state, "   ")
    assert empty.text == coach.t("nb", "practice_empty", name="Kari")
    assert empty.practice is not None and empty.practice.state == state
    long = await coach.practice_turn(who, state, "bla " * 400)
    assert long.text == coach.t("nb", "practice_too_long", limit=1000)
    for broken in (None, "", "not json", state.replace('"lang":"nb"', '"lang":"de"'), state[:-5]):
        expired = await coach.practice_turn(who, broken, "Hei")
        assert expired.practice is None
        assert expired.text == coach.t("nb", "practice_expired")
    # Another recruiter cannot carry on someone else's practice.
    stranger = await coach.practice_turn(person("u2", language="nb"), state, "Hei")
    assert stranger.practice is None
    assert stranger.text == coach.t("nb", "not_found", ref=ready)


async def test_the_candidate_hangs_up_after_ten_lines(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    who = person(language="en")
    ref = await prepared(coach, who, "en")
    start = await say(coach, who, f"practice {ref} | argues")
    assert start.practice is not None
    state = start.practice.state
    for number in range(1, MAX_EXCHANGES + 1):
        reply = await coach.practice_turn(who, state, "Mm. " + "word " * 190)
        assert reply.practice is not None
        if number < MAX_EXCHANGES:
            assert not reply.practice.done
            assert len(reply.practice.state) <= STATE_LIMIT  # fits Slack's private_metadata
            state = reply.practice.state
    assert reply.practice.done
    assert any(line in reply.text for line in guides.practice("en").candidate.hang_up)


def test_packing_keeps_the_state_within_slack_limits() -> None:
    from bot.practice import Line, Mark, PracticeState

    state = PracticeState(
        run="abcdef123456",
        ref="k7f3qa",
        lang="nb",
        scenario="argues",
        seed=12,
        turn=10,
        flags=[Mark(check=c, quote="æ" * 240) for c in ("svada", "hired", "promise", "writing")],
        good=[Mark(check=c, quote="ø" * 240) for c in ("emotion", "course", "position")],
        history=[Line(who="r" if i % 2 else "c", text="å" * 1000) for i in range(20)],
    )
    packed = pack(state)
    assert len(packed) <= STATE_LIMIT
    restored = unpack(packed)
    assert restored is not None
    assert [m.check for m in restored.flags] == ["svada", "hired", "promise", "writing"]
    assert restored.turn == 10


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("practice Kari Nordmann", commands.Practice(candidate="Kari Nordmann")),
        ("øv Kari", commands.Practice(candidate="Kari")),
        ("ØV k7f3qa | krangler", commands.Practice(candidate="k7f3qa", scenario="krangler")),
        ("practice Kari | 4711", commands.Practice(candidate="Kari", seed=4711)),
        ("øv Kari | kurs 12", commands.Practice(candidate="Kari", scenario="kurs", seed=12)),
    ],
)
def test_practice_words(words: str, expected: commands.Command) -> None:
    assert commands.parse(words) == expected


@pytest.mark.parametrize("words", ["practice", "øv", "øv Kari |", "øv Kari | a b", "øv | 3"])
def test_practice_words_refused(words: str) -> None:
    error = commands.parse(words)
    assert isinstance(error, commands.ParseError)
    assert error.usage == "usage_practice"


def test_a_practice_guide_must_match_across_languages(tmp_path: Path) -> None:
    import shutil

    target = tmp_path / "guides"
    shutil.copytree(GUIDES_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = target / "nb" / "practice.yaml"
    path.write_text(path.read_text().replace("Det med {topic}", "Det med {tema}"))
    with pytest.raises(GuideError, match="reactions: keys or placeholders differ"):
        GuideBook(target)
    path.write_text(path.read_text().replace("  in_writing:\n", "  in_writin:\n"))
    with pytest.raises(GuideError, match=r"practice\.yaml: scenarios"):
        GuideBook(target)


RULE_LINES = {
    "nb": {
        "pool_question": (
            "Du var blant de sterkeste. Kan vi ta vare på CV-en din til senere stillinger?"
        ),
        "pool_vague": "Ja, vi tar vare på den en stund.",
        "pool_right": (
            "I 12 måneder. Det er helt frivillig, og du kan be oss slette den når du vil."
        ),
        "pool_complete": (
            "Kan vi ta vare på CV-en din i 12 måneder? Det er frivillig, og du kan si nei."
        ),
        "volunteered": "Vi tenkte nok at du var litt for gammel for teamet.",
    },
    "en": {
        "pool_question": "You were among the strongest. May we keep your CV for future openings?",
        "pool_vague": "Yes, we would keep it for a while.",
        "pool_right": "For 12 months. It's entirely voluntary, and you can ask us to delete it.",
        "pool_complete": ("May we keep your CV for 12 months? It's voluntary, and you can say no."),
        "volunteered": "We felt you were a bit too old for the team, to be honest.",
    },
}


@pytest.mark.parametrize("language", ["nb", "en"])
def test_talent_pool_and_a_volunteered_protected_ground(guides: GuideBook, language: str) -> None:
    guide = guides.practice(language)
    lines = RULE_LINES[language]
    setup = PracticeSetup(
        language=language,  # type: ignore[arg-type]
        candidate_name="Kari Nordmann",
        candidate_ref="k7f3qa",
        position=POSITION[language],
        points=POINTS[language],
        must_say=guides.script(language).must_say(internal=False),
        pool_months=12,
        scenario="disappointed",
        seed=3,
    )
    rehearsal = Rehearsal(guide)
    state, _ = rehearsal.begin(setup, "run-key-2")

    def step(line: str) -> str:
        nonlocal state
        turn = rehearsal.step(setup, state, line)
        state = turn.state
        return turn.candidate or ""

    assert step(COMMON[language]["opening"]) in guide.candidate.opening_ok
    assert step(lines["pool_question"]) in guide.reactions["talent_pool"]
    assert step(lines["pool_vague"]) in guide.pushback["pool"]
    step(lines["pool_right"])
    assert step(lines["volunteered"]) in guide.reactions["protected"]
    debrief = rehearsal.debrief(setup, state)
    assert [c.check for c in debrief.changes][:1] == ["protected"]
    assert debrief.changes[0].quote == lines["volunteered"]
    assert next(m for m in state.flags if m.check == "pool").quote == lines["pool_vague"]

    # Asked with how long and that it is voluntary, the question needs no follow-up.
    fresh, _ = rehearsal.begin(setup, "run-key-3")
    state = fresh
    step(COMMON[language]["opening"])
    assert step(lines["pool_complete"]) not in guide.reactions["talent_pool"]
    assert rehearsal.debrief(setup, state).results["pool"] == "ok"
