"""Adaptive Card builders for cleaner views: one row per candidate, at most two actions, the
script title once, tips under the field. Pure, no network."""

from __future__ import annotations

import json
from collections.abc import Callable

from bot.channels.teams import cards
from bot.channels.teams.deps import labels_for
from bot.coach import Coach
from bot.messages import Identity, Inbound, Reply


async def say(coach: Coach, who: Identity, text: str) -> Reply:
    (reply,) = await coach.handle(who, Inbound(text=text))
    return reply


async def test_list_rows_have_name_once_and_two_actions_at_most(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person(language="nb")
    refs = []
    for name in ("Kari Nordmann", "Bjørn Ås"):
        reply = await say(coach, who, f"legg til {name} | Lærer")
        refs.append(reply.cards[0].buttons[0].command.split()[-1])
    await say(coach, who, "logg bjorn ikke svar Ba om skriftlig begrunnelse")
    listing = await say(coach, who, "liste")
    assert listing.heading is not None
    labels = labels_for(coach, "nb")
    built = [cards.buttons_card(card, labels) for card in listing.cards]
    assert len(built) == 2
    for card, name, ref in zip(built, ("Kari Nordmann", "Bjørn Ås"), refs, strict=True):
        body = json.dumps(card["body"], ensure_ascii=False)
        assert body.count(name) == 1 and ref not in body
        assert len(card["actions"]) <= 2
        assert card["actions"][0]["title"] == "Forbered samtale"
        assert card["actions"][1]["title"] == "Mer"
    assert "Siste notat: Ba om skriftlig begrunnelse" in json.dumps(built[1], ensure_ascii=False)
    # The heading replaces the text, whose lines the cards would repeat.
    assert "Kari" not in listing.heading


async def test_script_card_title_once_and_two_actions(
    coach: Coach, person: Callable[..., Identity]
) -> None:
    who = person()
    reply = await say(coach, who, "add Kari Nordmann | Nurse")
    ref = reply.cards[0].buttons[0].command.split()[-1]
    for step, text in {
        "competence": "Your six years of payroll in Visma were relevant, but the role needs "
        "someone who has run the year-end closing alone.",
        "gaps": "The job ad required written Norwegian at contract level; your case draft "
        "needed edits.",
    }.items():
        assert (await coach.answer_step(who, ref, step, text)).accepted
    script = await coach.finish(who, ref)
    card = cards.script_card(script.cards[0], ref, labels_for(coach, "en"))
    assert json.dumps(card).count("Your call script for Kari Nordmann") == 1
    assert [a["title"] for a in card["actions"]] == ["Called", "More"]
