"""The practice call: the coach plays the candidate, turn by turn, then debriefs the recruiter.

Pure and deterministic: the recruiter's prepared points, the position, a scenario, a seed and
what the recruiter has said so far give the candidate's next line, and at the end the debrief.
Nothing here reads or writes a database, logs, or calls the network.

`CandidatePlayer` is the one place where another way of playing the candidate (a language
model, say) could be plugged in; `RuleCandidate` plays it by the rules and lines in
`conversation_guides/<lang>/practice.yaml`. Hearing what the recruiter said, the quiet checks
and the debrief stay rule-based whoever plays the candidate, so the advice is always the
method's own.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.concreteness import assess
from conversation_guides.practice import (
    CHECK_ORDER,
    SCENARIO_ORDER,
    CheckKey,
    PracticeGuide,
    PushbackKey,
    ReactionKey,
    ScenarioKey,
)

Language = Literal["nb", "en"]
# About 6-10 exchanges make a call; the candidate hangs up after this many recruiter lines.
MAX_EXCHANGES = 10
# The longest recruiter line quoted in a debrief, and the most changes it suggests.
MAX_QUOTE = 240
MAX_CHANGES = 3
MAX_WENT_WELL = 3
# Slack's private_metadata holds at most 3,000 characters; the packed state must fit.
STATE_LIMIT = 3000
# Prepared points in the order a better line borrows from them.
POINT_ORDER = ("gaps", "competence", "luxury_problem", "self_presentation", "internal_value")
DECIDED_ORDER = ("luxury_problem", "gaps", "competence", "self_presentation", "internal_value")
MUST_SAY = ("this_position", "apply_again", "every_recruitment_differs")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PracticeSetup(_Model):
    """What the candidate (and the debrief) may know: the recruiter's own preparation."""

    language: Language
    candidate_name: str
    candidate_ref: str
    position: str
    # Step key -> the recruiter's prepared answer for the call.
    points: dict[str, str]
    # The guide's must-say lines: this_position, apply_again, every_recruitment_differs.
    must_say: dict[str, str]
    pool_months: int
    scenario: ScenarioKey
    seed: int

    @property
    def first_name(self) -> str:
        return (self.candidate_name.split() or [self.candidate_name])[0]


class Line(_Model):
    who: Literal["r", "c"]
    text: str = Field(max_length=4000)


class Mark(_Model):
    """One check that failed or passed, and the recruiter's line it is about."""

    check: CheckKey
    quote: str = Field(max_length=MAX_QUOTE)


class PracticeState(_Model):
    """Everything a practice needs between two turns. It travels with the client (a Slack
    modal's private_metadata, a Teams card's data, the terminal's memory), never the database."""

    v: Literal[1] = 1
    run: str = Field(pattern=r"^[A-Za-z0-9_-]{6,32}$")
    ref: str = Field(min_length=1, max_length=12)
    lang: Language
    scenario: ScenarioKey
    seed: int = Field(ge=0, le=2**31)
    turn: int = Field(default=0, ge=0, le=MAX_EXCHANGES)
    news: bool = False
    # The check the recruiter's next line answers (what the candidate just asked for).
    expect: CheckKey | None = None
    # The check the recruiter's last line answered and missed.
    missed: CheckKey | None = None
    # The player's own memory: which beat comes next, how often each line was used.
    memory: dict[str, int] = Field(default_factory=dict, max_length=40)
    flags: list[Mark] = Field(default_factory=list, max_length=len(CHECK_ORDER))
    good: list[Mark] = Field(default_factory=list, max_length=len(CHECK_ORDER))
    said: list[str] = Field(default_factory=list, max_length=len(MUST_SAY))
    last: str = Field(default="", max_length=MAX_QUOTE)
    history: list[Line] = Field(default_factory=list, max_length=2 * MAX_EXCHANGES + 2)
    done: bool = False


