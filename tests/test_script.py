"""The script template (script.yaml) and the pure script builder (bot/script.py)."""

from __future__ import annotations

import shutil
import string
from pathlib import Path

import pytest

from bot import commands, script
from bot.concreteness import assess, rules_for
from conversation_guides import GUIDES_DIR, GuideBook, GuideError
from conversation_guides.schema import SCRIPT_PLACEHOLDERS, Question

LANGUAGES = ("nb", "en")
# Every value the builder can fill in, as the builder fills it.
FILLED = {
    "candidate": "Kari",
    "speaker": "Line Berg",
    "organisation": "Acme",
    "position": "lønnskonsulent",
    "months": 12,
    "id": "k7f3qa",
    "minutes": "ett minutt",
    "count": 4,
}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_spoken_line_passes_the_svada_check(guides: GuideBook, language: str) -> None:
    """Nothing vague and nothing risky in what the recruiter is told to say.

    Framing lines ("Hei Kari, det er Line Berg fra Acme.") carry no feedback point of their own,
    so the check's "too short" / "nothing concrete" verdicts, which judge a *point*, are not
    what this is about: no stock phrase, hedge or protected ground may be found in them.
    """
    rules = rules_for(language)
    no_point = {rules.texts.too_short, rules.texts.no_concrete}
    spoken = guides.script(language).spoken()
    assert len(spoken) > 20
    for template in spoken:
        text = template.format(**FILLED)
        assessment = assess(text, language)
        assert not assessment.risky, (text, assessment.reasons)
        found = set(assessment.reasons) - no_point
        assert not found, (text, found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_placeholder_can_stay_unfilled(guides: GuideBook, language: str) -> None:
    template = guides.script(language)
    for path, text in template.texts():
        used = _placeholders(text)
        assert used <= SCRIPT_PLACEHOLDERS.get(path, set()), (path, text)
        # What the builder fills for that path formats the text completely.
        filled = text.format(**FILLED)
        assert "{" not in filled and "}" not in filled, (path, filled)
    # And every built script, in every combination of what is known, has none left.
    for internal in (False, True):
        for strongest in (False, True):
            for speaker, organisation in (("Line Berg", "Acme"), (None, "Acme"), (None, None)):
                facts = script.CallFacts(
                    candidate_name="Kari Nordmann",
                    candidate_id="k7f3qa",
                    position="Lønnskonsulent",
                    internal=internal,
                    answers={"competence": "Fem år med Visma.", "internal_value": "Vaktlista."},
                    strongest=strongest,
                    speaker=speaker,
                    organisation=organisation,
                )
                for line in script.build(template, facts):
                    assert "{" not in line.text and "}" not in line.text, line


def test_spoken_and_directions_are_told_apart(guides: GuideBook) -> None:
    template = guides.script("nb")
    spoken = template.spoken()
    assert template.opening.time_check in spoken
    assert template.talent_pool.say in spoken
    assert template.if_they_ask[1].say in spoken
    assert template.check_in_note not in spoken
    assert template.talent_pool.consent_note not in spoken
    assert all(q.note not in spoken for q in template.if_they_ask if q.note)


def test_if_they_ask_covers_the_hard_moments(guides: GuideBook) -> None:
    nb = "\n".join(text for _, text in guides.script("nb").texts())
    assert "likestillings- og diskrimineringsloven § 31" in nb
    assert "artikkel 15" in nb and "notatene dine" in nb
    assert "nevn navn" in nb
    en = "\n".join(text for _, text in guides.script("en").texts())
    assert "§ 31" in en and "GDPR Article 15" in en


@pytest.mark.parametrize("language", ["nb", "en"])
def test_directions_in_the_script_are_commands_in_the_recruiters_language(
    guides: GuideBook, language: str
) -> None:
    # A note tells the recruiter what to type; in Norwegian it must be the Norwegian words,
    # and whatever it says must parse to the command it means.
    template = guides.script(language)
    later = next(q.note for q in template.if_they_ask if q.note and "{id}" in q.note)
    typed = later.split(": ", 1)[1].replace("{id}", "k7f3qa").split(" <")[0] + " 14:00"
    parsed = commands.parse(typed)
    assert isinstance(parsed, commands.Log) and parsed.outcome == "no-answer"
    consent = template.talent_pool.consent_note.split(": ", 1)[1].replace("{id}", "k7f3qa")
    assert isinstance(commands.parse(consent), commands.Consent)
    words = {"nb": ("logg ", "samtykke "), "en": ("log ", "consent ")}[language]
    assert typed.startswith(words[0]) and consent.startswith(words[1])


@pytest.fixture
def guide_copy(tmp_path: Path) -> Path:
    target = tmp_path / "guides"
    shutil.copytree(GUIDES_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def test_an_unknown_placeholder_stops_start_up(guide_copy: Path) -> None:
    path = guide_copy / "en" / "script.yaml"
    text = path.read_text()
    path.write_text(text.replace("Do you have five minutes", "Do you have {minutes} minutes"))
    with pytest.raises(GuideError) as error:
        GuideBook(guide_copy)
    assert str(path) in str(error.value) and "opening.time_check" in str(error.value)


def test_a_missing_transition_stops_start_up(guide_copy: Path) -> None:
    path = guide_copy / "nb" / "script.yaml"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if "  gaps:" not in line))
    with pytest.raises(GuideError, match="transitions: missing gaps"):
        GuideBook(guide_copy)


@pytest.mark.parametrize(
    ("title", "language", "spoken"),
    [
        ("Lønnskonsulent", "nb", "lønnskonsulent"),
        ("Daglig leder", "nb", "daglig leder"),
        ("HR-rådgiver", "nb", "HR-rådgiver"),
        ("IT-sjef", "nb", "IT-sjef"),
        ("SAP-konsulent", "nb", "SAP-konsulent"),
        ("lønnskonsulent", "nb", "lønnskonsulent"),
        ("Ø", "nb", "Ø"),
        ("Payroll Officer", "en", "Payroll Officer"),
    ],
)
def test_position_title_as_spoken(title: str, language: str, spoken: str) -> None:
    assert script.spoken_title(title, language) == spoken


def test_first_name() -> None:
    assert script.first_name("Kari Nordmann") == "Kari"
    assert script.first_name("  Åse   Berg ") == "Åse"
    assert script.first_name("Madonna") == "Madonna"


@pytest.mark.parametrize(
    ("text", "language", "about"),
    [
        ("Hun manglet erfaring med SAP.", "nb", True),
        ("Kandidaten manglet erfaring med SAP.", "nb", True),
        ("Du manglet erfaring med SAP.", "nb", False),
        ("Vi hadde tre sterke kandidater.", "nb", False),  # "kandidater", not "kandidaten"
        ("Hanna i teamet ditt sa det samme.", "nb", False),
        ("She lacked SAP experience.", "en", True),
        ("They had not run payroll alone.", "en", True),
        ("You lacked SAP experience; the panel noted it.", "en", False),
        ("The candidate lacked SAP experience.", "en", True),
    ],
)
def test_third_person(guides: GuideBook, text: str, language: str, about: bool) -> None:
    assert script.third_person(text, guides.script(language).third_person) is about


def test_schema_refuses_a_question_without_an_answer() -> None:
    with pytest.raises(ValueError, match="needs a say or a note"):
        Question(asks="«Hvorfor?»")
