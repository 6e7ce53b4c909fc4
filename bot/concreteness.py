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

Risky families say in data which of their words are *attributes* (about a person wherever
they stand: "gravid", "overqualified") and which are *topics* ("pensjon", "barnehage",
"sick leave", a country): a topic counts only in a clause about the candidate (a person
word such as "hun", "ho", "he", "kandidaten") that is not about the job ("stillingen",
"worked with", "the role"). Words may be given as lemmas, matched on every inflection
bokmål, nynorsk or English has for them (simplemma ships the dictionaries); countries and
regions come from CLDR through Babel, in each rule file's locales.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot import lexicon
from conversation_guides import GUIDES_DIR, load_model
from conversation_guides.schema import StepKey

Language = Literal["nb", "en"]
# Arbeidsmiljøloven § 13-1 and likestillings- og diskrimineringsloven § 6, and their
# English equivalents.
Ground = Literal[
    "age",
    "gender",
    "gender_identity",
    "family",
    "care_responsibilities",
    "ethnicity",
    "national_origin",
    "religion",
    "disability",
    "health",
    "sexual_orientation",
    "political_views",
    "trade_union",
]

# Letters and digits (any script, so æ, ø and å are letters), keeping "didn't" and "CV-en" whole.
_TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


_WORD_END = r"(?!\w)"


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


def _check_phrases(phrases: list[str]) -> list[str]:
    for phrase in phrases:
        if not phrase.replace("*", "").strip():
            raise ValueError(f"empty phrase {phrase!r}")
    return phrases


def _check_patterns(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"pattern {pattern!r} is not a valid regex: {error}") from None
    return patterns


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Compiled regexes are kept in the instance dict (self.__dict__["_regex"] = ...), not as
    # pydantic private attributes: those are read through a __getattr__, and assess reads
    # them for every family on every answer.


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

    if TYPE_CHECKING:  # set in model_post_init, in the instance dict (see _Strict)
        _regex: re.Pattern[str]
        _unless: re.Pattern[str] | None

    @field_validator("phrases", "unless")
    @classmethod
    def _phrases_have_words(cls, phrases: list[str]) -> list[str]:
        return _check_phrases(phrases)

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        return _check_patterns(patterns)

    def model_post_init(self, context: Any, /) -> None:
        alternatives = [phrase_regex(p) for p in self.phrases] + self.patterns
        if not alternatives:
            raise ValueError(f"family {self.key!r} has neither phrases nor patterns")
        flags = 0 if self.case_sensitive else re.IGNORECASE
        self.__dict__["_regex"] = re.compile("|".join(f"(?:{a})" for a in alternatives), flags)
        self.__dict__["_unless"] = None
        if self.unless:
            unless = "|".join(f"(?:{phrase_regex(p)})" for p in self.unless)
            self.__dict__["_unless"] = re.compile(unless, re.IGNORECASE)

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


def _lemma_regex(phrases: list[str]) -> re.Pattern[str] | None:
    if not phrases:
        return None
    return re.compile("|".join(f"(?:{phrase_regex(p.casefold())})" for p in phrases))


