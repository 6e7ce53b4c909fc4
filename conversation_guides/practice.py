"""The schema of practice.yaml: what the practising candidate says, what the rules listen for,
and what the debrief tells the recruiter. Both languages must have the same keys."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The checks the debrief reports on, in the order their advice matters most.
CheckKey = Literal[
    "protected",
    "hired",
    "promise",
    "writing",
    "emotion",
    "course",
    "svada",
    "position",
    "pool",
    "must_say",
]
CHECK_ORDER: tuple[CheckKey, ...] = (
    "protected",
    "hired",
    "promise",
    "writing",
    "emotion",
    "course",
    "svada",
    "position",
    "pool",
    "must_say",
)
# What the candidate reacts to by rule, whatever the scenario.
ReactionKey = Literal[
    "protected", "hired", "promise", "talent_pool", "vague", "requirement", "requirement_plain"
]
ScenarioKey = Literal[
    "disappointed", "argues", "in_writing", "emotional", "course", "protected_ground"
]
SCENARIO_ORDER: tuple[ScenarioKey, ...] = (
    "disappointed",
    "argues",
    "in_writing",
    "emotional",
    "course",
    "protected_ground",
)
Variants = list[str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _at_least_two(lines: list[str]) -> list[str]:
    if len(lines) < 2 or any(not line.strip() for line in lines):
        raise ValueError("needs at least two variants, none empty")
    return lines


class Beat(_Strict):
    """One thing the candidate brings up in a scenario, and the check on the answer to it."""

    expects: CheckKey | None = None
    lines: Variants

    @model_validator(mode="after")
    def _variants(self) -> Beat:
        _at_least_two(self.lines)
        return self


class Scenario(_Strict):
    name: str = Field(min_length=1)
    # Words the recruiter may type after `practice <candidate> |` to choose this scenario.
    words: list[str] = Field(min_length=1)
    beats: list[Beat] = Field(min_length=2)


class Candidate(_Strict):
    """Lines that belong to no rule and no scenario: picking up, waiting, ending."""

    pick_up: Variants
    opening_ok: Variants
    waiting: Variants
    wrap_up: Variants
    filler: Variants
    goodbye: Variants
    hang_up: Variants

    @model_validator(mode="after")
    def _variants(self) -> Candidate:
        for name in type(self).model_fields:
            _at_least_two(getattr(self, name))
        return self


class Detect(_Strict):
    """Phrases the rules listen for: whole words, any spacing, `*` = any letters."""

    stop: list[str]
    closing: list[str]
    news: list[str]
    feedback: list[str]
    requirement: list[str]
    hired: list[str]
    describes_person: list[str]
    promise: list[str]
    holds_decision: list[str]
    talent_pool: list[str]
    pool_duration: list[str]
    pool_voluntary: list[str]
    acknowledge: list[str]
    written_ok: list[str]
    written_refuse: list[str]
    prescribes_course: list[str]
    denial: list[str]
    hedge: list[str]
    other_position: list[str]
    this_position: list[str]
    apply_again: list[str]
    every_recruitment_differs: list[str]
    # Common words never taken as the topic of a requirement.
    stopwords: list[str]


class Check(_Strict):
    title: str = Field(min_length=1)
    why: str = Field(min_length=1)
    # A better line, from the recruiter's own points: {point}, {decided}, {gaps}, {position},
    # {this_position}, {apply_again}, {every_recruitment_differs}, {months}, {missing}.
    better: str = Field(min_length=1)
    good: str = Field(min_length=1)


class Debrief(_Strict):
    title: str
    went_well: str
    nothing_went_well: str
    to_change: str
    nothing_to_change: str
    you_said: str
    try_instead: str
    score: str
    repeat: str
    stopped: str


# When the recruiter's answer misses what the candidate asked for, the candidate says so once.
PushbackKey = Literal["writing", "course", "emotion", "protected", "pool"]


class PracticeGuide(_Strict):
    language: Literal["nb", "en"]
    version: int = Field(ge=1)
    candidate: Candidate
    reactions: dict[ReactionKey, Variants]
    pushback: dict[PushbackKey, Variants]
    scenarios: dict[ScenarioKey, Scenario]
    detect: Detect
    checks: dict[CheckKey, Check]
    debrief: Debrief

    @model_validator(mode="after")
    def _complete(self) -> PracticeGuide:
        for what, have, want in (
            ("reactions", self.reactions, ReactionKey.__args__),  # type: ignore[attr-defined]
            ("pushback", self.pushback, PushbackKey.__args__),  # type: ignore[attr-defined]
            ("scenarios", self.scenarios, SCENARIO_ORDER),
            ("checks", self.checks, CHECK_ORDER),
        ):
            missing = set(want) - set(have)
            if missing:
                raise ValueError(f"{what}: missing {sorted(missing)}")
        for part, table in (("reactions", self.reactions), ("pushback", self.pushback)):
            for key, lines in table.items():
                try:
                    _at_least_two(lines)
                except ValueError as error:
                    raise ValueError(f"{part}.{key}: {error}") from error
        return self

    def shape(self) -> dict[str, object]:
        """What must be the same in every language: keys, beat counts and placeholders."""

        def names(text: str) -> frozenset[str]:
            return frozenset(n for _, n, _, _ in string.Formatter().parse(text) if n)

        return {
            "reactions": {k: {names(v) for v in vs} for k, vs in self.reactions.items()},
            "pushback": {k: {names(v) for v in vs} for k, vs in self.pushback.items()},
            "scenarios": {
                k: [(b.expects, {names(v) for v in b.lines}) for b in s.beats]
                for k, s in self.scenarios.items()
            },
            "checks": {k: names(c.better) for k, c in self.checks.items()},
            "debrief": {k: names(v) for k, v in self.debrief.model_dump().items()},
        }
