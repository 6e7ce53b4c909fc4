"""The Adaptive Card builders are pure: engine replies in, card JSON out, no network."""

from __future__ import annotations

from typing import Any

from bot import commands
from bot.channels.teams import cards
from bot.channels.teams.activities import submitted_answers, submitted_request
from bot.messages import Button, Card, Form, FormField

LABELS = cards.Labels(
    tip="Tip: {tip}",
    example="For example: {example}",
    optional="(optional)",
    placeholder="What will you say?",
    skip_reason="Why?",
    skip_submit="Log as skipped",
    result="Result: {result}",
)


def _form(error: str | None = None) -> Form:
    return Form(
        candidate_id="k7f3qa",
        title="Prepare the feedback call",
        intro="Call to Kari about Nurse.",
        submit_label="Make my call script",
        fields=[
            FormField(
                key="competence",
                label="Relevant competence",
                question="What did they bring?",
                tip="Name one real strength first.",
                example="Five years of payroll.",
                required=True,
                value="You were not the right fit.",
                error=error,
            ),
            FormField(
                key="luxury_problem",
                label="The luxury problem",
                question="Several strong candidates?",
                tip="Say so plainly.",
                example="Three strong finalists.",
                required=False,
            ),
        ],
    )


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every element of a card, depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "type" in node:
            found.append(node)
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found


def test_checklist_card_has_one_multiline_input_per_step_with_the_tip_under_it() -> None:
    card = cards.checklist_card(_form(), LABELS)
    assert card["type"] == "AdaptiveCard" and card["version"] == cards.VERSION
    inputs = [e for e in _walk(card) if e["type"] == "Input.Text"]
    assert [i["id"] for i in inputs] == ["competence", "luxury_problem"]
    assert all(i["isMultiline"] for i in inputs)
    assert inputs[0]["value"] == "You were not the right fit."
    # No side column (too narrow on a phone): the tip and example follow the field.
    assert not [e for e in card["body"] if e["type"] == "ColumnSet"]
    at = [e.get("id") for e in card["body"]].index("competence")
    assert card["body"][at + 1]["text"] == "Tip: Name one real strength first."
    assert card["body"][at + 2]["text"].startswith("For example:")
    texts = [e["text"] for e in _walk(card) if e["type"] == "TextBlock"]
    assert "The luxury problem (optional)" in texts
    submit, in_chat = card["actions"]
    assert submit["type"] == "Action.Submit"
    assert submit["data"] == {"action": "checklist", "candidate": "k7f3qa"}
    assert in_chat["data"] == {"action": "chat_checklist", "candidate": "k7f3qa"}


def test_checklist_card_shows_each_fields_error_and_the_notice() -> None:
    card = cards.checklist_card(_form(error="Be concrete."), LABELS, notice="Some points...")
    blocks = [e for e in _walk(card) if e["type"] == "TextBlock"]
    attention = [b["text"] for b in blocks if b.get("color") == "Attention"]
    assert attention == ["Some points...", "Be concrete."]
    at = [e.get("id") for e in card["body"]].index("competence")
    assert card["body"][at + 3]["text"] == "Be concrete."


def test_script_card_buttons_carry_grammar_commands_and_skip_asks_for_a_reason() -> None:
    script = Card(
        title="Your call script for Kari",
        lines=["Hi Kari", "Apply again"],
        buttons=[
            Button(label="Called", command="log k7f3qa called", style="primary"),
            Button(label="Skipped", command="log k7f3qa skipped", style="danger"),
            Button(label="May keep CV", command="consent k7f3qa"),
        ],
    )
    card = cards.script_card(script, "k7f3qa", LABELS)
    called, more = card["actions"]
    assert more["type"] == "Action.ShowCard" and more["title"] == LABELS.more
    skipped, consent = more["card"]["actions"]
    assert called == {
        "type": "Action.Submit",
        "title": "Called",
        "style": "positive",
        "data": {"command": "log k7f3qa called", "card": "script", "candidate": "k7f3qa"},
    }
    assert skipped["type"] == "Action.ShowCard"
    (note,) = skipped["card"]["body"]
    assert note["id"] == "note"
    (confirm,) = skipped["card"]["actions"]
    assert confirm["data"]["append"] == "note"
    assert consent["data"]["command"] == "consent k7f3qa"

    done = cards.script_card(script, "k7f3qa", LABELS, result="Logged: called", pending=False)
    assert "actions" not in done
    assert done["body"][-1]["text"] == "Result: Logged: called"


def test_a_submit_hands_the_typed_request_with_the_typed_reason() -> None:
    value = {"command": "log k7f3qa skipped", "append": "note", "note": "  met  in person "}
    words, command = submitted_request(value) or ("", None)
    assert words == "log k7f3qa skipped"
    assert command == commands.Log(candidate="k7f3qa", outcome="skipped", note="met in person")
    assert submitted_request({"command": "list"}) == ("list", commands.ListCandidates())
    assert submitted_request({"command": 5}) is None
    assert submitted_request({}) is None
    # A reason longer than a note may be is a polite "too long", not an exception.
    too_long = {**value, "note": "x" * (commands.MAX_NOTE + 1)}
    _, refused = submitted_request(too_long) or ("", None)
    assert refused == commands.ParseError(problem="too_long", usage="usage_log")


def test_submitted_answers_are_the_inputs_only() -> None:
    value = {"action": "checklist", "candidate": "k7f3qa", "competence": "x", "gaps": "y", "n": 1}
    assert submitted_answers(value) == {"competence": "x", "gaps": "y"}
