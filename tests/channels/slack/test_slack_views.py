"""Block Kit builders for cleaner views: one row per candidate, one button and a menu, titles
written to fit, placeholders shortened at a word, the script title once. Pure, no network."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.channels.slack import blocks
from bot.coach import Coach
from bot.messages import Identity, Inbound, Reply
from conversation_guides import GuideBook

LANGUAGES = ("en", "nb")


def texts(guides: GuideBook, language: str) -> Callable[..., str]:
    return lambda key, **values: guides.text(language, key, **values)


def all_plain(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "plain_text":
            found.append(node["text"])
        for value in node.values():
            found += all_plain(value)
    elif isinstance(node, list):
        for value in node:
            found += all_plain(value)
    return found


async def say(coach: Coach, who: Identity, text: str) -> Reply:
    (reply,) = await coach.handle(who, Inbound(text=text))
    return reply


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_modal_title_and_button_is_written_to_fit(guides: GuideBook, language: str) -> None:
    t = texts(guides, language)
    form = guides.guide(language)
    views = [
        blocks.loading_modal(t),
        blocks.message_modal(t, "x"),
        blocks.add_candidate_modal(t),
        blocks.skip_reason_modal(t, "{}"),
    ]
    from bot.messages import Form, FormField

    views.append(
        blocks.checklist_modal(
            Form(
                candidate_id="k7f3qa",
                title=form.title,
                intro="intro",
                fields=[
                    FormField(
                        key=s.key,
                        label=s.title,
                        question=s.question,
                        tip=s.tip,
                        example=s.concrete_example,
                        required=s.required,
                    )
                    for s in form.steps
                ],
                submit_label=t("button_make_script"),
            ),
            t,
            "{}",
        )
    )
    for view in views:
        for part in ("title", "submit", "close"):
            if part in view:
                text = view[part]["text"]
                assert len(text) <= blocks.MAX_VIEW_TITLE, (part, text)
                # Written to fit: nothing was shortened.
                assert not text.endswith("…"), (part, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_are_shortened_at_a_word_never_inside_one(
    guides: GuideBook, language: str
) -> None:
    for step in guides.guide(language).steps:
        example = " ".join(step.concrete_example.split())
        shown = blocks.shorten(example, blocks.MAX_PLACEHOLDER)
        assert len(shown) <= blocks.MAX_PLACEHOLDER
        if shown == example:
            continue
        assert shown.endswith("…")
        kept = shown[:-1]
        assert example.startswith(kept)
        # The cut falls between words: the next character of the example is a space or mark.
        assert not example[len(kept)].isalnum(), (kept, example[len(kept) :][:20])


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Forbered tilbakemeldingssamtalen", 24, "Forbered…"),
        ("Prepare the feedback call", 24, "Prepare the feedback…"),
        ("Short", 24, "Short"),
        ("gjennomgående god", 10, "gjennomgå…"),  # one word longer than the limit
        ("Du ga gode, konkrete eksempler", 16, "Du ga gode…"),
    ],
)
def test_shorten(text: str, limit: int, expected: str) -> None:
    assert blocks.shorten(text, limit) == expected
    assert len(blocks.shorten(text, limit)) <= limit


async def test_list_is_one_row_per_candidate_with_one_button_and_a_menu(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    who = person()
    refs = []
    for name in ("Kari Nordmann", "Ola Hansen", "Siv Berg"):
        reply = await say(coach, who, f"add {name} | Nurse")
        refs.append(reply.cards[0].buttons[0].command.split()[-1])
    await say(coach, who, f"log {refs[1]} no-answer voicemail, try after four")
    # Prepared: Called becomes the next step.
    for step, text in {
        "competence": "Your six years of payroll in Visma were relevant, but the role needs "
        "someone who has run the year-end closing alone.",
        "gaps": "The job ad required written Norwegian at contract level; your case draft "
        "needed edits.",
    }.items():
        assert (await coach.answer_step(who, refs[2], step, text)).accepted
    assert (await coach.finish(who, refs[2])).cards
    listing = await say(coach, who, "list")
    built = blocks.reply_blocks(listing, texts(guides, "en"), "en")
    shown = "\n".join(all_plain(built))
    for name, ref in zip(("Kari Nordmann", "Ola Hansen", "Siv Berg"), refs, strict=True):
        assert shown.count(name) == 1, name
        assert ref not in shown, ref
    assert "Nurse · 0 days since rejection · waiting for a call" in shown
    assert "Last note: voicemail, try after four" in shown
    rows = [b for b in built if b["type"] == "actions"]
    assert len(rows) == 3
    for row in rows:
        assert len(row["elements"]) <= 2
        assert row["elements"][0]["type"] == "button"
        assert all(e["type"] == "overflow" for e in row["elements"][1:])
    primary = [row["elements"][0]["value"] for row in rows]
    assert primary == [f"start {refs[0]}", f"start {refs[1]}", f"log {refs[2]} called"]
    menus = json.dumps([row["elements"][1] for row in rows])
    assert f"log {refs[0]} called" not in menus  # no "Called" before the call is prepared
    assert f"start {refs[2]}" in menus  # "Edit answers" once prepared


async def test_script_title_once(
    coach: Coach, person: Callable[..., Identity], guides: GuideBook
) -> None:
    who = person()
    reply = await say(coach, who, "add Kari Nordmann | Nurse")
    ref = reply.cards[0].buttons[0].command.split()[-1]
    answers = {
        "competence": "Your six years of payroll in Visma were relevant, but the role needs "
        "someone who has run the year-end closing alone.",
        "gaps": "The job ad required written Norwegian at contract level; your case draft "
        "needed edits.",
    }
    for step, text in answers.items():
        assert (await coach.answer_step(who, ref, step, text)).accepted
    script = await coach.finish(who, ref)
    built = blocks.reply_blocks(script, texts(guides, "en"), "en")
    shown = "\n".join(all_plain(built))
    assert len(re.findall("Your call script for Kari Nordmann", shown)) == 1
    assert answers["gaps"] in shown
