"""The call script in the terminal, driven as a subprocess: `console --name`, COACH_ORGANISATION,
"among the strongest" as a yes/no question, directions in [brackets]."""

from __future__ import annotations

import pytest

from bot.channels.console import account_full_name
from bot.messages import ScriptLine
from conversation_guides import GuideBook
from tests.support.call_script import ANSWERS, KINDS, MONTHS, POSITION, check_transcript
from tests.support.console import run_console

TITLE = {"en": "Your call script for ", "nb": "Samtalemanuset ditt for "}
YES = {"en": "yes", "nb": "ja"}
NO = {"en": "no", "nb": "nei"}


def script_lines(out: str, language: str) -> list[ScriptLine]:
    """The printed script's lines, [bracketed] ones as directions."""
    start = out.index(TITLE[language])
    paragraphs = out[start:].split("\n\n")[1:]
    # The console's goodbye follows the last line of the script.
    paragraphs[-1] = paragraphs[-1].split("\n")[0]
    lines = [
        ScriptLine(kind="note", text=p[1:-1])
        if p.startswith("[") and p.endswith("]")
        else ScriptLine(kind="say", text=p)
        for p in paragraphs
    ]
    return lines


def session(language: str, kind: str) -> list[str]:
    answers = ANSWERS[language]
    internal = {"en": " | internal", "nb": " | intern"}[language] if kind == "internal" else ""
    lines = [f"add Kari Nordmann | {POSITION[language]}{internal}", "start Kari"]
    lines += [answers[key] for key in ("competence", "gaps", "luxury_problem", "self_presentation")]
    if kind == "internal":
        lines.append(answers["internal_value"])
    else:
        lines.append(YES[language] if kind == "strongest" else NO[language])
    return lines


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_console_transcript(database_url: str, guides: GuideBook, language: str, kind: str) -> None:
    out = run_console(
        database_url,
        session(language, kind),
        "--lang",
        language,
        "--name",
        "Line Berg",
        COACH_ORGANISATION="Acme",
        COACH_TALENT_POOL_MONTHS=str(MONTHS),
    )
    lines = script_lines(out, language)
    # The reply to `add` names the command that prepares the call, in the user's own words.
    ref = out.split({"nb": "forbered ", "en": "start "}[language])[1].split()[0]
    check_transcript(lines, guides.script(language), language, kind, ref)
    question = guides.text(language, "strongest_question", name="Kari")
    assert (question in out) == (kind != "internal")


def test_console_name_defaults_to_the_account(database_url: str, guides: GuideBook) -> None:
    out = run_console(database_url, session("nb", "not_strongest"), "--lang", "nb")
    lines = script_lines(out, "nb")
    opening = guides.script("nb").opening
    name = account_full_name()
    if name:
        expected = opening.greeting_speaker.format(candidate="Kari", speaker=name)
    else:
        expected = opening.greeting_bare.format(candidate="Kari")
    assert lines[1].text.startswith(expected + " ")


def test_console_position_starting_point_is_used_with_enter(
    database_url: str, guides: GuideBook
) -> None:
    requirements = "Vi la mest vekt på erfaring med årsoppgjør på egen hånd i Visma."
    answers = ANSWERS["nb"]
    out = run_console(
        database_url,
        [
            f"stilling Lønnskonsulent | {requirements}",
            "add Kari Nordmann | Lønnskonsulent",
            "start Kari",
            answers["competence"],
            "",  # Enter: the position's starting point, as it stands
            "",
            "",
            "nei",
        ],
        "--lang",
        "nb",
        "--name",
        "Line Berg",
    )
    assert guides.text("nb", "console_start", value=requirements) in out
    lines = script_lines(out, "nb")
    said = [line.text for line in lines if line.kind == "say"]
    assert f"{guides.script('nb').transitions['gaps']} {requirements}" in said
