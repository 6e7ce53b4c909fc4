"""The call script's answers per kind of call, and the check that a transcript follows its guide."""

from __future__ import annotations

import re

from bot.messages import ScriptLine
from conversation_guides.schema import ScriptGuide
from tests.support.engine import CONCRETE

SPOKEN_POSITION = {"en": "Payroll officer", "nb": "lønnskonsulent"}


# What an internal applicant must never hear, and what a colleague's script must not ask.
ELSEWHERE = {
    "en": ("somewhere else", "elsewhere", "another employer", "CV", "apply to us again"),
    "nb": ("et annet sted", "andre steder", "CV", "søke hos oss igjen"),
}


# A label before a colon, as a heading reads ("About your skills:", "Målt mot kravene:").
HEADING = re.compile(r"^[^.?!,]{1,40}:\s")


ANSWERS = {
    "en": CONCRETE,
    "nb": {
        "competence": (
            "De fem årene dine med lønnskjøring i Visma var helt klart relevante. Vi trengte "
            "likevel en som har tatt årsoppgjøret alene, og det har du så langt gjort med støtte."
        ),
        "gaps": (
            "Stillingen krever skriftlig norsk på et nivå der du kan skrive avtaleutkast selv. "
            "I caseoppgaven måtte vi rette en god del i tekstene dine."
        ),
        "luxury_problem": (
            "Du oppfylte alle kravene. Vi hadde tre sterke kandidater i siste runde og valgte en "
            "som allerede har ledet en overgang til SAP."
        ),
        "self_presentation": (
            "Da vi spurte om budsjettkonflikten, svarte du i generelle vendinger. Fortell neste "
            "gang hva du gjorde, og hva som skjedde etterpå."
        ),
        "internal_value": (
            "Teamet ditt er avhengig av at du får vaktlista til å gå opp og lærer opp nye "
            "kolleger den første måneden."
        ),
    },
}


POSITION = {"en": "Payroll officer", "nb": "Lønnskonsulent"}


KINDS = ("strongest", "not_strongest", "internal")


MONTHS = 9  # not the default 12: the script must state the configured period


def check_transcript(
    lines: list[ScriptLine], template: ScriptGuide, language: str, kind: str, ref: str
) -> None:
    said = [line.text for line in lines if line.kind == "say"]
    notes = [line.text for line in lines if line.kind == "note"]
    everything = "\n".join(line.text for line in lines)
    # The opening: the candidate's first name, the recruiter and the organisation, the title as
    # spoken ("stillingen som lønnskonsulent"), and the recruiter's own words nowhere a heading.
    opening = template.opening
    assert said[0].startswith(
        opening.greeting_full.format(candidate="Kari", speaker="Line Berg", organisation="Acme")
    )
    assert opening.about.format(position=SPOKEN_POSITION[language]) in said[0]
    assert "Kari Nordmann" not in everything
    for text in said:
        assert not HEADING.match(text), text
        assert "{" not in text and "}" not in text
    # Directions are marked as such, never lines to say.
    assert template.if_they_ask_title in notes and template.check_in_note in notes
    assert any(note.startswith(template.if_they_ask[0].asks) for note in notes)
    assert not any(template.if_they_ask_title in text for text in said)
    # The recruiter's points, each after its spoken lead-in.
    steps = ["competence", "gaps", "luxury_problem", "self_presentation"]
    if kind == "internal":
        steps = ["internal_value", *steps]
    points = [
        said.index(f"{template.transitions[key]} {ANSWERS[language][key]}")  # type: ignore[index]
        for key in steps
    ]
    assert points == sorted(points)
    # "If they ask…" after the points and before the closing.
    asked = [line.text for line in lines].index(template.if_they_ask_title)
    closing = [line.text for line in lines].index(" ".join(template.closing_final))
    assert [line.text for line in lines].index(said[points[-1]]) < asked < closing
    assert lines[-1].text == " ".join(template.closing_final)
    assert any(ref in note for note in notes)  # "not a good time": log <id> no-answer
    pool = template.talent_pool.say.format(months=MONTHS)
    if kind == "internal":
        # The value they already create comes first, then "this position only".
        assert said.index(template.this_position_internal) == points[0] + 1
        assert " ".join(template.closing_internal) in said
        for word in ELSEWHERE[language]:
            assert word not in everything, word
    else:
        assert said.index(template.this_position) < points[0]
        assert " ".join(template.closing_external) in said
    if kind == "strongest":
        assert pool in said and str(MONTHS) in pool
        assert said.index(pool) > [line.text for line in lines].index(template.if_they_ask_title)
    else:
        assert pool not in said and "CV" not in everything
