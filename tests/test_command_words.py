"""Norwegian command words, forgiving outcome spellings, "did you mean", dates, `confirm`."""

from __future__ import annotations

from datetime import date

import pytest

from bot import commands as c

# Every Norwegian word of DESIGN.md beside the English command it stands for.
NORWEGIAN = [
    ("hjelp", "help", c.Help()),
    ("legg-til Kari | Lærer", "add Kari | Lærer", c.Add(name="Kari", position="Lærer")),
    ("legg til Kari | Lærer", "add Kari | Lærer", c.Add(name="Kari", position="Lærer")),
    ("Legg Til Kari | Lærer", "add Kari | Lærer", c.Add(name="Kari", position="Lærer")),
    ("liste", "list", c.ListCandidates()),
    ("forbered Bjørn", "start Bjørn", c.Start(candidate="Bjørn")),
    ("logg Kari ringt", "log Kari called", c.Log(candidate="Kari", outcome="called")),
    ("rapport", "report", c.Report()),
    ("rapport Lærer", "report Lærer", c.Report(position="Lærer")),
    ("påminnelse man 09:00", "remind mon 09:00", c.Remind(weekday=0, at=c.time(9, 0))),
    ("påminnelse av", "remind off", c.Remind(off=True)),
    ("utsett uke", "snooze week", c.Snooze(until="week")),
    ("samtykke Kari", "consent Kari", c.Consent(candidate="Kari")),
    ("samtykke Kari trekk", "consent Kari withdraw", c.Consent(candidate="Kari", withdraw=True)),
    ("ressursbank", "pool", c.Pool()),
    ("eksport Kari", "export Kari", c.Export(candidate="Kari")),
    ("slett Kari", "erase Kari", c.Erase(candidate="Kari")),
]


@pytest.mark.parametrize(("norwegian", "english", "expected"), NORWEGIAN)
def test_every_norwegian_command_word(norwegian: str, english: str, expected: c.Command) -> None:
    assert c.parse(norwegian) == expected
    assert c.parse(english) == expected
    assert c.parse("/feedback-call " + norwegian) == expected


def test_every_word_of_the_design_is_known() -> None:
    # position (stilling) and practice (øv) belong to other commands; these are this grammar's.
    design = "hjelp legg-til liste forbered logg rapport påminnelse utsett samtykke ressursbank"
    for word in [*design.split(), "eksport", "slett"]:
        assert word in c.NORWEGIAN_VERBS, word


@pytest.mark.parametrize(
    ("text", "outcome", "note"),
    [
        ("logg Kari ringt", "called", None),
        ("logg Kari ikke-svar", "no-answer", None),
        ("logg Kari ikke svar", "no-answer", None),
        ("logg Kari IKKE SVAR telefonsvarer", "no-answer", "telefonsvarer"),
        ("logg Kari takket-nei", "declined", None),
        ("logg Kari takket nei ville ikke", "declined", "ville ikke"),
        ("logg Kari avslo", "declined", None),
        ("logg Kari hoppet-over intern søker", "skipped", "intern søker"),
        ("logg Kari hoppet over intern søker", "skipped", "intern søker"),
        ("log Kari no answer", "no-answer", None),
    ],
)
def test_outcome_words_with_and_without_hyphen(text: str, outcome: str, note: str | None) -> None:
    assert c.parse(text) == c.Log(candidate="Kari", outcome=outcome, note=note)


def test_a_name_of_several_words_before_a_two_word_outcome() -> None:
    parsed = c.parse("logg Kari Nordmann ikke svar")
    assert parsed == c.Log(candidate="Kari Nordmann", outcome="no-answer")


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [("lsit", "list"), ("raport", "report"), ("hjlep", "hjelp"), ("strat", "start"),
     ("leste", "liste"), ("loggg", "logg"), ("eksprt", "eksport")],
)  # fmt: skip
def test_an_unknown_command_gets_the_nearest_word(typed: str, suggestion: str) -> None:
    parsed = c.parse(f"{typed} something")
    assert isinstance(parsed, c.ParseError)
    assert parsed.problem == "unknown_command"
    assert parsed.suggestion == suggestion


@pytest.mark.parametrize("typed", ["dance", "xyzzy", "hi", "quit"])
def test_no_suggestion_when_nothing_is_near(typed: str) -> None:
    parsed = c.parse(typed)
    assert isinstance(parsed, c.ParseError)
    assert parsed.suggestion is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-11-20", c.DayOfYear(day=20, month=11, year=2026)),
        ("20.11.2026", c.DayOfYear(day=20, month=11, year=2026)),
        ("20.11.", c.DayOfYear(day=20, month=11)),
        ("1.2.", c.DayOfYear(day=1, month=2)),
        ("20.11.26", c.DayOfYear(day=20, month=11, year=2026)),
        ("20. november 2026", c.DayOfYear(day=20, month=11, year=2026)),
        ("20. nov", c.DayOfYear(day=20, month=11)),
        ("3 desember", c.DayOfYear(day=3, month=12)),
        ("3 December 2026", c.DayOfYear(day=3, month=12, year=2026)),
    ],
)
def test_dates_in_each_format(typed: str, expected: c.DayOfYear) -> None:
    assert c.parse_date(typed) == expected
    parsed = c.parse(f"add Kari | Lærer | {typed}")
    assert parsed == c.Add(name="Kari", position="Lærer", rejected_on=expected)


def test_date_and_internal_in_either_order() -> None:
    day = c.DayOfYear(day=20, month=11, year=2026)
    expected = c.Add(name="Kari", position="Lærer", internal=True, rejected_on=day)
    assert c.parse("add Kari | Lærer | internal | 2026-11-20") == expected
    assert c.parse("legg til Kari | Lærer | 20.11.2026 | intern") == expected


@pytest.mark.parametrize("typed", ["32.11.2026", "20.13.", "2026-13-01", "20/11/2026", "20.11.1"])
def test_a_date_that_is_no_date_is_refused(typed: str) -> None:
    parsed = c.parse(f"add Kari | Lærer | {typed}")
    assert isinstance(parsed, c.ParseError)
    assert parsed.problem == "bad_date"
    assert parsed.usage == "usage_add"


def test_a_year_left_out_means_the_latest_such_day_not_in_the_future() -> None:
    assert c.DayOfYear(day=20, month=11).resolve(date(2026, 11, 28)) == date(2026, 11, 20)
    assert c.DayOfYear(day=20, month=12).resolve(date(2027, 1, 5)) == date(2026, 12, 20)
    assert c.DayOfYear(day=31, month=11).resolve(date(2026, 12, 5)) is None


def test_confirm_marks_a_command_as_confirmed() -> None:
    assert c.parse("confirm log k7f3qa called") == c.Log(
        candidate="k7f3qa", outcome="called", confirmed=True
    )
    assert c.parse("bekreft add Kari | Lærer") == c.Add(
        name="Kari", position="Lærer", confirmed=True
    )
    assert c.parse("log k7f3qa called").confirmed is False  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("list", True),
        ("liste", True),
        ("log Kari avslo", True),
        ("start Bjørn", True),
        ("legg til Kari | Lærer", True),
        ("You were not the right fit.", False),
        ("lsit", False),
        ("log", False),
    ],
)
def test_what_reads_as_a_command_mid_checklist(line: str, command: bool) -> None:
    assert c.is_command(line) is command
