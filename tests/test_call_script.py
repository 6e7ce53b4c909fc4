"""The call script as a transcript: external among the strongest, external not among them, and
an internal applicant, in nb and en, through the engine and every channel's builders."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import script
from bot.channels.slack import blocks
from bot.channels.teams import cards
from bot.channels.teams.deps import labels_for
from bot.coach import Coach
from bot.messages import Identity, Inbound, Reply, ScriptLine
from conversation_guides import GuideBook
from storage.tables import Position
from tests.support.call_script import (
    ANSWERS,
    KINDS,
    MONTHS,
    POSITION,
    check_transcript,
)


def _recruiter(person: Callable[..., Identity], language: str, **profile: Any) -> Identity:
    return person(user=f"rec-{language}", language=language, **profile)


async def _script(
    coach: Coach, who: Identity, language: str, kind: str, name: str = "Kari Nordmann"
) -> Reply:
    internal = " | internal" if kind == "internal" else ""
    added = await coach.handle(who, Inbound(text=f"add {name} | {POSITION[language]}{internal}"))
    ref = added[0].cards[0].buttons[0].command.split()[-1]
    answers = dict(ANSWERS[language])
    if kind != "internal":
        answers.pop("internal_value")
    reply = await coach.submit_checklist(
        who, ref, answers, strongest=kind == "strongest" if kind != "internal" else None
    )
    assert reply.form is None and reply.cards, reply.text
    return reply


@pytest.fixture
def named(coach: Coach) -> Coach:
    coach.settings = coach.settings.model_copy(
        update={"coach_organisation": "Acme", "coach_talent_pool_months": MONTHS}
    )
    return coach


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("kind", KINDS)
async def test_engine_transcript(
    named: Coach, person: Callable[..., Identity], guides: GuideBook, language: str, kind: str
) -> None:
    who = _recruiter(person, language, name="Line Berg")
    reply = await _script(named, who, language, kind)
    card = reply.cards[0]
    ref = card.buttons[0].command.split()[1]
    check_transcript(card.script, guides.script(language), language, kind, ref)
    # The consent button belongs to the talent pool: never for a colleague.
    consent = [b for b in card.buttons if b.command.startswith("consent ")]
    assert (consent == []) == (kind == "internal")


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("kind", KINDS)
async def test_console_text_transcript(
    named: Coach, person: Callable[..., Identity], guides: GuideBook, language: str, kind: str
) -> None:
    """The terminal prints the reply's text: lines to say bare, directions in brackets."""
    who = _recruiter(person, language, name="Line Berg")
    reply = await _script(named, who, language, kind)
    paragraphs = reply.text.split("\n\n")[1:]
    lines = [
        ScriptLine(kind="note", text=p[1:-1])
        if p.startswith("[") and p.endswith("]")
        else ScriptLine(kind="say", text=p)
        for p in paragraphs
    ]
    assert lines == reply.cards[0].script
    ref = reply.cards[0].buttons[0].command.split()[1]
    check_transcript(lines, guides.script(language), language, kind, ref)


def _slack_lines(body: list[dict[str, Any]]) -> list[ScriptLine]:
    """What Slack shows: sections are read as lines to say, context blocks as directions."""
    lines: list[ScriptLine] = []
    for block in body[1:]:
        if block["type"] == "section":
            lines += [ScriptLine(kind="say", text=t) for t in block["text"]["text"].split("\n\n")]
        elif block["type"] == "context":
            text = block["elements"][0]["text"]
            lines += [ScriptLine(kind="note", text=t) for t in text.split("\n\n")]
    return lines


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("kind", KINDS)
async def test_slack_blocks_transcript(
    named: Coach, person: Callable[..., Identity], guides: GuideBook, language: str, kind: str
) -> None:
    who = _recruiter(person, language, name="Line Berg")
    reply = await _script(named, who, language, kind)
    t = functools.partial(guides.text, language)
    body = blocks.reply_blocks(reply, t, language)
    assert body[0]["text"]["text"] == reply.cards[0].title
    assert body[-1]["type"] == "actions" and len(body) <= blocks.MAX_MESSAGE_BLOCKS
    lines = _slack_lines(body)
    assert lines == reply.cards[0].script
    ref = reply.cards[0].buttons[0].command.split()[1]
    check_transcript(lines, guides.script(language), language, kind, ref)


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("kind", KINDS)
async def test_teams_card_transcript(
    named: Coach, person: Callable[..., Identity], guides: GuideBook, language: str, kind: str
) -> None:
    who = _recruiter(person, language, name="Line Berg")
    reply = await _script(named, who, language, kind)
    ref = reply.cards[0].buttons[0].command.split()[1]
    card = cards.script_card(reply.cards[0], ref, labels_for(named, language))
    assert card["body"][0]["text"] == reply.cards[0].title
    lines = [
        ScriptLine(kind="note" if block.get("isSubtle") else "say", text=block["text"])
        for block in card["body"][1:]
    ]
    assert lines == reply.cards[0].script
    check_transcript(lines, guides.script(language), language, kind, ref)


