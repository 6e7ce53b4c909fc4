"""The pydantic schema every guide file must satisfy."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

StepKey = Literal["competence", "gaps", "luxury_problem", "self_presentation", "internal_value"]
STEP_ORDER: tuple[StepKey, ...] = (
    "competence",
    "gaps",
    "luxury_problem",
    "self_presentation",
    "internal_value",
)

Text = str


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Strict):
    key: StepKey
    title: str = Field(min_length=1)
    question: str = Field(min_length=1)
    tip: str = Field(min_length=1)
    concrete_example: str = Field(min_length=1)
    vague_example: str = Field(min_length=1)
    required: bool = True
    internal_only: bool = False


class Guide(_Strict):
    language: Literal["nb", "en"]
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    intro: str = Field(min_length=1)
    steps: list[Step]
    # For the recruiter, when the candidate asks which course to take (the seed's answer).
    course_question_answer: str = Field(min_length=1)

    @model_validator(mode="after")
    def _steps_complete(self) -> Guide:
        keys = [step.key for step in self.steps]
        if sorted(keys, key=STEP_ORDER.index) != list(STEP_ORDER):
            raise ValueError(f"steps must be exactly {', '.join(STEP_ORDER)}, once each")
        return self

    def steps_for(self, internal: bool) -> list[Step]:
        return [step for step in self.steps if internal or not step.internal_only]

    def step(self, key: str) -> Step:
        return next(step for step in self.steps if step.key == key)


class Messages(_Strict):
    """Everything else the coach says: message key -> text with {placeholders}."""

    language: Literal["nb", "en"]
    messages: dict[str, str]

    def placeholders(self, key: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.messages[key]) if name}


# -- the spoken call script (script.yaml) -------------------------------------------------


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


class Opening(_Strict):
    """The first lines; the greeting that fits what is known of the recruiter is chosen."""

    greeting_full: str = Field(min_length=1)  # {candidate} {speaker} {organisation}
    greeting_speaker: str = Field(min_length=1)  # {candidate} {speaker}
    greeting_organisation: str = Field(min_length=1)  # {candidate} {organisation}
    greeting_bare: str = Field(min_length=1)  # {candidate}
    about: str = Field(min_length=1)  # {position}
    thanks: str = Field(min_length=1)
    thanks_internal: str = Field(min_length=1)
    time_check: str = Field(min_length=1)


class Question(_Strict):
    """One of the hard moments: what the candidate says, what to answer, what to keep in mind."""

    asks: str = Field(min_length=1)
    say: str | None = None
    note: str | None = None  # may use {id}

    @model_validator(mode="after")
    def _has_an_answer(self) -> Question:
        if not (self.say or self.note):
            raise ValueError("a question needs a say or a note")
        return self


class TalentPool(_Strict):
    note: str = Field(min_length=1)
    say: str = Field(min_length=1)  # {months}
    consent_note: str = Field(min_length=1)  # {id}


class Timing(_Strict):
    estimate: str = Field(min_length=1)  # {minutes}
    under_a_minute: str = Field(min_length=1)
    one_minute: str = Field(min_length=1)
    minutes: str = Field(min_length=1)  # {count}
    too_long: str = Field(min_length=1)


# The only placeholders each template may use: the renderer fills exactly these, so no line
# of a script can ever show a {placeholder}. Every other text may use none.
SCRIPT_PLACEHOLDERS: dict[str, set[str]] = {
    "opening.greeting_full": {"candidate", "speaker", "organisation"},
    "opening.greeting_speaker": {"candidate", "speaker"},
    "opening.greeting_organisation": {"candidate", "organisation"},
    "opening.greeting_bare": {"candidate"},
    "opening.about": {"position"},
    "if_they_ask.note": {"id"},
    "talent_pool.say": {"months"},
    "talent_pool.consent_note": {"id"},
    "timing.estimate": {"minutes"},
    "timing.minutes": {"count"},
}


_SPOKEN_ROOTS = frozenset(
    {"opening", "this_position", "this_position_internal", "transitions", "check_in",
     "if_they_ask", "closing_external", "closing_internal", "closing_final", "talent_pool"}
)  # fmt: skip
_DIRECTIONS = frozenset({"if_they_ask.asks", "if_they_ask.note", "talent_pool.note",
                         "talent_pool.consent_note"})  # fmt: skip


class ScriptGuide(_Strict):
    """What the recruiter says on the phone, and the directions around it, in one language."""

    language: Literal["nb", "en"]
    opening: Opening
    this_position: str = Field(min_length=1)
    this_position_internal: str = Field(min_length=1)
    # Spoken lead-ins that join the recruiter's points, one per step key.
    transitions: dict[StepKey, str]
    check_in_note: str = Field(min_length=1)
    check_in: str = Field(min_length=1)
    if_they_ask_title: str = Field(min_length=1)
    if_they_ask: list[Question] = Field(min_length=1)
    closing_external: list[str] = Field(min_length=1)
    closing_internal: list[str] = Field(min_length=1)
    closing_final: list[str] = Field(min_length=1)
    talent_pool: TalentPool
    timing: Timing
    # Words that show an answer is written about the candidate rather than to them.
    third_person: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> ScriptGuide:
        missing = [key for key in STEP_ORDER if not self.transitions.get(key)]
        if missing:
            raise ValueError(f"transitions: missing {', '.join(missing)}")
        for path, text in self.texts():
            allowed = SCRIPT_PLACEHOLDERS.get(path, set())
            extra = _placeholders(text) - allowed
            if extra:
                raise ValueError(f"{path}: unknown placeholder {{{sorted(extra)[0]}}}")
        return self

    def must_say(self, internal: bool) -> dict[str, str]:
        """The lines every call must carry, keyed as the practice checks them."""
        if internal:
            # An employee is not told to look elsewhere: only this position, and apply again.
            return {
                "this_position": self.this_position_internal,
                "apply_again": self.closing_internal[0],
            }
        return {
            "this_position": self.this_position,
            "apply_again": self.closing_external[-1],
            "every_recruitment_differs": self.closing_external[0],
        }

    def spoken(self) -> list[str]:
        """Every template line the recruiter says aloud (the rest are directions)."""
        return [
            text
            for path, text in self.texts()
            if path.split(".")[0] in _SPOKEN_ROOTS and path not in _DIRECTIONS
        ]

    def texts(self) -> list[tuple[str, str]]:
        """Every template text with its path (list items share their list's path)."""
        found: list[tuple[str, str]] = []

        def walk(path: str, value: object) -> None:
            if isinstance(value, str):
                found.append((path, value))
            elif isinstance(value, BaseModel):
                for name in type(value).model_fields:
                    walk(f"{path}.{name}" if path else name, getattr(value, name))
            elif isinstance(value, dict):
                for key, item in value.items():
                    walk(f"{path}.{key}", item)
            elif isinstance(value, list):
                for item in value:
                    walk(path, item)

        for name in type(self).model_fields:
            if name not in ("language", "third_person"):
                walk(name, getattr(self, name))
        return found