class RiskyFamily(ExplainedFamily):
    ground: Ground
    # Attributes matched on lemmas: "sykmelde" finds "sykmeldt", "sjukmeld", "sykmeldte".
    lemmas: list[str] = []
    # Topics: count only in a clause about the candidate and not about the job.
    topics: list[str] = []
    topic_lemmas: list[str] = []
    topic_patterns: list[str] = []
    # national_origin: CLDR country and region names after a "from" word (origin.before_place)
    # and nationality words (origin.nationalities) after "is" or before a person word.
    places: bool = False

    if TYPE_CHECKING:  # set in model_post_init, in the instance dict (see _Strict)
        _lemmas: re.Pattern[str] | None
        _topic_lemmas: re.Pattern[str] | None
        _topics: re.Pattern[str] | None
        _possessive: tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None

    @field_validator("lemmas", "topics", "topic_lemmas")
    @classmethod
    def _words_have_letters(cls, phrases: list[str]) -> list[str]:
        return _check_phrases(phrases)

    @field_validator("topic_patterns")
    @classmethod
    def _topic_patterns_compile(cls, patterns: list[str]) -> list[str]:
        return _check_patterns(patterns)

    def model_post_init(self, context: Any, /) -> None:
        self.__dict__.update(_unless=None, _topics=None, _possessive=None)
        if self.phrases or self.patterns:
            super().model_post_init(context)
        else:
            # Never matches: this family has only lemmas, topics or places.
            self.__dict__["_regex"] = re.compile(r"(?!x)x")
            if self.unless:  # still blanked before its topics are looked for
                unless = "|".join(f"(?:{phrase_regex(p)})" for p in self.unless)
                self.__dict__["_unless"] = re.compile(unless, re.IGNORECASE)
        words = (self.phrases, self.patterns, self.lemmas, self.topics, self.topic_lemmas)
        if not (any(words) or self.topic_patterns or self.places):
            raise ValueError(f"family {self.key!r} has no words")
        self.__dict__["_lemmas"] = _lemma_regex(self.lemmas)
        self.__dict__["_topic_lemmas"] = _lemma_regex(self.topic_lemmas)
        topics = [phrase_regex(p) for p in self.topics] + self.topic_patterns
        if topics:
            self.__dict__["_topics"] = re.compile(
                "|".join(f"(?:{t})" for t in topics), re.IGNORECASE
            )

    def _unblanked(self, text: str) -> str:
        return self._unless.sub(_blank, text) if self._unless is not None else text

    def attribute_spans(self, text: str, lemmas: lexicon.LemmaText) -> list[tuple[int, int]]:
        spans = [m.span() for m in self.matches(text)]
        if self._lemmas is not None:
            spans += lemmas.spans(self._lemmas)
        return spans

    def compile_possessive(self, possessives: list[str]) -> None:
        """ "your sick leave", "sykefraværet hennes": a topic owned by a person is about them."""
        topics = [phrase_regex(p) for p in self.topics]
        if not topics or not possessives:
            return
        topic = "|".join(f"(?:{t})" for t in topics)
        open_ended = topic.replace(_WORD_END, "")  # "sykefraværet" is "sykefravær*"
        # Found from the owner word outwards (there are few of those), not by trying every
        # topic at every position.
        self.__dict__["_possessive"] = (
            re.compile("|".join(phrase_regex(p) for p in possessives), re.IGNORECASE),
            re.compile(rf"\s+(?:\w+\s+)?(?:{topic})", re.IGNORECASE),
            re.compile(rf"(?:{open_ended})\w*\s+$", re.IGNORECASE),
        )

    def possessive_spans(self, text: str) -> list[tuple[int, int]]:
        if self._possessive is None:
            return []
        owner, owned_after, owned_before = self._possessive
        text = self._unblanked(text)
        spans = []
        for match in owner.finditer(text):
            if after := owned_after.match(text, match.end()):
                spans.append((match.start(), after.end()))
            start = max(0, match.start() - 40)
            if before := owned_before.search(text, start, match.start()):
                spans.append((before.start(), match.end()))
        return spans

    def topic_spans(
        self, text: str, lemmas: lexicon.LemmaText, origin: lexicon.Origin | None
    ) -> list[tuple[int, int]]:
        """Where this family's topic words stand in one clause about the candidate."""
        spans: list[tuple[int, int]] = []
        if self._topics is not None:
            spans += [m.span() for m in self._topics.finditer(self._unblanked(text))]
        if self._topic_lemmas is not None:
            spans += lemmas.spans(self._topic_lemmas)
        if self.places and origin is not None:
            spans += origin.spans(text)
        return spans


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