async def test_opening_leaves_out_what_is_not_known(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    template = guides.script("nb").opening
    anonymous = await _script(coach, person(user="anon", language="nb"), "nb", "not_strongest")
    first = anonymous.cards[0].script[1].text
    assert first.startswith(template.greeting_bare.format(candidate="Kari"))
    named = await _script(
        coach, person(user="named", language="nb", name="Line Berg"), "nb", "not_strongest"
    )
    assert named.cards[0].script[1].text.startswith("Hei Kari, det er Line Berg. Jeg ringer")
    coach.settings = coach.settings.model_copy(update={"coach_organisation": "Acme"})
    org = await _script(coach, person(user="org", language="nb"), "nb", "not_strongest")
    assert org.cards[0].script[1].text.startswith("Hei Kari, jeg ringer fra Acme. Jeg ringer")
    # The platform's own organisation name wins over COACH_ORGANISATION.
    platform = person(user="slacker", language="nb", name="Line Berg", organisation="Acme Norge")
    own = await _script(coach, platform, "nb", "not_strongest")
    assert own.cards[0].script[1].text.startswith("Hei Kari, det er Line Berg fra Acme Norge.")


async def test_names_with_braces_are_said_as_written(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person(user="b", language="en", name="{speaker} {0}", organisation="{organisation}")
    reply = await _script(coach, who, "en", "strongest", name="{candidate} Smith")
    assert (
        reply.cards[0]
        .script[1]
        .text.startswith("Hi {candidate}, this is {speaker} {0} from {organisation}.")
    )


async def test_speaking_time_and_a_nudge_past_three_minutes(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    template = guides.script("en")

    def own_words(reply: Reply) -> int:
        # What the recruiter says whether or not the candidate asks anything.
        answers = [q.say for q in template.if_they_ask]
        return sum(
            script.word_count(line.text)
            for line in reply.cards[0].script
            if line.kind == "say" and line.text not in answers
        )

    who = person(user="t", language="en")
    short = await _script(coach, who, "en", "not_strongest")
    minutes = round(own_words(short) / script.WORDS_PER_MINUTE)
    assert 1 < minutes < 3
    assert short.cards[0].script[0] == ScriptLine(
        kind="note",
        text=template.timing.estimate.format(minutes=template.timing.minutes.format(count=minutes)),
    )
    assert template.timing.too_long not in short.text
    # Four long points: well past three minutes of the recruiter talking.
    added = await coach.handle(who, Inbound(text="add Ola Long | Payroll officer"))
    ref = added[0].cards[0].buttons[0].command.split()[-1]
    long = {key: " ".join([text] * 5) for key, text in ANSWERS["en"].items()}
    long.pop("internal_value")
    reply = await coach.submit_checklist(who, ref, long)
    minutes = round(own_words(reply) / script.WORDS_PER_MINUTE)
    assert minutes >= 4
    assert reply.cards[0].script[0].text == template.timing.estimate.format(
        minutes=template.timing.minutes.format(count=minutes)
    )
    assert reply.cards[0].script[1] == ScriptLine(kind="note", text=template.timing.too_long)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            "nb",
            "Hun skrev for mange feil i caseoppgaven; utlysningen krevde skriftlig norsk på C1.",
        ),
        ("nb", "Kandidaten manglet erfaring med årsoppgjør i Visma, som utlysningen krevde."),
        ("en", "She made too many errors in the case exercise; the ad asked for contract level."),
        ("en", "They had not run the year-end close in Visma alone, which the ad required."),
    ],
)
async def test_third_person_answer_is_nudged_once_then_kept(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook, language: str, text: str
) -> None:
    who = person(user="p", language=language)
    added = await coach.handle(who, Inbound(text=f"add Kari Nordmann | {POSITION[language]}"))
    ref = added[0].cards[0].buttons[0].command.split()[-1]
    first = await coach.answer_step(who, ref, "gaps", text)
    assert not first.accepted
    assert first.message == guides.text(language, "answer_third_person")
    again = await coach.answer_step(who, ref, "gaps", text)
    assert again.accepted
    # Written to the candidate, it passes at once.
    to_them = ANSWERS[language]["competence"]
    assert (await coach.answer_step(who, ref, "competence", to_them)).accepted


