"""The one command grammar (DESIGN.md), parsed into typed requests."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

MAX_INPUT = 4000
MAX_NAME = 200
MAX_NOTE = 2000
# Commands that change nothing: a repeated delivery is simply answered again, so they need
# no delivery key (and no row in processed_events), and a channel may answer them at once.
READ_ONLY = frozenset({"help", "list", "report", "pool"})

Outcome = Literal["called", "no-answer", "declined", "skipped"]
FINAL_OUTCOMES: frozenset[str] = frozenset({"called", "declined", "skipped"})

# Norwegian users type their own words; both spellings map to the contract's outcome.
OUTCOME_WORDS: dict[str, Outcome] = {
    "called": "called",
    "ringt": "called",
    "no-answer": "no-answer",
    "noanswer": "no-answer",
    "ikke-svar": "no-answer",
    "ikkesvar": "no-answer",
    "declined": "declined",
    "takket-nei": "declined",
    "takketnei": "declined",
    # The first Norwegian word, kept so that nothing typed before stops working.
    "avslo": "declined",
    "avslått": "declined",
    "skipped": "skipped",
    "hoppet-over": "skipped",
    "hoppetover": "skipped",
    "droppet": "skipped",
}
# People type the Norwegian outcomes as two words as often as with the hyphen.
TWO_WORD_OUTCOMES: dict[tuple[str, str], Outcome] = {
    ("ikke", "svar"): "no-answer",
    ("no", "answer"): "no-answer",
    ("takket", "nei"): "declined",
    ("hoppet", "over"): "skipped",
}

WEEKDAYS: dict[str, int] = {
    "mon": 0, "monday": 0, "man": 0, "mandag": 0,
    "tue": 1, "tuesday": 1, "tir": 1, "tirsdag": 1,
    "wed": 2, "wednesday": 2, "ons": 2, "onsdag": 2,
    "thu": 3, "thursday": 3, "tor": 3, "torsdag": 3,
    "fri": 4, "friday": 4, "fre": 4, "fredag": 4,
    "sat": 5, "saturday": 5, "lør": 5, "lørdag": 5, "lor": 5,
    "sun": 6, "sunday": 6, "søn": 6, "søndag": 6, "son": 6,
}  # fmt: skip

MONTHS: dict[str, int] = {
    "jan": 1, "january": 1, "januar": 1,
    "feb": 2, "february": 2, "februar": 2,
    "mar": 3, "march": 3, "mars": 3,
    "apr": 4, "april": 4,
    "may": 5, "mai": 5,
    "jun": 6, "june": 6, "juni": 6,
    "jul": 7, "july": 7, "juli": 7,
    "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "okt": 10, "oktober": 10,
    "nov": 11, "november": 11,
    "dec": 12, "december": 12, "des": 12, "desember": 12,
}  # fmt: skip

_CANDIDATE = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
_PREFIX = re.compile(r"^\s*/?feedback[-_ ]call\b", re.IGNORECASE)
_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
# The date a candidate was told: ISO, Norwegian 20.11.2026 or 20.11., or "20. november [2026]".
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NB_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})?$")
_WORD_DATE = re.compile(r"^(\d{1,2})\.? ([^\W\d]+)\.?(?: (\d{4}))?$")
CONFIRM_WORDS = frozenset({"confirm", "bekreft"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Lone surrogates arrive through JSON escapes ("\\ud800") and no database can store them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class Help(BaseModel):
    kind: Literal["help"] = "help"


class DayOfYear(BaseModel):
    """A date as typed; the year may be left out ("20.11."), so the engine fills it in."""

    day: Annotated[int, Field(ge=1, le=31)]
    month: Annotated[int, Field(ge=1, le=12)]
    year: int | None = None

    def resolve(self, today: date) -> date | None:
        """The date meant; without a year, the latest such date not after today. None if the
        day does not exist (31.11.)."""
        years = [self.year] if self.year is not None else [today.year, today.year - 1]
        for year in years:
            try:
                day = date(year, self.month, self.day)
            except ValueError:
                continue
            if self.year is not None or day <= today:
                return day
        return None


class Add(BaseModel):
    kind: Literal["add"] = "add"
    name: _CANDIDATE
    position: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    internal: bool = False
    # When the candidate was told no; None = today.
    rejected_on: DayOfYear | None = None
    # A second pending candidate of the same name and position was asked about and confirmed.
    confirmed: bool = False


class ListCandidates(BaseModel):
    kind: Literal["list"] = "list"


class Start(BaseModel):
    kind: Literal["start"] = "start"
    candidate: _CANDIDATE


class Log(BaseModel):
    kind: Literal["log"] = "log"
    candidate: _CANDIDATE
    outcome: Outcome
    note: Annotated[str, Field(max_length=MAX_NOTE)] | None = None
    # Replacing a final outcome was asked about and confirmed.
    confirmed: bool = False


class Report(BaseModel):
    kind: Literal["report"] = "report"
    position: Annotated[str, Field(max_length=MAX_NAME)] | None = None


class Remind(BaseModel):
    kind: Literal["remind"] = "remind"
    off: bool = False
    weekday: Annotated[int, Field(ge=0, le=6)] | None = None
    at: time | None = None


class Snooze(BaseModel):
    kind: Literal["snooze"] = "snooze"
    until: Literal["tomorrow", "week"]


class Consent(BaseModel):
    kind: Literal["consent"] = "consent"
    candidate: _CANDIDATE
    withdraw: bool = False


class PositionDecisions(BaseModel):
    """`position <title> [| <requirements that decided> [| <what the person hired had>]]`."""

    kind: Literal["position"] = "position"
    title: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
    # None: leave what is stored (only the title given shows it).
    requirements: Annotated[str, Field(max_length=MAX_NOTE)] | None = None
    strengths: Annotated[str, Field(max_length=MAX_NOTE)] | None = None


class Pool(BaseModel):
    kind: Literal["pool"] = "pool"


class Export(BaseModel):
    kind: Literal["export"] = "export"
    candidate: _CANDIDATE


class Erase(BaseModel):
    kind: Literal["erase"] = "erase"
    candidate: _CANDIDATE


class Practice(BaseModel):
    """Rehearse the call; optionally `| <scenario word> <seed>` to choose or repeat one."""

    kind: Literal["practice"] = "practice"
    candidate: _CANDIDATE
    scenario: Annotated[str, Field(max_length=40)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**31)] | None = None


Vendor = Literal["greenhouse", "teamtailor", "ashby"]


class Integration(BaseModel):
    """Admins: an ATS webhook for the workspace (`vendor` None: the status of every one)."""

    kind: Literal["integration"] = "integration"
    vendor: Vendor | None = None
    rotate: bool = False
    # Set the stage names that count as interviewed ([] = back to the vendor's default).
    stages: list[Annotated[str, Field(min_length=1, max_length=MAX_NAME)]] | None = None
    # Keys the vendor makes itself (Teamtailor): its signature key, and an API key to read
    # the candidate's name and the job's recruiter, which its webhook does not carry.
    signature_key: Annotated[str, Field(min_length=16, max_length=128)] | None = None
    api_key: Annotated[str, Field(min_length=8, max_length=128)] | None = None


class Unassigned(BaseModel):
    kind: Literal["unassigned"] = "unassigned"


class Assign(BaseModel):
    kind: Literal["assign"] = "assign"
    candidate: _CANDIDATE
    recruiter: Annotated[str, Field(min_length=1, max_length=254)]


Command = Annotated[
    Help
    | Add
    | ListCandidates
    | Start
    | Log
    | Report
    | Remind
    | Snooze
    | Consent
    | Pool
    | PositionDecisions
    | Export
    | Erase
    | Practice
    | Integration
    | Unassigned
    | Assign,
    Field(discriminator="kind"),
]
# mypy reads an Annotated union used as a value as a UnionType, not a type form (and, depending
# on the order it reads the modules in, sometimes not): pydantic accepts it, as its docs show.
_COMMAND: TypeAdapter[Command] = TypeAdapter(Command)  # type: ignore[arg-type, unused-ignore]


class ParseError(BaseModel):
    """Why the words were not understood: `problem` and `usage` are message keys."""

    problem: str
    usage: str | None = None
    value: str = ""
    # For an unknown command: the nearest known word, if one is near enough.
    suggestion: str | None = None


def parse(text: str) -> Command | ParseError:
    """Parse what the recruiter typed, with or without the leading `feedback-call`."""
    if len(text) > MAX_INPUT:
        return ParseError(problem="too_long")
    text = _CONTROL.sub(" ", _PREFIX.sub("", text, count=1)).strip()
    if not text:
        return Help()
    verb, rest = split_verb(text)
    confirmed = verb in CONFIRM_WORDS
    if confirmed:
        # `confirm <command>`: the words of a yes-button, after the coach asked before acting.
        verb, rest = split_verb(rest)
    builder = _BUILDERS.get(verb)
    if builder is None:
        return ParseError(problem="unknown_command", value=verb[:40], suggestion=nearest(verb))
    try:
        command = builder(rest)
        if confirmed and isinstance(command, Add | Log):
            command = command.model_copy(update={"confirmed": True})
        return command
    except _Malformed as malformed:
        return ParseError(problem=malformed.problem, usage=verb_usage(verb))
    except ValidationError as error:
        return invalid(error, verb)


def invalid(error: ValidationError, verb: str) -> ParseError:
    """Why a command's values did not pass, as for words typed: the same message keys."""
    too_long = any(e["type"] == "string_too_long" for e in error.errors())
    return ParseError(problem="too_long" if too_long else "malformed", usage=verb_usage(verb))