class Person(_Strict):
    """How the check tells a clause about the candidate from a clause about the job."""

    # Lower-case words (or lemmas) that point at the candidate: du, hun, ho, she, kandidaten.
    words: frozenset[str] = Field(min_length=1)
    # Owner words: a topic right after or before one is the person's own ("din sykmelding",
    # "sykefraværet hennes", "your sick leave"), whatever else the clause is about.
    possessives: list[str] = []
    # Phrases that make a clause about the job, not the person: stillingen, worked with.
    job_words: list[str] = Field(min_length=1)

    if TYPE_CHECKING:  # set in model_post_init, in the instance dict (see _Strict)
        _job: re.Pattern[str]

    @field_validator("words", mode="before")
    @classmethod
    def _lowercase(cls, words: Any) -> Any:
        return [str(word).casefold() for word in words] if isinstance(words, list) else words

    def model_post_init(self, context: Any, /) -> None:
        self.__dict__["_job"] = re.compile(
            "|".join(phrase_regex(p) for p in self.job_words), re.IGNORECASE
        )

    def about_the_candidate(self, clause: str, lemmas: lexicon.LemmaText) -> bool:
        return bool(self.words & lemmas.forms) and not self._job.search(clause)


class ConcretenessRules(_Strict):
    """The whole of one ``concreteness.yaml``."""

    language: Language
    scoring: Scoring
    stopwords: frozenset[str]
    # simplemma languages whose lemmas are looked up, in order: ["nb", "nn"] or ["en"].
    lemma_languages: tuple[str, ...] = Field(min_length=1)
    person: Person
    origin: lexicon.OriginData
    vague: list[ExplainedFamily] = Field(min_length=1)
    concrete: list[ConcreteFamily] = Field(min_length=1)
    risky: list[RiskyFamily] = Field(min_length=1)
    texts: Texts
    suggestions: Suggestions

    if TYPE_CHECKING:  # set in model_post_init, in the instance dict (see _Strict)
        _origin: lexicon.Origin

    def model_post_init(self, context: Any, /) -> None:
        self.__dict__["_origin"] = lexicon.Origin(self.origin)
        for family in self.risky:
            family.compile_possessive(self.person.possessives)

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


def evaluate(
    rules: ConcretenessRules,
    text: str,
    step: str | None = None,
    voice: ConcretenessRules | None = None,
) -> Assessment:
    """Assess ``text`` with a given rule set (``assess`` picks the set by language).

    ``voice``: the rules whose words the recruiter reads, when the text is written in
    another language than theirs; families with the same key explain what was found.
    """
    voice = voice or rules
    text = _normalise(text)
    content = [w for w in _TOKEN.findall(text.casefold()) if w not in rules.stopwords]

    risky, spans = _risky_hits(rules, text)
    # Judge the rest as if the risky words were not there: "native English speaker" names
    # no skill, and "with three small children" is no number the candidate can act on.
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
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

    reasons = [_in_voice(voice.risky, family).explain(hit) for family, hit in risky]
    # Risky wording outranks the rest: the recruiter hears why it must not be said, and the
    # suggestion (below) says what to put there instead, without a list of hedges on top.
    if vague and not risky:
        # Name what is vague; when no stock phrase did it, say what is missing instead.
        found = [_in_voice(voice.vague, family).explain(hit) for family, hit in vague_hits]
        fallback = voice.texts.too_short if too_short else voice.texts.no_concrete
        reasons += found[: scoring.max_reasons] or [fallback]

    suggestions = voice.suggestions
    step_suggestion = suggestions.steps.get(step, suggestions.default)  # type: ignore[call-overload]
    if risky:
        suggestion = voice.texts.risky_suggestion
        if vague:
            suggestion += " " + step_suggestion
    else:
        suggestion = step_suggestion if vague else voice.texts.concrete_ok

    return Assessment(
        vague=vague,
        risky=bool(risky),
        reasons=list(dict.fromkeys(reasons)),  # one family may be hit by two phrases
        suggestion=suggestion,
        grounds=list(dict.fromkeys(family.ground for family, _ in risky)),
        concrete=[family.key for family in concrete_hits],
    )


