"""The grammar: every command, valid and invalid."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import given, settings

from bot import commands as c
from bot.messages import asks_for_note
from tests.support.strategies import inbound_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", c.Help()),
        ("   ", c.Help()),
        ("help", c.Help()),
        ("hjelp", c.Help()),
        ("/feedback-call help", c.Help()),
        ("feedback-call", c.Help()),
        ("add Kari Nordmann | Nurse", c.Add(name="Kari Nordmann", position="Nurse")),
        (
            "ADD  Kari   Nordmann |  Senior nurse  | internal",
            c.Add(name="Kari Nordmann", position="Senior nurse", internal=True),
        ),
        ("add Ola | Lærer | intern", c.Add(name="Ola", position="Lærer", internal=True)),
        ("list", c.ListCandidates()),
        ("start Kari Nordmann", c.Start(candidate="Kari Nordmann")),
        ("start k7f3qa", c.Start(candidate="k7f3qa")),
        ("log Kari called", c.Log(candidate="Kari", outcome="called")),
        (
            "log Kari Nordmann no-answer voicemail twice",
            c.Log(candidate="Kari Nordmann", outcome="no-answer", note="voicemail twice"),
        ),
        ("log Kari ringt", c.Log(candidate="Kari", outcome="called")),
        ("log Kari ikke-svar", c.Log(candidate="Kari", outcome="no-answer")),
        ("log Kari avslo", c.Log(candidate="Kari", outcome="declined")),
        (
            "log Kari skipped met her in person",
            c.Log(candidate="Kari", outcome="skipped", note="met her in person"),
        ),
        ("log Kari declined", c.Log(candidate="Kari", outcome="declined")),
        ("report", c.Report()),
        ("report Senior nurse", c.Report(position="Senior nurse")),
        ("remind mon 09:00", c.Remind(weekday=0, at=time(9, 0))),
        ("remind fredag 8.30", c.Remind(weekday=4, at=time(8, 30))),
        ("remind søn 23:59", c.Remind(weekday=6, at=time(23, 59))),
        ("remind off", c.Remind(off=True)),
        ("remind av", c.Remind(off=True)),
        ("consent Kari", c.Consent(candidate="Kari")),
        ("consent Kari Nordmann withdraw", c.Consent(candidate="Kari Nordmann", withdraw=True)),
        ("pool", c.Pool()),
        ("export Kari", c.Export(candidate="Kari")),
        ("erase Kari Nordmann", c.Erase(candidate="Kari Nordmann")),
    ],
)
def test_valid_commands(text: str, expected: c.Command) -> None:
    assert c.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "problem", "usage"),
    [
        ("dance", "unknown_command", None),
        ("add Kari", "malformed", "usage_add"),
        ("add | Nurse", "malformed", "usage_add"),
        ("add Kari | Nurse | external", "malformed", "usage_add"),
        ("add Kari | | internal", "malformed", "usage_add"),
        ("list everything", "malformed", "usage_list"),
        ("start", "missing_candidate", "usage_start"),
        ("log", "missing_candidate", "usage_log"),
        ("log Kari", "missing_outcome", "usage_log"),
        ("log Kari phoned", "missing_outcome", "usage_log"),
        ("log called", "missing_outcome", "usage_log"),
        ("remind", "malformed", "usage_remind"),
        ("remind someday 09:00", "malformed", "usage_remind"),
        ("remind mon 25:00", "bad_time", "usage_remind"),
        ("remind mon nine", "bad_time", "usage_remind"),
        ("consent", "missing_candidate", "usage_consent"),
        ("pool now", "malformed", "usage_pool"),
        ("export", "missing_candidate", "usage_export"),
        ("erase", "missing_candidate", "usage_erase"),
        ("add " + "x" * 300 + " | Nurse", "too_long", "usage_add"),
        ("x" * 5000, "too_long", None),
    ],
)
def test_invalid_commands(text: str, problem: str, usage: str | None) -> None:
    parsed = c.parse(text)
    assert isinstance(parsed, c.ParseError)
    assert (parsed.problem, parsed.usage) == (problem, usage)


def test_control_characters_are_not_part_of_a_name() -> None:
    assert c.parse("add Kari\x00\x1b | Nurse") == c.Add(name="Kari", position="Nurse")


def _asks_for_note_by_parsing(text: str) -> bool:
    parsed = c.parse(text)
    return isinstance(parsed, c.Log) and parsed.outcome == "skipped" and not parsed.note


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("log k7f3qa skipped", True),
        ("log Kari Nordmann HOPPET OVER", True),
        ("confirm log k7f3qa Droppet", True),
        ("/feedback-call logg k7f3qa hoppet-over", True),
        ("log k7f3qa skipped moved to another team", False),
        ("log k7f3qa declined", False),
        ("consent k7f3qa", False),
        ("start skipped", False),
    ],
)
def test_asks_for_note_only_for_a_skip_without_a_reason(text: str, asks: bool) -> None:
    assert asks_for_note(text) is asks
    assert _asks_for_note_by_parsing(text) is asks


@settings(max_examples=400)
@given(inbound_text(["k7f3qa", "Skipped", "HOPPET", "droppet"]))
def test_asks_for_note_answers_as_parsing_the_words_would(text: str) -> None:
    # Words without a skip word in them are answered without parsing: never differently.
    assert asks_for_note(text) == _asks_for_note_by_parsing(text)