def pack(state: PracticeState, limit: int = STATE_LIMIT) -> str:
    """The state as compact JSON within `limit` characters: older lines of the transcript are
    dropped first (the debrief needs only the marks), then quotes are shortened."""
    current = state
    while True:
        text = current.model_dump_json(exclude_defaults=True)
        if len(text) <= limit:
            return text
        if current.history:
            current = current.model_copy(update={"history": current.history[1:]})
            continue
        longest = max((len(m.quote) for m in [*current.flags, *current.good]), default=0)
        if longest <= 20:
            raise ValueError("practice state does not fit")
        cut = max(20, longest * 3 // 4)
        current = current.model_copy(
            update={
                "flags": [_shorten(m, cut) for m in current.flags],
                "good": [_shorten(m, cut) for m in current.good],
                "last": _clip(current.last, cut),
            }
        )


def unpack(token: str | None) -> PracticeState | None:
    """A state sent back by a client; None when it is missing, damaged or not ours."""
    if not token or len(token) > STATE_LIMIT * 4:
        return None
    try:
        return PracticeState.model_validate_json(token)
    except ValidationError:
        return None


def _clip(text: str, limit: int = MAX_QUOTE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shorten(mark: Mark, limit: int) -> Mark:
    return mark.model_copy(update={"quote": _clip(mark.quote, limit)})


# -- hearing what the recruiter said -------------------------------------------------------


def _phrase_regex(phrase: str) -> str:
    words = [re.escape(word).replace(r"\*", r"\w*") for word in phrase.casefold().split()]
    return r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)"


@cache
def _matcher(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(_phrase_regex(p) for p in phrases) or r"(?!x)x")


def _has(phrases: Sequence[str], text: str) -> bool:
    return _matcher(tuple(phrases)).search(text) is not None


_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_SENTENCE = re.compile(r"(?<=[.!?…])\s+")


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).replace("\u2019", "'").casefold().split())


@dataclass(frozen=True)
class Heard:
    """What the rules found in one recruiter line."""

    stop: bool = False
    closing: bool = False
    news: bool = False
    feedback: bool = False
    vague: bool = False
    risky: bool = False
    hired: bool = False
    describes: bool = False
    promise: bool = False
    holds: bool = False
    talent_pool: bool = False
    pool_duration: bool = False
    pool_voluntary: bool = False
    acknowledges_first: bool = False
    written_ok: bool = False
    written_refuse: bool = False
    prescribes_course: bool = False
    denial: bool = False
    hedge: bool = False
    other_position: bool = False
    requirement: bool = False
    # A word from the recruiter's own prepared points that the line was about.
    topic: str | None = None
    must_say: frozenset[str] = field(default_factory=frozenset)


def hear(guide: PracticeGuide, setup: PracticeSetup, line: str) -> Heard:
    text = _normal(line)
    d = guide.detect
    if text in {_normal(word) for word in d.stop}:
        return Heard(stop=True)
    sentences = _SENTENCE.split(text)
    must_say = frozenset(key for key in MUST_SAY if _has(getattr(d, key), text))
    # The svada check judges the explanation: not greetings, and not the must-say sentences,
    # which are the same general words in every call by design.
    explaining = " ".join(
        s for s in sentences if not any(_has(getattr(d, key), s) for key in MUST_SAY)
    )
    feedback = _has(d.feedback, explaining)
    topic = _topic(d.stopwords, setup, explaining) if feedback else None
    return Heard(
        closing=_has(d.closing, text),
        news=_has(d.news, text) or topic is not None,
        feedback=feedback,
        vague=feedback and assess(explaining, setup.language).vague,
        risky=assess(line, setup.language).risky,
        hired=_has(d.hired, text),
        describes=_has(d.describes_person, text),
        promise=_has(d.promise, text),
        holds=_has(d.holds_decision, text),
        talent_pool=_has(d.talent_pool, text),
        pool_duration=_has(d.pool_duration, text) or any(c.isdigit() for c in text),
        pool_voluntary=_has(d.pool_voluntary, text),
        acknowledges_first=_has(d.acknowledge, sentences[0]),
        written_ok=_has(d.written_ok, text),
        written_refuse=_has(d.written_refuse, text),
        prescribes_course=_has(d.prescribes_course, text),
        denial=_has(d.denial, text),
        hedge=_has(d.hedge, text),
        other_position=_has(d.other_position, text),
        requirement=_has(d.requirement, text),
        topic=topic,
        must_say=must_say,
    )


