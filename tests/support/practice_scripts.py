"""Practice calls written as data: what the recruiter says, what kind of answer the candidate
must give, and what the debrief must say. Shared by the engine, terminal, Slack and Teams tests.

Each expected answer names the guide lines it must come from ("opening_ok", "reaction:vague",
"beat:1", ...), so the test follows the guide's wording without copying it.
"""

from __future__ import annotations

from dataclasses import dataclass

from conversation_guides import GuideBook

POINTS = {
    "nb": {
        "competence": (
            "De fem årene dine med lønnskjøring i Visma var helt klart relevante for oss, men "
            "årsoppgjøret har du så langt gjort med støtte."
        ),
        "gaps": (
            "Vi trengte en som har tatt årsoppgjøret alene, og i caseoppgaven måtte vi rette en "
            "god del i avstemmingen din."
        ),
        "luxury_problem": (
            "Vi hadde tre sterke kandidater i siste runde og valgte en som allerede har ledet "
            "en overgang til SAP."
        ),
    },
    "en": {
        "competence": (
            "Your six years of payroll in Visma were clearly relevant to us, but you have so "
            "far run the year-end close with support."
        ),
        "gaps": (
            "We needed someone who has run the year-end reconciliation alone, and in the case "
            "exercise your reconciliation needed a lot of corrections."
        ),
        "luxury_problem": (
            "We had three strong finalists and chose one who has already led a migration to SAP."
        ),
    },
}

# A word no one would type by accident: it must never reach the database or a log.
MARKER = "Xylofonkvartett"

COMMON = {
    "nb": {
        "opening": (
            f"Hei Kari, det er Line fra {MARKER}. Jeg ringer om søknaden din på stillingen som "
            "lønnsmedarbeider. Passer det med noen minutter nå?"
        ),
        "vague": "Du har dessverre ikke fått jobben. Du var ikke helt det vi så etter.",
        "requirement": (
            "Vi trengte en som har tatt årsoppgjøret alene, og det har du gjort med støtte."
        ),
        "bridge": "Jeg skal fortelle deg hvordan vi tenkte.",
        "acknowledge": "Jeg skjønner at det er skuffende å høre.",
        "hired": "Hun som fikk jobben heter Anne og har ledet årsoppgjør alene i mange år.",
        "promise": "Hvis det ikke går med henne i prøvetiden, ringer vi deg.",
        "closing": "Takk for praten, ha det bra.",
    },
    "en": {
        "opening": (
            f"Hi Kari, this is Line from {MARKER}. I'm calling about your application for the "
            "payroll officer position. Is now a good time?"
        ),
        "vague": "Unfortunately you didn't get the job. You were not quite the right fit.",
        "requirement": (
            "We needed someone who has run the reconciliation alone, and you have done it with "
            "support."
        ),
        "bridge": "Let me tell you how we looked at it.",
        "acknowledge": "I understand this is disappointing to hear.",
        "hired": "She is called Anne and she has run the year-end close alone for years.",
        "promise": "If it doesn't work out with her during probation, we'll call you.",
        "closing": "Thanks for talking, bye.",
    },
}

# The recruiter's answer to the scenario's second beat (a mistake each time), and the check
# that mistake must be flagged under.
MISTAKES = {
    "nb": {
        "disappointed": ("Du ville passet perfekt i en annen stilling hos oss.", "position"),
        "argues": ("Kanskje vi kan se på det igjen.", "promise"),
        "in_writing": ("Nei, det gjør vi ikke skriftlig.", "writing"),
        "emotional": ("Det som avgjorde, var at vi ville ha mer erfaring.", "emotion"),
        "course": ("Du bør ta kurset i lønn og regnskap hos Visma.", "course"),
        "protected_ground": ("Det kan ha spilt inn litt, vi har et ungt team.", "protected"),
    },
    "en": {
        "disappointed": ("You would be a better fit for another role with us.", "position"),
        "argues": ("Maybe we could look at it again.", "promise"),
        "in_writing": ("No, we don't do that in writing.", "writing"),
        "emotional": ("What decided it was that we wanted more experience.", "emotion"),
        "course": ("You should take the payroll course at Visma.", "course"),
        "protected_ground": ("It may have played a part, we have a young team.", "protected"),
    },
}

# What the debrief must list under "to change", in order (at most three).
CHANGES = {
    "disappointed": ["hired", "promise", "svada"],
    "argues": ["hired", "promise", "svada"],
    "in_writing": ["hired", "promise", "writing"],
    "emotional": ["hired", "promise", "emotion"],
    "course": ["hired", "promise", "course"],
    "protected_ground": ["protected", "hired", "promise"],
}
SCENARIOS = tuple(CHANGES)


@dataclass(frozen=True)
class Step:
    says: str
    answer: str  # where the candidate's answer comes from, see `lines_for`


def script(language: str, scenario: str) -> list[Step]:
    c = COMMON[language]
    mistake, _ = MISTAKES[language][scenario]
    after_acknowledge = "beat:1"
    # Some mistakes are vague as well, and the candidate asks what was meant.
    # A missed request makes the candidate push back, once.
    after_mistake = {
        "disappointed": "reaction:vague",
        "argues": "reaction:promise",
        "in_writing": "pushback:writing",
        "emotional": "reaction:vague",
        "course": "pushback:course",
        "protected_ground": "pushback:protected",
    }[scenario]
    return [
        Step(c["opening"], "opening_ok"),
        Step(c["vague"], "reaction:vague"),
        Step(c["requirement"], "reaction:requirement"),
        Step(c["bridge"], "beat:0"),
        Step(c["acknowledge"], after_acknowledge),
        Step(mistake, after_mistake),
        Step(c["hired"], "reaction:hired"),
        Step(c["promise"], "reaction:promise"),
        Step(c["closing"], "goodbye"),
    ]


def lines_for(guides: GuideBook, language: str, scenario: str, source: str) -> list[str]:
    """Every line the guide allows the candidate to say for an expected answer."""
    guide = guides.practice(language)
    kind, _, key = source.partition(":")
    if kind == "reaction":
        return guide.reactions[key]  # type: ignore[index]
    if kind == "pushback":
        return guide.pushback[key]  # type: ignore[index]
    if kind == "beat":
        return guide.scenarios[scenario].beats[int(key)].lines  # type: ignore[index]
    return getattr(guide.candidate, kind)


def matches(guides: GuideBook, language: str, scenario: str, source: str, said: str) -> bool:
    """Whether the candidate's line is one of the guide's lines for `source` (placeholders
    filled with anything)."""
    import re

    for line in lines_for(guides, language, scenario, source):
        pattern = re.escape(line)
        for name in ("first_name", "topic", "position"):
            pattern = pattern.replace(re.escape("{" + name + "}"), ".+")
        if re.fullmatch(pattern, said, flags=re.IGNORECASE | re.DOTALL):
            return True
    return False
