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
    # How the recruiter's point is introduced in the call script.
    script_lead: str = Field(min_length=1)
    required: bool = True
    internal_only: bool = False


class MustSay(_Strict):
    this_position: str = Field(min_length=1)
    apply_again: str = Field(min_length=1)
    every_recruitment_differs: str = Field(min_length=1)


class Script(_Strict):
    opening: str = Field(min_length=1)
    closing: str = Field(min_length=1)


class Guide(_Strict):
    language: Literal["nb", "en"]
    version: int = Field(ge=1)
    title: str = Field(min_length=1)
    intro: str = Field(min_length=1)
    steps: list[Step]
    must_say: MustSay
    talent_pool_question: str = Field(min_length=1)
    course_question_answer: str = Field(min_length=1)
    script: Script

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