def _topic(stopwords: Sequence[str], setup: PracticeSetup, text: str) -> str | None:
    """The longest word of the line that is also in the prepared competence or gaps points
    (not a word of the position's title: that is what the call is about, not a requirement)."""
    prepared = " ".join(setup.points.get(key, "") for key in ("gaps", "competence"))
    known = {w for w in _WORD.findall(_normal(prepared)) if len(w) >= 5}
    ignored = {_normal(w) for w in stopwords} | set(_WORD.findall(_normal(setup.position)))
    shared = [w for w in _WORD.findall(text) if w in known and w not in ignored]
    return max(shared, key=len) if shared else None


# -- the candidate -------------------------------------------------------------------------


class CandidateTurn(_Model):
    """The candidate's next line, what it asks of the recruiter, and the player's memory."""

    text: str
    expects: CheckKey | None = None
    memory: dict[str, int] = Field(default_factory=dict)
    ends: bool = False


class CandidatePlayer(Protocol):
    """Whoever plays the candidate. A player sees the setup, the state so far (its own
    `memory`, the transcript in `history`, the last line included) and what the rules heard
    in the recruiter's last line; it answers with one line."""

    def pick_up(self, setup: PracticeSetup) -> CandidateTurn: ...

    def answer(self, setup: PracticeSetup, state: PracticeState, heard: Heard) -> CandidateTurn: ...


def _index(seed: int, key: str, count: int) -> int:
    # A stable hash (not Python's salted hash()): the same seed picks the same lines anywhere.
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % count


# How often each rule may make the candidate react in one call, so the scenario goes on.
_REACTION_LIMITS = {
    "protected": 2,
    "hired": 2,
    "promise": 2,
    "talent_pool": 1,
    "vague": 2,
    "requirement": 1,
    "requirement_plain": 1,
}
_REACTION_EXPECTS: dict[str, CheckKey | None] = {
    "protected": "protected",
    "hired": "hired",
    "promise": "promise",
    "talent_pool": "pool",
    "vague": "svada",
    "requirement": None,
    "requirement_plain": None,
}