def from_form(verb: str, **fields: Any) -> Command | ParseError:
    """A command from a form's fields (a modal, a card), checked as typed words are checked:
    a value that does not pass is a ParseError the engine answers politely, never a crash."""
    try:
        return _COMMAND.validate_python({"kind": verb, **fields})
    except ValidationError as error:
        return invalid(error, verb)


def split_verb(text: str) -> tuple[str, str]:
    """The command word (case-folded; "legg til" is one word) and the rest, spaces squeezed."""
    words = text.split()
    if not words:
        return "", ""
    verb = words[0].casefold()
    if len(words) > 1 and (verb, words[1].casefold()) in _TWO_WORD_VERBS:
        return _TWO_WORD_VERBS[verb, words[1].casefold()], " ".join(words[2:])
    return verb, " ".join(words[1:])


def is_command(text: str) -> bool:
    """Whether a line reads as a command of the grammar (the chat checklist asks about those)."""
    verb, _ = split_verb(_PREFIX.sub("", text, count=1))
    return verb in _BUILDERS and not isinstance(parse(text), ParseError)


def nearest(word: str) -> str | None:
    """The known command word closest to a mistyped one ("lsit" -> "list"), if close enough."""
    if not word or len(word) > 40:
        return None
    # Damerau-Levenshtein counts a swap of two letters as one slip, as people make them.
    found = process.extractOne(
        word, _BUILDERS.keys(), scorer=DamerauLevenshtein.distance, score_cutoff=2
    )
    if found is None:
        return None
    match, distance, _ = found
    # One slip in a short word, two in a longer one; never a guess for a two-letter word.
    return match if distance <= max(1, min(2, len(word) // 4)) and len(word) > 2 else None


def parse_date(text: str) -> DayOfYear | None:
    """`2026-11-20`, `20.11.2026`, `20.11.`, `20. november 2026`, `20 nov`; None if not a date."""
    text = " ".join(text.casefold().split())
    year: int | None
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _NB_DATE.match(text):
        day, month = int(match.group(1)), int(match.group(2))
        year_text = match.group(3)
        year = None if year_text is None else int(year_text) + (2000 if len(year_text) == 2 else 0)
    elif (match := _WORD_DATE.match(text)) and match.group(2) in MONTHS:
        day, month = int(match.group(1)), MONTHS[match.group(2)]
        year = int(match.group(3)) if match.group(3) else None
    else:
        return None
    try:
        return DayOfYear(day=day, month=month, year=year)
    except ValidationError:
        return None


def clean(text: str) -> str:
    """Free text (a checklist answer) made storable: control characters and lone surrogates
    become spaces and U+FFFD, line breaks and tabs stay."""
    return _SURROGATE.sub("\ufffd", _CONTROL.sub(" ", text)).strip()


def verb_usage(verb: str) -> str:
    """The message key holding the right form of a command."""
    return f"usage_{_ALIASES.get(verb, verb)}"


class _Malformed(Exception):
    def __init__(self, problem: str = "malformed") -> None:
        super().__init__(problem)
        self.problem = problem


# Makes one command from the words after its verb.
Builder = Callable[[str], Command]


def _build(data: dict[str, object]) -> Command:
    return _COMMAND.validate_python(data)


def _no_args(kind: str) -> Builder:
    def build(rest: str) -> Command:
        if rest:
            raise _Malformed()
        return _build({"kind": kind})

    return build


def _help(rest: str) -> Command:
    return Help()


def _add(rest: str) -> Command:
    parts = [part.strip() for part in rest.split("|")]
    if len(parts) not in (2, 3, 4) or not parts[0] or not parts[1]:
        raise _Malformed()
    internal = False
    rejected_on: DayOfYear | None = None
    for extra in parts[2:]:
        if extra.casefold() in ("internal", "intern") and not internal:
            internal = True
        elif rejected_on is None and (rejected_on := parse_date(extra)) is not None:
            continue
        else:
            raise _Malformed("bad_date" if any(ch.isdigit() for ch in extra) else "malformed")
    return _build(
        {
            "kind": "add",
            "name": parts[0],
            "position": parts[1],
            "internal": internal,
            "rejected_on": rejected_on,
        }
    )


def _one_candidate(kind: str) -> Builder:
    def build(rest: str) -> Command:
        if not rest:
            raise _Malformed("missing_candidate")
        return _build({"kind": kind, "candidate": rest})

    return build


def _log(rest: str) -> Command:
    words = rest.split(" ") if rest else []
    # The outcome word ends the candidate's name, which may have several words.
    for index, word in enumerate(words[1:], start=1):
        outcome = OUTCOME_WORDS.get(word.casefold())
        size = 1
        if outcome is None and index + 1 < len(words):
            outcome = TWO_WORD_OUTCOMES.get((word.casefold(), words[index + 1].casefold()))
            size = 2
        if outcome is not None:
            note = " ".join(words[index + size :]) or None
            candidate = " ".join(words[:index])
            return _build({"kind": "log", "candidate": candidate, "outcome": outcome, "note": note})
    if not words:
        raise _Malformed("missing_candidate")
    raise _Malformed("missing_outcome")


def _report(rest: str) -> Command:
    return _build({"kind": "report", "position": rest or None})


def _remind(rest: str) -> Command:
    words = rest.casefold().split()
    if words in (["off"], ["av"]):
        return Remind(off=True)
    if len(words) != 2 or words[0] not in WEEKDAYS:
        raise _Malformed()
    match = _TIME.match(words[1])
    if match is None:
        raise _Malformed("bad_time")
    at = time(int(match.group(1)), int(match.group(2)))
    return Remind(weekday=WEEKDAYS[words[0]], at=at)


SNOOZE_WORDS: dict[str, Literal["tomorrow", "week"]] = {
    "tomorrow": "tomorrow",
    "imorgen": "tomorrow",
    "i morgen": "tomorrow",
    "week": "week",
    "uke": "week",
    "en uke": "week",
}


def _snooze(rest: str) -> Command:
    until = SNOOZE_WORDS.get(rest.casefold())
    if until is None:
        raise _Malformed()
    return Snooze(until=until)


def _consent(rest: str) -> Command:
    words = rest.split(" ") if rest else []
    withdraw = len(words) > 1 and words[-1].casefold() in ("withdraw", "trekk")
    candidate = " ".join(words[:-1] if withdraw else words)
    if not candidate:
        raise _Malformed("missing_candidate")
    return Consent(candidate=candidate, withdraw=withdraw)


def _practice(rest: str) -> Command:
    candidate, bar, options = (part.strip() for part in rest.partition("|"))
    if not candidate:
        raise _Malformed("missing_candidate")
    scenario: str | None = None
    seed: int | None = None
    for word in options.split():
        if word.isdecimal() and seed is None:
            seed = int(word[:10])
        elif not word.isdecimal() and scenario is None:
            scenario = word
        else:
            raise _Malformed()
    if bar and scenario is None and seed is None:
        raise _Malformed()
    return _build({"kind": "practice", "candidate": candidate, "scenario": scenario, "seed": seed})


VENDOR_WORDS: dict[str, Vendor] = {
    "greenhouse": "greenhouse",
    "teamtailor": "teamtailor",
    "ashby": "ashby",
}


def _integration(rest: str) -> Command:
    if not rest:
        return Integration()
    vendor_word, _, tail = rest.partition(" ")
    vendor = VENDOR_WORDS.get(vendor_word.casefold())
    if vendor is None:
        raise _Malformed()
    action, _, stages = tail.partition(" ")
    action = action.casefold()
    if not action:
        return Integration(vendor=vendor)
    if action in ("rotate", "roter", "ny") and not stages:
        return Integration(vendor=vendor, rotate=True)
    if action in ("stages", "steg", "trinn"):
        names = [name.strip() for name in stages.split(",") if name.strip()]
        if stages.strip().casefold() in ("default", "standard"):
            names = []
        elif not names:
            raise _Malformed()
        return _build({"kind": "integration", "vendor": vendor, "stages": names})
    if action in ("key", "nøkkel", "nokkel") and stages and " " not in stages:
        return _build({"kind": "integration", "vendor": vendor, "signature_key": stages})
    if action == "api" and stages and " " not in stages:
        return _build({"kind": "integration", "vendor": vendor, "api_key": stages})
    raise _Malformed()


def _assign(rest: str) -> Command:
    # The recruiter is one word (a user id or an e-mail); the candidate may have several.
    candidate, _, recruiter = rest.rpartition(" ")
    if not candidate or not recruiter:
        raise _Malformed("missing_candidate" if not rest else "malformed")
    return _build({"kind": "assign", "candidate": candidate, "recruiter": recruiter})


def _position(rest: str) -> Command:
    parts = [part.strip() for part in rest.split("|")]
    if not parts[0] or len(parts) > 3:
        raise _Malformed()
    texts = [part or None for part in parts[1:]] + [None, None]
    return _build(
        {"kind": "position", "title": parts[0], "requirements": texts[0], "strengths": texts[1]}
    )


_BUILDERS: dict[str, Builder] = {
    "help": _help,
    "add": _add,
    "list": _no_args("list"),
    "start": _one_candidate("start"),
    "log": _log,
    "report": _report,
    "remind": _remind,
    "snooze": _snooze,
    "consent": _consent,
    "pool": _no_args("pool"),
    "export": _one_candidate("export"),
    "erase": _one_candidate("erase"),
    "practice": _practice,
    "integration": _integration,
    "unassigned": _no_args("unassigned"),
    "assign": _assign,
    "position": _position,
}
# The Norwegian words (DESIGN.md), each the same command as its English one.
NORWEGIAN_VERBS: dict[str, str] = {
    "hjelp": "help",
    "legg-til": "add",
    "liste": "list",
    "forbered": "start",
    "logg": "log",
    "rapport": "report",
    "påminnelse": "remind",
    "utsett": "snooze",
    "samtykke": "consent",
    "ressursbank": "pool",
    "eksport": "export",
    "slett": "erase",
    "stilling": "position",
    "posisjon": "position",
    "øv": "practice",
    "integrasjon": "integration",
    "utildelte": "unassigned",
    "tildel": "assign",
}
_BUILDERS.update({word: _BUILDERS[english] for word, english in NORWEGIAN_VERBS.items()})
_TWO_WORD_VERBS = {("legg", "til"): "legg-til"}
_ALIASES = dict(NORWEGIAN_VERBS)
