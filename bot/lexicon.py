"""Words behind the svada check that come from data shipped with libraries, not typed by hand.

- Lemmas from simplemma (its own dictionaries for bokmål, nynorsk and English): a rule
  written as "sykmelde" finds "sykmeldt", "sjukmeld" and "sykmeldte".
- Country and region names from the CLDR data in Babel, in each rule file's locales.
- Clauses: the check asks of each clause whether it is about the candidate or the job.

Everything is loaded once per process and cached: ``assess`` runs on every answer.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import simplemma
from babel import Locale
from pydantic import BaseModel, ConfigDict, Field

# Same token shape as the check: letters and digits, keeping "she's" and "CV-en" whole.
_TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
# A clause ends at punctuation or at a joining word: "Du har jobbet med pensjon, og hun
# er 61" is one clause about the job and one about the person.
_CLAUSE_END = re.compile(
    r"[.;:!?,()\n\u2013\u2014]+|\s-\s|\s(?:men|but|so|så|fordi|because|while|mens|siden|since)\s",
    re.IGNORECASE,
)
# CLDR codes that are not a place anyone comes from: the world, unions, "unknown region".
_NOT_ORIGINS = {"001", "EU", "EZ", "UN", "QO", "ZZ"}


def clauses(text: str) -> Iterator[tuple[int, str]]:
    """Each clause of ``text`` with the position where it starts."""
    start = 0
    for match in _CLAUSE_END.finditer(text):
        if match.start() > start:
            yield start, text[start : match.start()]
        start = match.end()
    if start < len(text):
        yield start, text[start:]


@functools.lru_cache(maxsize=50_000)
def lemma(word: str, languages: tuple[str, ...]) -> str:
    """The dictionary form of one lower-case word, in the first language that knows it."""
    for language in languages:
        if simplemma.is_known(word, lang=language):
            return simplemma.lemmatize(word, lang=language).casefold()
    return simplemma.lemmatize(word, lang=languages).casefold()


class LemmaText:
    """A text as its lemmas, with the way back to where each word stands."""

    def __init__(self, text: str, languages: tuple[str, ...]) -> None:
        words = []
        for match in _TOKEN.finditer(text):
            word = match.group().casefold()
            words.append((word, lemma(word, languages), match.span()))
        self._build(words)

    def _build(self, words: list[tuple[str, str, tuple[int, int]]]) -> None:
        self._words = words
        parts: list[str] = []
        self._starts: list[int] = []  # where each lemma starts in the lemma string
        self._spans: list[tuple[int, int]] = []  # where its word stands in the text
        forms: set[str] = set()
        position = 0
        for word, base, span in words:
            forms.update((word, base))
            parts.append(base)
            self._starts.append(position)
            self._spans.append(span)
            position += len(base) + 1
        self.string = " ".join(parts)
        self.forms = frozenset(forms)

    def part(self, start: int, end: int) -> LemmaText:
        """The words between two positions of the text, as if that part were the whole text."""
        sub = LemmaText.__new__(LemmaText)
        sub._build(
            [
                (word, base, (a - start, b - start))
                for word, base, (a, b) in self._words
                if start <= a and b <= end
            ]
        )
        return sub

    def _word_at(self, position: int) -> int:
        # The last lemma that starts at or before this position.
        low, high = 0, len(self._starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self._starts[middle] <= position:
                low = middle
            else:
                high = middle - 1
        return low

    def spans(self, regex: re.Pattern[str]) -> list[tuple[int, int]]:
        """Where, in the text, the words whose lemmas ``regex`` finds stand."""
        found = []
        for match in regex.finditer(self.string):
            first = self._word_at(match.start())
            last = self._word_at(max(match.end() - 1, match.start()))
            found.append((self._spans[first][0], self._spans[last][1]))
        return found


class OriginData(BaseModel):
    """What a rule file says about national origin; the place names themselves are CLDR's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Babel locales whose country and region names count: ["nb", "nn"] or ["en"].
    locales: list[str] = Field(min_length=1)
    # Regions CLDR has no name for ("Midtøsten", "the Middle East", "Balkan").
    extra_places: list[str] = []
    # Words before a place that make it where the person is from: "fra", "frå", "from".
    before_place: list[str] = Field(min_length=1)
    # Nationality words ("polsk", "Nigerian"): they count after "er"/"is" about the person
    # ("han er svensk"), or before a person word ("polsk kandidat"), never in "snakker polsk".
    nationalities: list[str] = []
    # Words that may stand between "er" and the nationality: "han er nok svensk".
    hedges: list[str] = []
    after_nationality: list[str] = []
    copulas: list[str] = Field(min_length=1)


@functools.cache
def place_names(locale: str) -> tuple[str, ...]:
    """Country and region names in one locale, from CLDR (Babel), longest first."""
    territories = Locale.parse(locale).territories
    names = {name for code, name in territories.items() if code not in _NOT_ORIGINS}
    return tuple(sorted(names, key=len, reverse=True))


def _alternatives(words: list[str] | tuple[str, ...]) -> str:
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


class Origin:
    """Finds national origin in a clause about the candidate."""

    def __init__(self, data: OriginData) -> None:
        places = [name for locale in data.locales for name in place_names(locale)]
        places += data.extra_places
        before = _alternatives(data.before_place)
        # The place keeps its capital letter ("fra Polen"), the words around do not.
        self._place = re.compile(
            rf"(?i:(?<!\w)(?:{before})\s+(?:the\s+)?)(?:{_alternatives(places)})(?!\w)"
        )
        self._nationality: re.Pattern[str] | None = None
        if data.nationalities:
            nationality = _alternatives(data.nationalities)
            # "er", "is" stand alone; "'s" and "'re" hang on the word before ("he's").
            words = [c for c in data.copulas if not c.startswith("'")]
            clitics = [c for c in data.copulas if c.startswith("'")]
            copula = rf"(?<!\w)(?:{_alternatives(words)})"
            if clitics:
                copula += f"|{_alternatives(clitics)}"
            after = _alternatives(data.after_nationality) or r"(?!x)x"
            hedges = _alternatives(data.hedges) or r"(?!x)x"
            self._nationality = re.compile(
                rf"(?:(?:{copula})\s+(?:(?:{hedges})\s+)?(?:{nationality})(?!\w))"
                rf"|(?:(?<!\w)(?:{nationality})e?\s+(?:{after})\w*)",
                re.IGNORECASE,
            )

    def spans(self, clause: str) -> list[tuple[int, int]]:
        found = [m.span() for m in self._place.finditer(clause)]
        if self._nationality is not None:
            found += [m.span() for m in self._nationality.finditer(clause)]
        return found


@functools.lru_cache(maxsize=50_000)
def _known(word: str, language: str) -> bool:
    return simplemma.is_known(word, lang=language)


def language_scores(text: str) -> list[tuple[str, float]]:
    """The share of words simplemma's dictionary knows in bokmål, nynorsk and English.

    The same measure as ``simplemma.langdetect``, on a cache of known words: this runs on
    every answer, and the library's own detector takes a millisecond.
    """
    words = [w.casefold() for w in _TOKEN.findall(text) if len(w) > 1 and not w.isdigit()]
    if not words:
        return []
    return [
        (language, sum(_known(w, language) for w in words) / len(words))
        for language in ("nb", "nn", "en")
    ]