class RuleCandidate:
    """The candidate played by the rules: react to what the recruiter wrote, else carry on with
    the scenario. Lines are picked by the seed, so the same practice comes out the same."""

    def __init__(self, guide: PracticeGuide) -> None:
        self.guide = guide

    def pick_up(self, setup: PracticeSetup) -> CandidateTurn:
        memory: dict[str, int] = {}
        text = self._line(setup, "pick_up", self.guide.candidate.pick_up, memory)
        return CandidateTurn(text=text, memory=memory)

    def answer(self, setup: PracticeSetup, state: PracticeState, heard: Heard) -> CandidateTurn:
        memory = dict(state.memory)
        candidate = self.guide.candidate
        if heard.closing:
            return self._turn(setup, "goodbye", candidate.goodbye, memory, ends=True)
        if state.turn >= MAX_EXCHANGES:
            return self._turn(setup, "hang_up", candidate.hang_up, memory, ends=True)
        reaction = self._reaction(state, heard, memory)
        if reaction is not None:
            memory["r:" + reaction] = memory.get("r:" + reaction, 0) + 1
            topic = (heard.topic or "") if reaction == "requirement" else ""
            text = self._line(setup, reaction, self.guide.reactions[reaction], memory, topic=topic)
            return CandidateTurn(text=text, expects=_REACTION_EXPECTS[reaction], memory=memory)
        missed = state.missed
        pushback = _pushback(self.guide.pushback, missed)
        if missed is not None and pushback is not None and not memory.get("p:" + missed):
            memory["p:" + missed] = 1
            text = self._line(setup, "p:" + missed, pushback, memory)
            return CandidateTurn(text=text, expects=missed, memory=memory)
        if not state.news:
            if state.turn <= 1:
                return self._turn(setup, "opening_ok", candidate.opening_ok, memory)
            return self._turn(setup, "waiting", candidate.waiting, memory)
        beats = self.guide.scenarios[setup.scenario].beats
        beat = memory.get("beat", 0)
        if beat < len(beats):
            memory["beat"] = beat + 1
            text = self._line(setup, f"beat{beat}", beats[beat].lines, memory)
            return CandidateTurn(text=text, expects=beats[beat].expects, memory=memory)
        if not memory.get("wrapped"):
            memory["wrapped"] = 1
            return self._turn(setup, "wrap_up", candidate.wrap_up, memory)
        return self._turn(setup, "filler", candidate.filler, memory)

    def _reaction(
        self, state: PracticeState, heard: Heard, memory: dict[str, int]
    ) -> ReactionKey | None:
        def allowed(key: str) -> bool:
            return memory.get("r:" + key, 0) < _REACTION_LIMITS[key]

        wanted: list[tuple[ReactionKey, bool]] = [
            # Answering "was it my age?" with a clear no is not volunteering a ground.
            ("protected", heard.risky and state.expect != "protected"),
            ("promise", heard.promise),
            ("hired", heard.hired and state.expect != "hired"),
            (
                "talent_pool",
                heard.talent_pool and not (heard.pool_duration and heard.pool_voluntary),
            ),
            ("vague", heard.vague),
            ("requirement", heard.topic is not None and not heard.vague),
            ("requirement_plain", heard.requirement and heard.feedback and not heard.vague),
        ]
        return next((key for key, fires in wanted if fires and allowed(key)), None)

    def _turn(
        self,
        setup: PracticeSetup,
        key: str,
        variants: Sequence[str],
        memory: dict[str, int],
        ends: bool = False,
    ) -> CandidateTurn:
        text = self._line(setup, key, variants, memory)
        return CandidateTurn(text=text, memory=memory, ends=ends)

    def _line(
        self,
        setup: PracticeSetup,
        key: str,
        variants: Sequence[str],
        memory: dict[str, int],
        topic: str = "",
    ) -> str:
        """One variant, chosen by the seed; the next use of the same key takes the next one."""
        used = memory.get("v:" + key, 0)
        memory["v:" + key] = used + 1
        choice = variants[(_index(setup.seed, key, len(variants)) + used) % len(variants)]
        text = choice.format(first_name=setup.first_name, position=setup.position, topic=topic)
        return text[:1].upper() + text[1:]


# -- the quiet checks ---------------------------------------------------------------------


def judge(state: PracticeState, heard: Heard, line: str) -> tuple[list[Mark], list[Mark]]:
    """The flags and passes for one recruiter line, given what the candidate had just asked."""
    quote = _clip(line)
    flags: list[CheckKey] = []
    passes: list[CheckKey] = []
    expect = state.expect

    if expect == "protected":
        (passes if heard.denial and not heard.hedge else flags).append("protected")
    elif heard.risky:
        flags.append("protected")

    if heard.describes and (heard.hired or expect == "hired"):
        flags.append("hired")
    elif expect == "hired":
        passes.append("hired")

    if heard.promise:
        flags.append("promise")
    elif expect == "promise":
        passes.append("promise")

    if expect == "writing":
        correct = heard.written_ok and not heard.written_refuse
        (passes if correct else flags).append("writing")
    if expect == "emotion":
        (passes if heard.acknowledges_first else flags).append("emotion")
    if expect == "course":
        (flags if heard.prescribes_course else passes).append("course")

    if heard.vague and not flags:
        # One line, one lesson: a promise or a named person matters more than its vagueness.
        flags.append("svada")
    elif heard.feedback and (heard.topic or expect == "svada"):
        passes.append("svada")

    if heard.other_position:
        flags.append("position")
    elif "this_position" in heard.must_say:
        passes.append("position")

    if expect == "pool" or heard.talent_pool:
        complete = heard.pool_duration and heard.pool_voluntary
        if complete:
            passes.append("pool")
        elif expect == "pool":
            flags.append("pool")

    return (
        [Mark(check=c, quote=quote) for c in flags],
        [Mark(check=c, quote=quote) for c in passes],
    )


