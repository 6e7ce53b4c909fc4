"""What flows between the engine and the channels."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

# MAX_NOTE re-exported: card and block builders import only this module.
from bot.commands import MAX_NOTE as MAX_NOTE
from bot.commands import OUTCOME_WORDS, TWO_WORD_OUTCOMES, Command, Log, ParseError, parse

# The longest checklist answer the engine takes; forms cap their inputs at it.
MAX_ANSWER = 3000

Language = Literal["nb", "en"]

# What a Slack team/user id or a Teams tenant/AAD/account id looks like: channels check ids from
# a payload against this before they reach the engine (a NUL would otherwise reach the store).
PLATFORM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=/-]*")


# Norwegian: a locale whose language part starts with one of these. Covers the two-letter codes
# (nb bokmål, nn nynorsk, no), ISO 639-2 (nob, nno, nor) and the names some systems use in
# LANG (norwegian, Norwegian_Norway.1252), as the terminal's first reading of LANG did.
NORWEGIAN = frozenset({"nb", "no", "nn"})
# What ends a locale's language part: nb-NO, nb_NO.UTF-8, no_NO@euro, nb:en (LANGUAGE), "nb;q=1".
_AFTER_LANGUAGE = re.compile(r"[-_.@:;,\s]")


def _language_part(locale: str) -> str:
    return _AFTER_LANGUAGE.split(locale.strip(), maxsplit=1)[0].lower()


def spoken_language(locale: str | None) -> Language | None:
    """nb for a Norwegian locale or language tag, en for an English one, None for any other."""
    part = _language_part(locale or "")
    if part[:2] in NORWEGIAN:
        return "nb"
    return "en" if part == "en" else None


def language_from_locale(locale: str | None, other: Language = "en") -> Language | None:
    """nb for a Norwegian locale (nb-NO, no_NO.UTF-8, nn, nob, norwegian), `other` for any
    other, None if none.

    The one policy every channel uses: Slack's user locale, Teams' activity locale, the
    terminal's LANG and the web pages' Accept-Language all name a language the same way."""
    if not locale:
        return None
    return "nb" if spoken_language(locale) == "nb" else other


def is_platform_id(value: object, max_length: int = 128) -> bool:
    """A non-empty id of letters, digits and . _ : @ + = / - (no space, control or other)."""
    return (
        isinstance(value, str)
        and len(value) <= max_length
        and PLATFORM_ID.fullmatch(value) is not None
    )


class Identity(BaseModel):
    """Who is talking: a user in a workspace of a platform, plus what the platform says of them."""

    platform: Literal["console", "slack", "teams"]
    workspace: str = Field(min_length=1, max_length=128)
    user: str = Field(min_length=1, max_length=128)
    language: Language | None = None
    timezone: str | None = None
    # What the platform calls the user and their organisation, for the call script's opening.
    name: str | None = Field(default=None, max_length=200)
    organisation: str | None = Field(default=None, max_length=200)

    @field_validator("workspace", "user")
    @classmethod
    def _storable(cls, value: str) -> str:
        # The last line of defence (the console passes an OS user name): nothing a database
        # cannot store or a log line should not carry.
        if value != value.strip() or any(
            unicodedata.category(char) in ("Cc", "Cs") for char in value
        ):
            raise ValueError("not a usable id")
        return value

    @field_validator("name", "organisation", mode="before")
    @classmethod
    def _printable(cls, value: object) -> object:
        # A display name is shown and spoken, never trusted: control characters go, blank is None.
        if not isinstance(value, str):
            return None
        value = " ".join(
            "".join(c for c in value if unicodedata.category(c) not in ("Cc", "Cs")).split()
        )
        return value[:200] or None


class Status(StrEnum):
    """What happened, as data: channels branch on this, never on a reply's wording."""

    DONE = "done"
    # The delivery was seen before; the first one already did everything.
    REPEAT = "repeat"
    # The store could not be used; nothing was changed.
    UNAVAILABLE = "unavailable"
    # The request was understood and refused (bad input, not found, needs work): nothing changed.
    REFUSED = "refused"


class Inbound(BaseModel):
    """Words in the command grammar, from a slash command, a chat message or a button.

    A form or a button may hand over `command`, an already typed request (see bot.commands);
    the engine then runs it as it is and `text` only names it in logs.
    """

    text: str
    # A ParseError: a form's values did not pass; the engine answers it as unreadable words.
    command: Command | ParseError | None = None
    # A platform delivery id (Slack action, Teams activity): the same key acts only once.
    idempotency_key: str | None = Field(default=None, max_length=255)
    # Where the platform can reach this user later (a Teams personal chat), kept with the
    # command in its transaction; opaque to the engine.
    conversation: dict[str, Any] | None = None


