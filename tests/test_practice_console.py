"""The practice call in the terminal: plain turns through a pipe, every scenario, nb and en."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from conversation_guides import GuideBook
from conversation_guides.practice import SCENARIO_ORDER
from storage.database import create_engine as create_async_engine_for
from tests.support.console import run_console
from tests.support.database import POSTGRES_URL
from tests.support.practice_scripts import COMMON, MARKER, POINTS, matches, script

POSITION = {"nb": "Lønnsmedarbeider", "en": "Payroll officer"}


@pytest.mark.parametrize("language", ["nb", "en"])
def test_every_scenario_in_the_terminal(
    database_url: str, guides: GuideBook, language: str
) -> None:
    practice = guides.practice(language)
    lines = [
        f"add Kari Nordmann | {POSITION[language]}",
        "start Kari",
        POINTS[language]["competence"],
        POINTS[language]["gaps"],
        POINTS[language]["luxury_problem"],
        "",
        "nei" if language == "nb" else "no",  # among the strongest?
    ]
    for scenario in SCENARIO_ORDER:
        word = practice.scenarios[scenario].words[0]
        command = "øv" if language == "nb" else "practice"
        lines += [f"{command} Kari | {word}", *(step.says for step in script(language, scenario))]
    lines.append("report")
    out = run_console(database_url, lines, "--lang", language)

    intro = guides.text(language, "practice_intro", name="Kari Nordmann", first_name="Kari",
                        position=POSITION[language])  # fmt: skip
    parts = out.split(intro)
    assert len(parts) == 1 + len(SCENARIO_ORDER), out
    for scenario, part in zip(SCENARIO_ORDER, parts[1:], strict=True):
        said = [
            line.removeprefix("Kari: ") for line in part.splitlines() if line.startswith("Kari: ")
        ]
        expected = ["pick_up", *(step.answer for step in script(language, scenario))]
        assert len(said) == len(expected), part
        for source, line in zip(expected, said, strict=True):
            assert matches(guides, language, scenario, source, line), (scenario, source, line)
        assert practice.scenarios[scenario].name in part
        assert practice.debrief.you_said.format(quote=COMMON[language]["hired"]) in part
    report = guides.text(language, "report_practice", count=6, date="23.11.2026", passed=0,
                         checked=0).split(":")[0]  # fmt: skip
    assert report + ": 6" in out


async def test_nothing_typed_in_the_terminal_reaches_the_database(database_url: str) -> None:
    lines = [
        "add Kari Nordmann | Payroll officer",
        "start Kari",
        POINTS["en"]["competence"],
        POINTS["en"]["gaps"],
        "",
        "",
        "no",  # among the strongest?
        "practice Kari | argues",
        *(step.says for step in script("en", "argues")),
    ]
    out = run_console(database_url, lines, "--lang", "en")
    assert "Debrief of your practice call" in out
    engine = create_async_engine_for(database_url)
    listing = (
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        if POSTGRES_URL
        else "SELECT name FROM sqlite_master WHERE type = 'table'"
    )
    async with engine.connect() as connection:
        names = (await connection.execute(text(listing))).scalars().all()
        assert "practice_runs" in names
        for name in names:
            for row in await connection.execute(text(f'SELECT * FROM "{name}"')):
                assert MARKER not in " ".join(map(str, row)), name
        runs = (await connection.execute(text("SELECT scenario FROM practice_runs"))).scalars()
        assert runs.all() == ["argues"]
    await engine.dispose()
    if not POSTGRES_URL:
        path = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
        for file in (path, Path(f"{path}-wal")):
            if file.exists():
                assert MARKER.encode() not in file.read_bytes()


def test_input_ending_mid_practice_stores_nothing(database_url: str) -> None:
    lines = [
        "add Kari Nordmann | Payroll officer",
        "start Kari",
        POINTS["en"]["competence"],
        POINTS["en"]["gaps"],
        "",
        "",
        "no",  # among the strongest?
        "practice Kari",
        COMMON["en"]["opening"],
    ]
    out = run_console(database_url, lines, "--lang", "en")
    assert "Kari: " in out
    again = run_console(database_url, ["report"], "--lang", "en")
    assert "Practice calls" not in again
