"""The console driven as a subprocess through a pipe, as a newcomer would run it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.channels.console import language_from_environment
from bot.messages import language_from_locale
from tests.support.console import GAPS_EN, ROOT, run_console

COMPETENCE_EN = (
    "Your six years of payroll in Visma were relevant, but the role needs someone who has "
    "run the year-end closing alone."
)
COMPETENCE_NB = (
    "Fem år med lønnskjøring i Visma var relevant, men stillingen krever at du har tatt "
    "årsoppgjøret alene."
)
GAPS_NB = "Utlysningen krevde skriftlig norsk på avtalenivå; caseutkastet ditt trengte retting."


@pytest.mark.parametrize(
    ("language", "lines", "expected"),
    [
        (
            "en",
            [
                "add Kari Nordmann | Payroll officer",
                "start Kari Nordmann",
                "You were not the right fit.",
                COMPETENCE_EN,
                GAPS_EN,
                "",
                "",
                "yes",
                "log Kari Nordmann called",
                "report",
                "quit",
            ],
            [
                "Added Kari Nordmann",
                "[1/4] Relevant competence",
                "Tip:",
                "send the same text again",
                "Your call script for Kari Nordmann",
                COMPETENCE_EN,
                GAPS_EN,
                "You are welcome to apply to us again.",
                "May we keep your CV for 12 months",
                "Logged: Kari Nordmann – called",
                "Payroll officer: 1 called, 0 declined, 0 skipped, 0 waiting",
                "Goodbye",
            ],
        ),
        (
            "nb",
            [
                "add Kari Nordmann | Lønnsmedarbeider",
                "start Kari",
                "Du passet ikke helt inn hos oss.",
                COMPETENCE_NB,
                GAPS_NB,
                "",
                "",
                "ja",
                "log Kari ringt",
                "report",
            ],
            [
                "Kari Nordmann (",
                "[1/4] Relevant kompetanse",
                "Tips:",
                "sender du den samme teksten en gang til",
                "Samtalemanuset ditt for Kari Nordmann",
                COMPETENCE_NB,
                GAPS_NB,
                "Du er velkommen til å søke hos oss igjen.",
                "Kan vi ta vare på CV-en din i 12 måneder",
                "Ført opp: Kari Nordmann – ringt",
                "Lønnsmedarbeider: 1 ringt, 0 takket nei, 0 hoppet over, 0 venter",
                "Ha det",
            ],
        ),
    ],
)
def test_whole_session_through_a_pipe(
    database_url: str, language: str, lines: list[str], expected: list[str]
) -> None:
    out = run_console(database_url, lines, "--lang", language)
    position = 0
    for text in expected:
        found = out.find(text, position)
        assert found >= 0, f"{text!r} not found in order in:\n{out}"
        position = found


def test_input_ending_mid_checklist_keeps_answers(database_url: str) -> None:
    run_console(
        database_url, ["add Kari Nordmann | Nurse", "start Kari", COMPETENCE_EN], "--lang", "en"
    )
    out = run_console(database_url, ["start Kari"], "--lang", "en")
    assert "Welcome back" in out
    assert f"Saved earlier: {COMPETENCE_EN}" in out


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("LANG", "nb_NO.UTF-8", "nb"),
        # What the terminal took as Norwegian before the channels shared one policy.
        ("LANG", "norwegian", "nb"),
        ("LANG", "Norwegian_Norway.1252", "nb"),
        ("LANG", "nob_NO", "nb"),
        ("LC_ALL", "no_NO@euro", "nb"),
        ("LANGUAGE", "nn:en", "nb"),
        ("LANG", "en_GB.UTF-8", "en"),
        ("LANG", "C.UTF-8", "en"),
        ("LANG", "de_DE", "en"),
    ],
)
def test_the_terminal_reads_norwegian_however_the_locale_names_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, value)
    assert language_from_environment("en") == expected
    # The same value means the same language to every channel (Slack, Teams, the pages).
    assert language_from_locale(value) == expected


def test_language_from_locale(database_url: str) -> None:
    env_lang = {"LANG": "nb_NO.UTF-8"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "console"],
        input="hjelp\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env_lang, "DATABASE_URL": database_url},
        timeout=120,
        check=False,
    )
    assert "Jeg hjelper deg" in result.stdout
