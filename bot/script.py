"""The call script, built in one pure place from typed facts and the guide's script template.

The engine gathers the facts (who calls, from where, whom, about what, the recruiter's points);
this module turns them into lines marked "say" (spoken to the candidate) or "note" (a direction
for the recruiter). Channels only decide how the two kinds look.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from bot.messages import Button, Card, Reply, ScriptLine
from conversation_guides.schema import ScriptGuide

# About 140 words a minute: the middle of the 130-150 a calm phone voice manages.
WORDS_PER_MINUTE = 140
# Past this, the recruiter talks too long without letting the candidate in.
MAX_SPOKEN_SECONDS = 180
_WORD = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")


@dataclass(frozen=True)
class CallFacts:
    """Everything the script says that is not template text."""

    candidate_name: str
    candidate_id: str
    position: str
    internal: bool
    # The recruiter's points by step key, in the order the guide asks them.
    answers: dict[str, str] = field(default_factory=dict)
    strongest: bool = False
    speaker: str | None = None
    organisation: str | None = None
    talent_pool_months: int = 12


def first_name(name: str) -> str:
    """What you call someone on the phone: the first word of their name."""
    words = name.split()
    return words[0] if words else name


def spoken_title(title: str, language: str) -> str:
    """A position title as said in a Norwegian sentence: "stillingen som lønnskonsulent".

    Only the first letter is lowered, and only when the second is lower case, so acronyms and
    names ("HR-rådgiver", "IT-sjef", "SAP-konsulent") stay as written. English keeps the title.
    """
    title = title.strip()
    if language == "nb" and len(title) > 1 and title[0].isupper() and title[1].islower():
        return title[0].lower() + title[1:]
    return title


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def third_person(text: str, words: list[str]) -> bool:
    """Whether an answer speaks about the candidate ("she", "kandidaten") instead of to them."""
    lowered = text.casefold()
    return any(
        re.search(r"(?<!\w)" + r"\s+".join(map(re.escape, word.split())) + r"(?!\w)", lowered)
        for word in words
    )


def _say(text: str) -> ScriptLine:
    return ScriptLine(kind="say", text=text)


def _note(text: str) -> ScriptLine:
    return ScriptLine(kind="note", text=text)


def _greeting(template: ScriptGuide, facts: CallFacts) -> str:
    opening = template.opening
    candidate = first_name(facts.candidate_name)
    if facts.speaker and facts.organisation:
        return opening.greeting_full.format(
            candidate=candidate, speaker=facts.speaker, organisation=facts.organisation
        )
    if facts.speaker:
        return opening.greeting_speaker.format(candidate=candidate, speaker=facts.speaker)
    if facts.organisation:
        return opening.greeting_organisation.format(
            candidate=candidate, organisation=facts.organisation
        )
    return opening.greeting_bare.format(candidate=candidate)


def _point(template: ScriptGuide, key: str, text: str) -> list[ScriptLine]:
    # The spoken lead-in and the recruiter's own words make one paragraph, as said.
    return [_say(f"{template.transitions[key]} {text}")]  # type: ignore[index]


def _paragraph(texts: list[str]) -> ScriptLine:
    return _say(" ".join(texts))


def _minutes(template: ScriptGuide, seconds: float) -> str:
    timing = template.timing
    if seconds < 60:
        return timing.under_a_minute
    count = max(1, round(seconds / 60))
    return timing.one_minute if count == 1 else timing.minutes.format(count=count)


def build(template: ScriptGuide, facts: CallFacts) -> list[ScriptLine]:
    """The whole call, in the order it is made.

    External: opening, "this position", the points, a pause, "If they ask…", the closing
    (talent pool only when marked among the strongest). Internal: the value they already
    create comes first, and the closing points inward, never "elsewhere" or to a CV.
    """
    opening = template.opening
    body: list[ScriptLine] = [
        _paragraph(
            [
                _greeting(template, facts),
                opening.about.format(position=spoken_title(facts.position, template.language)),
                opening.thanks_internal if facts.internal else opening.thanks,
                opening.time_check,
            ]
        )
    ]
    answers = {key: text for key, text in facts.answers.items() if text.strip()}
    if facts.internal and "internal_value" in answers:
        body += _point(template, "internal_value", answers["internal_value"])
    body.append(_say(template.this_position_internal if facts.internal else template.this_position))
    for key, text in answers.items():
        if key != "internal_value":
            body += _point(template, key, text)
    body += [_note(template.check_in_note), _say(template.check_in)]

    asked: list[ScriptLine] = [_note(template.if_they_ask_title)]
    for question in template.if_they_ask:
        # What they say, and what to keep in mind, come before the words to answer with.
        direction = question.asks
        if question.note:
            direction += " – " + question.note.format(id=facts.candidate_id)
        asked.append(_note(direction))
        if question.say:
            asked.append(_say(question.say))

    closing: list[ScriptLine] = []
    if facts.internal:
        closing.append(_paragraph(template.closing_internal))
    else:
        closing.append(_paragraph(template.closing_external))
        if facts.strongest:
            pool = template.talent_pool
            closing += [
                _note(pool.note),
                _say(pool.say.format(months=facts.talent_pool_months)),
                _note(pool.consent_note.format(id=facts.candidate_id)),
            ]
    closing.append(_paragraph(template.closing_final))

    # The recruiter's own part: what they say whether or not the candidate asks anything.
    seconds = spoken_seconds(body + closing)
    timing = [_note(template.timing.estimate.format(minutes=_minutes(template, seconds)))]
    if seconds > MAX_SPOKEN_SECONDS:
        timing.append(_note(template.timing.too_long))
    return timing + body + asked + closing


def spoken_seconds(lines: list[ScriptLine]) -> float:
    words = sum(word_count(line.text) for line in lines if line.kind == "say")
    return math.ceil(words * 60 / WORDS_PER_MINUTE)


def as_text(lines: list[ScriptLine]) -> str:
    """The script as plain text: lines to say as they are, directions in [brackets]."""
    return "\n\n".join(line.text if line.kind == "say" else f"[{line.text}]" for line in lines)


def script_reply(title: str, lines: list[ScriptLine], buttons: list[Button], ref: str) -> Reply:
    """The script as a reply: one card with the title, the lines and what may follow the call,
    and the same as plain text for channels that show no cards."""
    card = Card(title=title, script=lines, buttons=buttons)
    # The card holds title and script: channels showing it show the title once.
    return Reply(text=title + "\n\n" + as_text(lines), cards=[card], heading="", candidate_id=ref)