def _in_voice(families: list[Any], family: Family) -> Family:
    """The recruiter's-language family with the same key (the files keep keys in parity)."""
    return next((f for f in families if f.key == family.key), family)


# A text counts as written in the other language only when it clearly is: "Skills ok, men
# communication var litt off" is a Norwegian sentence with English words in it. Two signs:
# the dictionaries (simplemma knows many English words in its bokmål list too, so the
# margin matters), or the small words each rule file lists as stopwords ("she", "is" /
# "hun", "ikke"), which a short sentence carries even when its content words are shared.
_OTHER_LANGUAGE_SCORE = 0.85
_OTHER_LANGUAGE_MARGIN = 0.2
_OTHER_LANGUAGE_STOPWORDS = 2


def written_in(text: str, language: str) -> str:
    """The rules language ``text`` is written in: the recruiter's, unless clearly the other."""
    text = _normalise(text)
    other_language = "en" if language == "nb" else "nb"
    scores = dict(lexicon.language_scores(text))
    norwegian = max(scores.get("nb", 0.0), scores.get("nn", 0.0))
    english = scores.get("en", 0.0)
    mine, other = (norwegian, english) if language == "nb" else (english, norwegian)
    if other >= _OTHER_LANGUAGE_SCORE and other - mine >= _OTHER_LANGUAGE_MARGIN:
        return other_language
    words = _TOKEN.findall(text.casefold())
    own_small = sum(w in rules_for(language).stopwords for w in words)
    other_small = sum(w in rules_for(other_language).stopwords for w in words)
    if other_small >= _OTHER_LANGUAGE_STOPWORDS and other_small >= 3 * own_small:
        return other_language
    return language


def _risky_hits(
    rules: ConcretenessRules, text: str
) -> tuple[list[tuple[RiskyFamily, str]], list[tuple[int, int]]]:
    """The risky families found (with the words that showed each), and where they stand."""
    languages = rules.lemma_languages
    whole = lexicon.LemmaText(text, languages)
    about: list[tuple[int, str, lexicon.LemmaText]] = []
    parts = list(lexicon.clauses(text))
    for start, clause in parts:
        lemmas = whole.part(start, start + len(clause))
        if rules.person.about_the_candidate(clause, lemmas):
            about.append((start, clause, lemmas))
    hits: list[tuple[RiskyFamily, str]] = []
    spans: list[tuple[int, int]] = []
    for family in rules.risky:
        found = family.attribute_spans(text, whole) + family.possessive_spans(text)
        for start, clause, lemmas in about:
            found += [
                (start + a, start + b) for a, b in family.topic_spans(clause, lemmas, rules._origin)
            ]
        if found:
            first = min(found)
            hits.append((family, text[first[0] : first[1]].strip()))
            spans += found
    # The whole clause goes: "som 58-åring" takes "vil orke omstillingen" with it, and what
    # is left is judged on its own, as if the recruiter had said only that.
    clause_spans = [
        (start, start + len(clause))
        for start, clause in parts
        if any(start <= a < start + len(clause) for a, _ in spans)
    ]
    return hits, spans + clause_spans


def warm_up() -> None:
    """Load the rules, the lemma dictionaries and the CLDR names now, not on the first answer."""
    for language in ("nb", "en"):
        evaluate(rules_for(language), "Kandidaten er fra Polen og har vært sykmeldt.")


def assessor_for(language: str) -> Callable[..., Assessment]:
    """A one-argument checker for one language: ``check = assessor_for("nb"); check(text)``."""
    rules = rules_for(language)
    return functools.partial(evaluate, rules)


def assess(text: str, language: str, step: str | None = None) -> Assessment:
    """Is ``text`` vague or risky feedback? ``language``: "nb" or "en"; ``step``: a guide step.

    The words are matched with the rules of the language the text is written in ("men" in
    a Norwegian sentence is not English "men"); the answer is in the recruiter's language.
    """
    voice = rules_for(language)
    return evaluate(rules_for(written_in(text, language)), text, step, voice)