def _merge(marks: list[Mark], new: list[Mark]) -> list[Mark]:
    """The first mark of each check is the one the debrief quotes."""
    seen = {m.check for m in marks}
    return marks + [m for m in new if m.check not in seen]


# -- the practice, turn by turn -----------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """What became of one recruiter line: the new state, the candidate's answer (None when
    the recruiter stopped), and the debrief once the call is over."""

    state: PracticeState
    candidate: str | None
    debrief: Debrief | None = None


class Change(BaseModel):
    check: CheckKey
    title: str
    why: str
    quote: str
    better: str


class Debrief(BaseModel):
    title: str
    went_well: list[str]
    changes: list[Change]
    # Check key -> "ok" or "flag", for the checks this practice put to the test.
    results: dict[str, Literal["ok", "flag"]]
    passed: int
    checked: int
    exchanges: int
    text: str


class Rehearsal:
    """Runs a practice with a player; hearing, checks and debrief follow the guide's rules."""

    def __init__(self, guide: PracticeGuide, player: CandidatePlayer | None = None) -> None:
        self.guide = guide
        self.player: CandidatePlayer = player or RuleCandidate(guide)

    def begin(self, setup: PracticeSetup, run: str) -> tuple[PracticeState, str]:
        first = self.player.pick_up(setup)
        state = PracticeState(
            run=run,
            ref=setup.candidate_ref,
            lang=setup.language,
            scenario=setup.scenario,
            seed=setup.seed,
            memory=first.memory,
            history=[Line(who="c", text=first.text)],
        )
        return state, first.text

    def step(self, setup: PracticeSetup, state: PracticeState, line: str) -> Turn:
        if state.done:
            return Turn(state, None, self.debrief(setup, state))
        heard = hear(self.guide, setup, line)
        if heard.stop:
            done = state.model_copy(update={"done": True})
            return Turn(done, None, self.debrief(setup, done, stopped=True))
        flags, passes = judge(state, heard, line)
        history = [*state.history, Line(who="r", text=line[:4000])][-2 * MAX_EXCHANGES :]
        heard_state = state.model_copy(
            update={
                "turn": state.turn + 1,
                "news": state.news or heard.news or heard.feedback,
                "flags": _merge(state.flags, flags),
                "good": _merge(state.good, passes),
                "said": sorted(set(state.said) | heard.must_say),
                "last": _clip(line),
                "history": history,
                "missed": state.expect if state.expect in {m.check for m in flags} else None,
            }
        )
        answer = self.player.answer(setup, heard_state, heard)
        after = heard_state.model_copy(
            update={
                "expect": answer.expects,
                "memory": answer.memory,
                "history": [*history, Line(who="c", text=answer.text)][-2 * MAX_EXCHANGES :],
                "done": answer.ends,
            }
        )
        return Turn(after, answer.text, self.debrief(setup, after) if answer.ends else None)

    def debrief(self, setup: PracticeSetup, state: PracticeState, stopped: bool = False) -> Debrief:
        guide = self.guide
        flags = list(state.flags)
        missing = [key for key in MUST_SAY if key in setup.must_say and key not in state.said]
        if state.turn and missing:
            flags.append(Mark(check="must_say", quote=state.last or "…"))
        good = [m for m in state.good if m.check not in {f.check for f in flags}]
        if state.turn and not missing:
            good.append(Mark(check="must_say", quote=state.last))
        results: dict[str, Literal["ok", "flag"]] = {m.check: "ok" for m in good}
        results.update({m.check: "flag" for m in flags})
        ordered = sorted(flags, key=lambda m: CHECK_ORDER.index(m.check))[:MAX_CHANGES]
        values = self._values(setup, missing)
        changes = [
            Change(
                check=m.check,
                title=guide.checks[m.check].title,
                why=guide.checks[m.check].why.format(**values),
                quote=m.quote,
                better=" ".join(guide.checks[m.check].better.format(**values).split()),
            )
            for m in ordered
        ]
        went_well = [
            guide.checks[m.check].good
            for m in sorted(good, key=lambda m: CHECK_ORDER.index(m.check))[:MAX_WENT_WELL]
        ]
        passed = sum(1 for v in results.values() if v == "ok")
        scenario = guide.scenarios[setup.scenario].name
        title = guide.debrief.title.format(name=setup.candidate_name, scenario=scenario)
        debrief = Debrief(
            title=title,
            went_well=went_well,
            changes=changes,
            results=dict(sorted(results.items())),
            passed=passed,
            checked=len(results),
            exchanges=state.turn,
            text="",
        )
        return debrief.model_copy(update={"text": self._text(setup, debrief, stopped)})

    def _values(self, setup: PracticeSetup, missing: list[str]) -> dict[str, object]:
        def first(order: Sequence[str]) -> str:
            return next((setup.points[k] for k in order if setup.points.get(k)), "")

        return {
            "point": first(POINT_ORDER),
            "decided": first(DECIDED_ORDER),
            "gaps": first(("gaps", "competence")),
            "position": setup.position,
            "months": setup.pool_months,
            "missing": " ".join(setup.must_say[key] for key in missing),
            **{key: setup.must_say.get(key, "") for key in MUST_SAY},
        }

    def _text(self, setup: PracticeSetup, debrief: Debrief, stopped: bool) -> str:
        d = self.guide.debrief
        parts = [debrief.title]
        if stopped:
            parts.append(d.stopped)
        parts.append(
            d.score.format(
                passed=debrief.passed, checked=debrief.checked, exchanges=debrief.exchanges
            )
        )
        well = "\n".join(f"• {line}" for line in debrief.went_well) or d.nothing_went_well
        parts.append(f"{d.went_well}\n{well}")
        if debrief.changes:
            items = [
                f"{n}. {c.title}. {c.why}\n   {d.you_said.format(quote=c.quote)}\n"
                f"   {d.try_instead.format(better=c.better)}"
                for n, c in enumerate(debrief.changes, start=1)
            ]
            parts.append(d.to_change + "\n" + "\n".join(items))
        else:
            parts.append(d.nothing_to_change)
        parts.append(d.repeat.format(ref=setup.candidate_ref, seed=setup.seed))
        return "\n\n".join(parts)


def scenario_for(guide: PracticeGuide, word: str | None, seed: int) -> ScenarioKey | None:
    """The scenario a recruiter named (in either language's words), else the seed's."""
    if word is None:
        return SCENARIO_ORDER[seed % len(SCENARIO_ORDER)]
    wanted = _normal(word)
    for key, scenario in guide.scenarios.items():
        if wanted == key or wanted in {_normal(w) for w in scenario.words}:
            return key
    return None


def _pushback(
    pushback: Mapping[PushbackKey, list[str]], missed: CheckKey | None
) -> list[str] | None:
    """The pushback lines for a check the recruiter missed, if the guide has any for it."""
    # Only some checks have a pushback; the two key sets overlap by name, not by type.
    return next((lines for key, lines in pushback.items() if key == missed), None)
