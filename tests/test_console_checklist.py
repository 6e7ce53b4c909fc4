"""Terminal transcripts: navigating the checklist, commands typed mid-checklist, editing
answers, correcting an outcome, a second namesake, rejection dates, reminders told honestly,
and no log line in the conversation. The console runs as a subprocess through a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent

COMPETENCE_EN = (
    "Your six years of payroll in Visma were relevant, but the role needs someone who has "
    "run the year-end closing alone."
)
GAPS_EN = "The job ad required written Norwegian at contract level; your case draft needed edits."
# Starts with a command word: the coach asks before it takes it as an answer.
GAPS_LIKE_A_COMMAND = (
    "Start by saying the job ad required written Norwegian at contract level; your case "
    "draft needed edits."
)
COMPETENCE_NB = (
    "Fem år med lønnskjøring i Visma var relevant, men stillingen krever at du har tatt "
    "årsoppgjøret alene."
)
GAPS_NB = "Utlysningen krevde skriftlig norsk på avtalenivå; caseutkastet ditt trengte retting."
NEW_GAPS_NB = "Utlysningen krevde erfaring med Visma Lønn; du hadde brukt Huldt & Lillevik."


def run(database_url: str, lines: list[str], language: str, **env_extra: str) -> tuple[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env["DATABASE_URL"] = database_url
    env.update(env_extra)
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py"), "console", "--lang", language],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout, result.stderr


def after(out: str, marker: str) -> str:
    assert marker in out, out
    return out[out.index(marker) + len(marker) :]


def test_navigation_words_in_english(database_url: str) -> None:
    out, err = run(
        database_url,
        [
            "add Kari Nordmann | Payroll officer",
            "start Kari",
            "help",
            "skip",
            "list",
            "yes",
            COMPETENCE_EN,
            "back",
            "",
            GAPS_LIKE_A_COMMAND,
            "no",
            "skip",
            "skip",
            "",  # among the strongest? Enter: no
            "quit",
        ],
        "en",
    )
    # help shows the question, tip and example again.
    assert out.count("Tip:") >= 2 and out.count("For example:") >= 2
    assert "it can't be skipped" in out
    # list mid-checklist: asked, run on yes, then back to the same point.
    assert "“list” looks like a command" in out
    rest = after(out, "“list” looks like a command")
    assert rest.index("Your candidates (1)") < rest.index("Back to the checklist:")
    assert rest.index("Back to the checklist:") < rest.index("[1/4] Relevant competence")
    # back: the first point again with its answer as the default; Enter keeps it.
    rest = after(rest, "[2/4]")
    assert "[1/4] Relevant competence" in rest
    assert f"Saved earlier: {COMPETENCE_EN}" in rest
    # A line that reads as a command, kept as the answer on "no".
    assert "looks like a command" in after(rest, "[2/4]")
    # Optional points skipped: nothing stored, the script is made without them.
    script = after(out, "Your call script for Kari Nordmann")
    assert GAPS_LIKE_A_COMMAND in script
    assert COMPETENCE_EN in script
    assert "skip" not in script.split("Goodbye")[0].casefold().replace("skipped", "")
    assert err == ""


def test_stop_keeps_answers_and_leaves_the_checklist(database_url: str) -> None:
    out, _ = run(
        database_url,
        ["add Kari Nordmann | Payroll officer", "start Kari", COMPETENCE_EN, "stop", "list"],
        "en",
    )
    assert "Stopped. Your answers are saved; type start" in out
    # After stop, words are commands again.
    assert "Your candidates (1)" in after(out, "Stopped.")
    out, _ = run(database_url, ["start Kari", "", "quit"], "en")
    assert "Welcome back" in out
    assert f"Saved earlier: {COMPETENCE_EN}" in out
    assert "[2/4] Gaps" in out


def test_back_on_the_first_point(database_url: str) -> None:
    out, _ = run(database_url, ["add Kari | Nurse", "start Kari", "back", "quit"], "en")
    assert "This is the first point." in out


def test_navigation_words_in_norwegian(database_url: str) -> None:
    out, err = run(
        database_url,
        [
            "legg til Kari Nordmann | Lønnsmedarbeider",
            "forbered kari",
            "hjelp",
            "hopp over",
            COMPETENCE_NB,
            "tilbake",
            "",
            "liste",
            "ja",
            GAPS_NB,
            "hopp over",
            "stopp",
            "avslutt",
        ],
        "nb",
    )
    assert out.count("Tips:") >= 2
    assert "du kan ikke hoppe over det" in out
    assert "Lagret tidligere: " + COMPETENCE_NB in out
    assert "«liste» ser ut som en kommando" in out
    assert "Kandidatene dine (1)" in out
    assert "Tilbake til sjekklista:" in out
    assert "Stoppet. Svarene dine er lagret; skriv forbered" in out
    assert "Samtalemanuset" not in out
    assert err == ""


def test_editing_answers_rebuilds_the_script(database_url: str) -> None:
    run(
        database_url,
        ["legg til Kari | Lønnsmedarbeider", "forbered Kari", COMPETENCE_NB, GAPS_NB, "", "", ""],
        "nb",
    )
    out, _ = run(database_url, ["forbered Kari", "", NEW_GAPS_NB, "", "", "", "avslutt"], "nb")
    assert "er fylt inn. Endre det du vil" in out
    assert f"Lagret tidligere: {GAPS_NB}" in out
    script = after(out, "Samtalemanuset ditt for Kari")
    assert NEW_GAPS_NB in script and GAPS_NB not in script
    assert COMPETENCE_NB in script


def test_a_command_mid_checklist_can_start_another_candidate(database_url: str) -> None:
    out, _ = run(
        database_url,
        ["add Kari | Nurse", "add Bjørn Ås | Nurse", "start Kari", "start bjorn as", "yes"],
        "en",
    )
    assert "Call to Bjørn Ås about the Nurse position" in out


def test_correcting_an_outcome_and_a_duplicate_add(database_url: str) -> None:
    out, _ = run(
        database_url,
        [
            "add Kari Nordmann | Nurse",
            "add kari nordmann | Nurse",
            "no",
            "list",
            "log Kari called",
            "log Kari declined",
            "yes",
            "report",
            "legg til Kari Nordmann | Nurse",
            "yes",
        ],
        "en",
    )
    assert "Is this another person with the same name?" in out
    assert "Answer yes or no." in out
    assert "Your candidates (1)" in out
    assert "Change it to did not want feedback?" in out
    assert "Changed: Kari Nordmann is now did not want feedback (was called)" in out
    assert "0 called, 1 declined" in out
    # The first one is no longer pending, so a new namesake is simply added.
    assert out.count("Added Kari Nordmann") == 2


def test_dates_and_refusals(database_url: str) -> None:
    today = datetime.now().astimezone().date()
    out, _ = run(
        database_url,
        [
            f"add Kari | Nurse | {today.isoformat()}",
            "add Ola | Nurse | 01.01.2020",
            "add Per | Nurse | 01.01.2999",
            "add Siv | Nurse | 20/11",
            "list",
        ],
        "en",
    )
    assert "Told no on" in out
    assert "more than a year ago" in out
    assert "has not happened yet" in out
    assert "can't read that date" in out
    assert "Your candidates (1)" in out


def test_no_log_line_in_the_conversation(database_url: str) -> None:
    out, err = run(database_url, ["add Kari | Nurse", "erase Kari", "slett Kari"], "en")
    assert "admin" in out
    for text in (out, err):
        assert "WARNING" not in text and "refused" not in text and "bot.engine.privacy" not in text


def test_the_terminal_is_honest_about_reminders(database_url: str) -> None:
    zone = "Europe/Oslo"
    out, _ = run(database_url, ["remind fri 08:30"], "en", TZ=zone)
    assert "The terminal cannot send you messages" in out
    assert "(Europe/Oslo)" in out and "(UTC)" not in out
    today = datetime.now(ZoneInfo(zone))
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[today.weekday()]
    run(database_url, ["add Kari Nordmann | Nurse", f"remind {day} 00:00"], "en", TZ=zone)
    out, _ = run(database_url, ["quit"], "en", TZ=zone)
    assert "It is your reminder day" in out
    assert "Kari Nordmann" in out
    # Another day: nothing is shown at start.
    other = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(today.weekday() + 3) % 7]
    run(database_url, [f"remind {other} 00:00"], "en", TZ=zone)
    out, _ = run(database_url, ["quit"], "en", TZ=zone)
    assert "reminder day" not in out