async def test_third_person_and_vague_get_one_message(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    who = person(user="p", language="en")
    added = await coach.handle(who, Inbound(text="add Kari Nordmann | Nurse"))
    ref = added[0].cards[0].buttons[0].command.split()[-1]
    reply = await coach.submit_checklist(who, ref, {"competence": "She was not the right fit."})
    assert reply.form is not None
    error = next(f.error for f in reply.form.fields if f.key == "competence")
    assert error is not None
    assert "send the same text again" in error
    assert error.endswith(guides.text("en", "answer_third_person_also"))


async def test_position_written_once_is_every_checklists_starting_point(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    who = person(user="p", language="nb")
    other = person(user="q", language="nb")  # a colleague in the same workspace
    requirements = (
        "Vi la mest vekt på erfaring med årsoppgjør på egen hånd og skriftlig norsk på avtalenivå."
    )
    strengths = "Vi valgte en som har ledet en overgang til SAP i en virksomhet på vår størrelse."
    empty = await coach.handle(who, Inbound(text="stilling Lønnskonsulent"))
    assert empty[0].text.startswith(guides.text("nb", "position_empty", position="Lønnskonsulent"))
    async with coach.sessions() as session:
        # Only looking creates nothing: a mistyped title must not become a position.
        assert await session.scalar(select(func.count()).select_from(Position)) == 0
    saved = await coach.handle(
        who, Inbound(text=f"stilling Lønnskonsulent | {requirements} | {strengths}")
    )
    assert requirements in saved[0].text and strengths in saved[0].text
    shown = await coach.handle(other, Inbound(text="position lønnskonsulent"))
    assert requirements in shown[0].text and strengths in shown[0].text

    for recruiter, name in ((who, "Kari Nordmann"), (other, "Ola Hansen")):
        added = await coach.handle(recruiter, Inbound(text=f"add {name} | Lønnskonsulent"))
        ref = added[0].cards[0].buttons[0].command.split()[-1]
        start = await coach.handle(recruiter, Inbound(text=f"start {ref}"))
        form = start[0].form
        assert form is not None
        fields = {field.key: field for field in form.fields}
        assert fields["gaps"].start == requirements and fields["gaps"].value == ""
        assert fields["luxury_problem"].start == strengths
        assert fields["competence"].start == ""
    # Still checked like any answer: the starting point made personal is what is stored.
    personal = requirements + " Årsoppgjøret har du så langt gjort med støtte."
    answers = {**{k: ANSWERS["nb"][k] for k in ("competence", "self_presentation")}}
    reply = await coach.submit_checklist(
        other, ref, {**answers, "gaps": personal, "luxury_problem": strengths}
    )
    assert reply.cards and personal in reply.text and strengths in reply.text


async def test_position_refuses_risky_wording_and_keeps_what_was_there(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    who = person(user="p", language="en")
    good = "We weighed experience running the year-end close alone most."
    await coach.handle(who, Inbound(text=f"position Nurse | {good}"))
    risky = await coach.handle(
        who, Inbound(text="position Nurse | We wanted someone younger, without small children.")
    )
    prefix = guides.text("en", "answer_risky", reasons="", suggestion="").split()[0]
    assert risky[0].text.startswith(prefix) and '"younger"' in risky[0].text
    shown = await coach.handle(who, Inbound(text="position Nurse"))
    assert good in shown[0].text and "younger" not in shown[0].text
    bad = await coach.handle(who, Inbound(text="position | x"))
    assert guides.text("en", "usage_position") in bad[0].text


async def test_strongest_is_asked_only_for_external_candidates(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person(user="p", language="en")
    for text, asked in (("add A B | Nurse", True), ("add C D | Nurse | internal", False)):
        added = await coach.handle(who, Inbound(text=text))
        ref = added[0].cards[0].buttons[0].command.split()[-1]
        form = (await coach.handle(who, Inbound(text=f"start {ref}")))[0].form
        assert form is not None
        assert (form.strongest_question is not None) == asked
        assert "strongest" not in [field.key for field in form.fields]
        assert await coach.mark_strongest(who, ref, True) == asked