# Any word that can make a `log` a skip, case-folded: words with none of them in are not one.
_SKIP_WORD = re.compile(
    "|".join(
        re.escape(word)
        for word in sorted(
            {word for word, outcome in OUTCOME_WORDS.items() if outcome == "skipped"}
            | {first for (first, _), outcome in TWO_WORD_OUTCOMES.items() if outcome == "skipped"}
        )
    )
)


def asks_for_note(command: str) -> bool:
    """Words that skip a call without saying why: the channel asks for the reason first."""
    # Teams asks this of every button of a list (some ninety); parsing each cost more than
    # making the card. A skip's outcome word is a part of the words as typed, and case-folding
    # maps each character on its own, so a command whose folded form contains no skip word
    # cannot parse as a skip.
    if _SKIP_WORD.search(command.casefold()) is None:
        return False
    parsed = parse(command)
    return isinstance(parsed, Log) and parsed.outcome == "skipped" and not parsed.note


class Button(BaseModel):
    label: str
    # The grammar words the button stands for, e.g. "log k7f3qa called".
    command: str
    style: Literal["primary", "danger", "default"] = "default"


class ScriptLine(BaseModel):
    """One line of a call script: said aloud to the candidate, or a note for the recruiter."""

    kind: Literal["say", "note"]
    text: str


class Card(BaseModel):
    """A block of text with buttons: one candidate in a list, or a call script."""

    title: str
    # default_factory: pydantic deep-copies a mutable default for every model it makes.
    lines: list[str] = Field(default_factory=list)
    buttons: list[Button] = Field(default_factory=list)
    # A call script: channels show "say" and "note" lines visibly different.
    script: list[ScriptLine] = Field(default_factory=list)


class FormField(BaseModel):
    key: str
    label: str
    question: str
    tip: str
    example: str
    required: bool
    value: str = ""
    error: str | None = None
    # What was written once for the whole position: where this answer starts, until saved.
    start: str = ""


class Form(BaseModel):
    """The call checklist: one field per applicable guide step."""

    candidate_id: str
    title: str
    intro: str
    fields: list[FormField]
    submit_label: str
    # External candidates only: the recruiter's yes/no "among the strongest" (talent pool).
    strongest_question: str | None = None
    strongest_label: str = ""
    strongest: bool = False


class Attachment(BaseModel):
    """A file to hand over with a reply (an export); channels may upload it or show the text."""

    filename: str
    content: str
    media_type: str = "application/json"


class PracticeLine(BaseModel):
    speaker: Literal["recruiter", "candidate"]
    label: str
    text: str


class PracticeView(BaseModel):
    """One turn of a practice call. `state` is opaque: the channel keeps it on its side (a
    modal's private_metadata, a card's data, memory) and sends it back with the next line, so
    nothing the recruiter types while practising is stored by the coach."""

    candidate_id: str
    title: str
    intro: str = ""
    # The exchange so far, newest last (channels may show only the end of it).
    lines: list[PracticeLine] = Field(default_factory=list)
    prompt: str
    say_label: str
    stop_label: str
    state: str
    done: bool = False


class Reply(BaseModel):
    """One answer of the engine.

    `private` says whether the reply carries anything about a candidate (a name, a position
    tied to a name, notes, a checklist, a script, an export, a list, a report, a reminder).
    A private reply goes only where the asking recruiter alone can see it: a channel routes on
    this field, never on the wording. It is private unless the engine says otherwise, so a new
    command that forgets to say is kept out of shared conversations rather than shown in them.
    """

    text: str
    cards: list[Card] = Field(default_factory=list)
    form: Form | None = None
    attachment: Attachment | None = None
    practice: PracticeView | None = None
    private: bool = True
    # For channels that show the cards: the text to show above them instead of `text`, whose
    # lines the cards repeat (a list). None: show `text`.
    heading: str | None = None
    # A yes/no question before acting (a second namesake, a corrected outcome): the button
    # holds the words that mean yes; no means nothing happens.
    confirm: Button | None = None
    # What happened, and the candidate it concerns (when there is one).
    status: Status = Status.DONE
    candidate_id: str | None = None

    @model_validator(mode="after")
    def _candidate_parts_are_private(self) -> Reply:
        # Cards, checklists and files are always about candidates: never shareable.
        if not self.private and (
            self.cards or self.form is not None or self.attachment or self.practice is not None
        ):
            raise ValueError("a reply with cards, a form, a file or a practice is private")
        return self

    @classmethod
    def shareable(cls, text: str, status: Status = Status.DONE) -> Reply:
        """Text with nothing about any candidate (help, usage, a refusal, a setting)."""
        return cls(text=text, private=False, status=status)
