"""Every command of the grammar, as a recruiter (an admin) says it, with what it must reveal.

Driven through the engine and through every kind of Slack and Teams conversation: a step
marked `private` answers with something about a candidate, which must never reach a shared
conversation and must reach the recruiter privately; a `shared` step may be shown anywhere.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from bot import commands

NAME = "Ingrid Solbakken"
OTHER = "Jonas Berge"
POSITION = "Harbour pilot"
NOTE = "prefers a call after lunch"
REASON = "we meet in person on Monday"


@dataclass(frozen=True)
class Step:
    said: str
    private: bool
    # Text the recruiter's private answer (or the shared one) contains.
    expected: str


WALK: list[Step] = [
    Step("help", False, "Nobody is waiting for a call from you"),
    Step(f"add {NAME} | {POSITION}", True, f"Added {NAME}"),
    Step(f"add {OTHER} | {POSITION} | internal", True, OTHER),
    Step("help", True, NAME),
    Step("", True, NAME),
    Step("list", True, NAME),
    Step(f"start {NAME}", True, NAME),
    Step(f"practice {NAME}", True, NAME),
    Step(f"log Ingrid no-answer {NOTE}", True, NAME),
    Step(f"log Jonas skipped {REASON}", True, OTHER),
    Step("log Solbakken", False, "called, no-answer, declined or skipped"),
    Step("report", True, POSITION),
    Step(f"report {POSITION}", True, POSITION),
    Step(f"position {POSITION} | The role needs the year-end close done alone.", True, POSITION),
    Step(f"position {POSITION}", True, "The role needs the year-end close done alone."),
    Step("remind fri 14:30", False, "every Friday at 14:30"),
    Step("remind off", False, "Weekly reminders are off"),
    Step("snooze week", False, "Snoozed"),
    Step(f"consent {NAME}", True, NAME),
    Step("pool", True, NAME),
    Step(f"consent {NAME} withdraw", True, NAME),
    Step(f"export {NAME}", True, NAME),
    Step(f"erase {NAME}", True, NAME),
    # ATS intake (admins): the webhook's signing secret and the unassigned candidates' names.
    Step("integration greenhouse rotate", True, "Webhook URL"),
    Step("integration", True, "Greenhouse: last delivery never"),
    Step("unassigned", True, "No candidates from the ATS are waiting"),
    Step("assign a1 U0123ABC", True, "among the candidates waiting for a recruiter"),
    Step("log Nobody called", True, "Nobody"),
    Step("dance", False, "I don't know the command"),
    Step("remind fri 25:00", False, "Give the time as HH:MM"),
]

# What must never be shown where others read: names, the position tied to them, notes.
SENSITIVE = ("Ingrid", "Solbakken", "Jonas", "Berge", POSITION, NOTE, REASON, "after lunch")


def grammar_kinds() -> set[str]:
    """Every command kind the grammar parses into (a new one makes the walk incomplete)."""
    union = typing.get_args(typing.get_args(commands.Command)[0])
    return {model.model_fields["kind"].default for model in union}


def walked_kinds() -> set[str]:
    kinds = set()
    for step in WALK:
        parsed = commands.parse(step.said)
        if isinstance(parsed, BaseModel) and not isinstance(parsed, commands.ParseError):
            kinds.add(parsed.kind)
    return kinds


def leaks(payload: Any, also: tuple[str, ...] = ()) -> list[str]:
    """The candidate data found anywhere in a payload (text, cards, blocks, files)."""
    text = json.dumps(payload, ensure_ascii=False) if not isinstance(payload, str) else payload
    return [word for word in (*SENSITIVE, *also) if word and word.casefold() in text.casefold()]
