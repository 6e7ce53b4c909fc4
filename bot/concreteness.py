"""The svada check: flags feedback wording that is vague, or that touches a protected ground.

Every phrase, pattern and sentence the recruiter sees lives in
``conversation_guides/<language>/concreteness.yaml``; this module validates those files,
compiles them once, and applies one small scoring rule:

- each *concrete* family found (a named skill, a number, an example from the interview,
  advice for next time, ...) adds its weight; each *vague* family found (stock phrases
  about fit, "stronger candidates", hedges, evaluations with no example, ...) subtracts its;
- the text is vague when the balance stays below ``scoring.concrete_needed``, or when it is
  too short to carry content and no strong concrete signal rescues it;
- a *weak* concrete family (a capitalised word, a bare number) is a hint, not content: on
  its own it neither rescues a short text nor excuses an evaluation with no example;
- any *risky* family found sets ``risky``; then only its reasons are given, and its
  suggestion comes first (followed by the step's, when the text is vague too).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from conversation_guides import GUIDES_DIR, load_model
from conversation_guides.schema import StepKey

Language = Literal["nb", "en"]
Ground = Literal[
    "age", "gender", "family", "ethnicity", "religion", "disability", "sexual_orientation"
]

# Letters and digits (any script, so æ, ø and å are letters), keeping "didn't" and "CV-en" whole.
_TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def _blank(match: re.Match[str]) -> str:
    # Same length, so positions found later still point at the original text.
    return " " * len(match.group())


def phrase_regex(phrase: str) -> str:
    """Turn an HR-friendly phrase into a regex: whole words, any spacing, ``*`` = any letters.

    ``*`` at either end of a word is what makes Norwegian compounds match: ``*førerbevis``
    finds "truckførerbevis", ``småbarn*`` finds "småbarnsmor".
    """
    words = [re.escape(word).replace(r"\*", r"\w*") for word in phrase.split()]
    return r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Family(_Strict):
    """One family of phrases that mean the same thing to the check."""

    key: str = Field(min_length=1)
    weight: float = Field(default=1.0, ge=0)
    # Shown to the recruiter; "{phrase}" is replaced by the words found in their text.
    reason: str = ""
    phrases: list[str] = []
    patterns: list[str] = []
    # Look-alikes that are not this family ("stammer fra", "health and safety"): these
    # phrases are blanked out of the text before the family is matched.
    unless: list[str] = []
    case_sensitive: bool = False
    # Vague families only: count only when nothing concrete was found. "Good" is svada on
    # its own, but harmless next to an example.
    only_when_nothing_concrete: bool = False
    _regex: re.Pattern[str] = PrivateAttr()
    _unless: re.Pattern[str] | None = PrivateAttr(default=None)

    @field_validator("phrases", "unless")
    @classmethod
    def _phrases_have_words(cls, phrases: list[str]) -> list[str]:
        for phrase in phrases:
            if not phrase.replace("*", "").strip():
                raise ValueError(f"empty phrase {phrase!r}")
        return phrases

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"pattern {pattern!r} is not a valid regex: {error}") from None
        return patterns

    def model_post_init(self, context: Any, /) -> None:
        alternatives = [phrase_regex(p) for p in self.phrases] + self.patterns
        if not alternatives:
            raise ValueError(f"family {self.key!r} has neither phrases nor patterns")
        flags = 0 if self.case_sensitive else re.IGNORECASE
        self._regex = re.compile("|".join(f"(?:{a})" for a in alternatives), flags)
        if self.unless:
            unless = "|".join(f"(?:{phrase_regex(p)})" for p in self.unless)
            self._unless = re.compile(unless, re.IGNORECASE)

    def matches(self, text: str) -> list[re.Match[str]]:
        """Every place in ``text`` where this family is found."""
        if self._unless is not None:
            text = self._unless.sub(_blank, text)
        return list(self._regex.finditer(text))

    def find(self, text: str) -> str | None:
        """The first words in ``text`` that belong to this family, if any."""
        found = self.matches(text)
        return found[0].group().strip() if found else None

    def explain(self, phrase: str) -> str:
        return self.reason.replace("{phrase}", phrase)


class ExplainedFamily(Family):
    reason: str = Field(min_length=1)


class ConcreteFamily(Family):
    # A hint rather than content: "Per" in "log Per ringt" is a capitalised word, "2" in
    # "2 gode kandidater" a number. Alone, a weak family does not make a short text concrete.
    weak: bool = False


class RiskyFamily(ExplainedFamily):
    ground: Ground


class Scoring(_Strict):
    # Below this many content words (not in ``stopwords``) a text is too short to say much.
    min_content_words: int = Field(ge=0)
    # The concrete-minus-vague balance a text needs to count as concrete.
    concrete_needed: float = Field(gt=0)
    # The concrete score that rescues a too-short text ("Mangler førerkort klasse B.").
    short_concrete_needed: float = Field(gt=0)
    # Below this many content words, a text whose only concrete signal is one weak family
    # counts as too short as well ("Hei Kari, takk for sist!").
    short_text_words: int = Field(ge=0)
    # How many vague phrases are named at most: the main points, not a lecture.
    max_reasons: int = Field(default=3, ge=1)

    @model_validator(mode="after")
    def _short_covers_too_short(self) -> Scoring:
        if self.short_text_words < self.min_content_words:
            raise ValueError("short_text_words must be at least min_content_words")
        return self


class Texts(_Strict):
    too_short: str = Field(min_length=1)
    no_concrete: str = Field(min_length=1)
    risky_suggestion: str = Field(min_length=1)
    concrete_ok: str = Field(min_length=1)


class Suggestions(_Strict):
    default: str = Field(min_length=1)
    steps: dict[StepKey, str]

    @field_validator("steps")
    @classmethod
    def _every_step(cls, steps: dict[str, str]) -> dict[str, str]:
        missing = set(get_args(StepKey)) - set(steps)
        if missing:
            raise ValueError(f"missing a suggestion for {', '.join(sorted(missing))}")
        return steps


class ConcretenessRules(_Strict):
    """The whole of one ``concreteness.yaml``."""

    language: Language
    scoring: Scoring
    stopwords: frozenset[str]
    vague: list[ExplainedFamily] = Field(min_length=1)
    concrete: list[ConcreteFamily] = Field(min_length=1)
    risky: list[RiskyFamily] = Field(min_length=1)
    texts: Texts
    suggestions: Suggestions

    @field_validator("stopwords", mode="before")
    @classmethod
    def _lowercase(cls, words: Any) -> Any:
        return [str(word).casefold() for word in words] if isinstance(words, list) else words


class Assessment(BaseModel):
    """What the check found in one piece of feedback."""

    vague: bool
    risky: bool
    reasons: list[str]
    suggestion: str
    # Keys of the protected grounds touched, e.g. ["age"]; empty when not risky.
    grounds: list[str] = []
    # Keys of the concrete families found, e.g. ["number", "interview_example"].
    concrete: list[str] = []


def load_rules(path: Path) -> ConcretenessRules:
    """Read and validate one rules file; a GuideError names the file and field."""
    return load_model(path, ConcretenessRules)


@functools.cache
def rules_for(language: str) -> ConcretenessRules:
    """The rules of one language, loaded and compiled on first use only."""
    if language not in ("nb", "en"):
        raise ValueError(f"no concreteness rules for language {language!r}")
    return load_rules(GUIDES_DIR / language / "concreteness.yaml")


def _normalise(text: str) -> str:
    # NFC so that a decomposed "å" from some keyboards still matches; one kind of apostrophe.
    return unicodedata.normalize("NFC", text).translate(_APOSTROPHES)


def evaluate(rules: ConcretenessRules, text: str, step: str | None = None) -> Assessment:
    """Assess ``text`` with a given rule set (``assess`` picks the set by language)."""
    text = _normalise(text)
    content = [w for w in _TOKEN.findall(text.casefold()) if w not in rules.stopwords]

    risky = [(family, hit) for family in rules.risky if (hit := family.find(text))]
    # Judge the rest as if the risky words were not there: "native English speaker" names
    # no skill, and "with three small children" is no number the candidate can act on.
    for family, _ in risky:
        for match in family.matches(text):
            text = text[: match.start()] + _blank(match) + text[match.end() :]
    vague_hits = [(family, hit) for family in rules.vague if (hit := family.find(text))]
    concrete_hits = [family for family in rules.concrete if family.find(text)]
    # Something concrete was found: one strong signal, or two weak ones that back each other.
    substantial = len(concrete_hits) >= 2 or any(not family.weak for family in concrete_hits)

    if substantial:
        vague_hits = [(f, hit) for f, hit in vague_hits if not f.only_when_nothing_concrete]
    concrete_score = sum(family.weight for family in concrete_hits)
    balance = concrete_score - sum(family.weight for family, _ in vague_hits)
    scoring = rules.scoring
    too_short = len(content) < scoring.min_content_words or (
        len(content) < scoring.short_text_words and not substantial
    )
    if too_short:
        vague = not substantial or concrete_score < scoring.short_concrete_needed
    else:
        vague = balance < scoring.concrete_needed

    reasons = [family.explain(hit) for family, hit in risky]
    # Risky wording outranks the rest: the recruiter hears why it must not be said, and the
    # suggestion (below) says what to put there instead, without a list of hedges on top.
    if vague and not risky:
        # Name what is vague; when no stock phrase did it, say what is missing instead.
        found = [family.explain(hit) for family, hit in vague_hits]
        fallback = rules.texts.too_short if too_short else rules.texts.no_concrete
        reasons += found[: scoring.max_reasons] or [fallback]

    suggestions = rules.suggestions
    step_suggestion = suggestions.steps.get(step, suggestions.default)  # type: ignore[call-overload]
    if risky:
        suggestion = rules.texts.risky_suggestion
        if vague:
            suggestion += " " + step_suggestion
    else:
        suggestion = step_suggestion if vague else rules.texts.concrete_ok

    return Assessment(
        vague=vague,
        risky=bool(risky),
        reasons=list(dict.fromkeys(reasons)),  # one family may be hit by two phrases
        suggestion=suggestion,
        grounds=list(dict.fromkeys(family.ground for family, _ in risky)),
        concrete=[family.key for family in concrete_hits],
    )


def assessor_for(language: str) -> Callable[..., Assessment]:
    """A one-argument checker for one language: ``check = assessor_for("nb"); check(text)``."""
    rules = rules_for(language)
    return functools.partial(evaluate, rules)


def assess(text: str, language: str, step: str | None = None) -> Assessment:
    """Is ``text`` vague or risky feedback? ``language``: "nb" or "en"; ``step``: a guide step."""
    return evaluate(rules_for(language), text, step)
