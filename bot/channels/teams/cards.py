"""Pure Adaptive Card builders: engine replies in, card JSON out. No network, no botbuilder."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bot.messages import MAX_ANSWER, MAX_NOTE, Button, Card, Form, asks_for_note

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# 1.4 renders on Teams desktop, web and mobile alike.
VERSION = "1.4"

# What a card's Action.Submit carries back (Teams merges the card's inputs into it).
CHECKLIST_ACTION = "checklist"
# "Answer here in the chat instead": the checklist one point at a time (bot/checklist_chat.py).
CHAT_CHECKLIST_ACTION = "chat_checklist"
NOTE_INPUT = "note"
# The checklist's yes/no "among the strongest" (not a guide step).
STRONGEST_INPUT = "strongest"
SCRIPT_CARD = "script"

_STYLES = {"primary": "positive", "danger": "destructive"}


class Labels(BaseModel):
    """The few words a card needs beyond the engine's reply, in the user's language."""

    tip: str  # with {tip}
    example: str  # with {example}
    optional: str
    placeholder: str
    skip_reason: str
    skip_submit: str
    result: str  # with {result}
    more: str = "More"
    in_chat: str = "Answer in the chat"


def adaptive_card(
    body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """An Adaptive Card of this body and actions, full width in Teams."""
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        card["actions"] = actions
    return card


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def checklist_card(form: Form, labels: Labels, notice: str | None = None) -> dict[str, Any]:
    """One multiline input per step, id == step key, the saved answer as its value; the tip
    and the example under the field (a side column is too narrow on a phone), errors last."""
    body: list[dict[str, Any]] = [
        _text(form.title, weight="Bolder", size="Medium"),
        _text(form.intro),
    ]
    if notice:
        body.append(_text(notice, color="Attention", weight="Bolder"))
    for field in form.fields:
        label = field.label if field.required else f"{field.label} {labels.optional}"
        answer: list[dict[str, Any]] = [
            {
                "type": "Input.Text",
                "id": field.key,
                "isMultiline": True,
                # The position's starting point is prefilled, and checked like anything typed.
                "value": field.value or field.start,
                "placeholder": labels.placeholder,
                "maxLength": MAX_ANSWER,
            }
        ]
        answer += [
            _text(labels.tip.format(tip=field.tip), isSubtle=True, size="Small", spacing="Small"),
            _text(
                labels.example.format(example=field.example),
                isSubtle=True,
                size="Small",
                spacing="None",
            ),
        ]
        if field.error:
            answer.append(_text(field.error, color="Attention", size="Small"))
        body += [
            _text(label, weight="Bolder", separator=True, spacing="Medium"),
            _text(field.question),
            *answer,
        ]
    if form.strongest_question:
        body += [
            _text(form.strongest_question, weight="Bolder", separator=True, spacing="Medium"),
            {
                "type": "Input.Toggle",
                "id": STRONGEST_INPUT,
                "title": form.strongest_label,
                "value": "true" if form.strongest else "false",
                "valueOn": "true",
                "valueOff": "false",
            },
        ]
    data = {"candidate": form.candidate_id}
    submit = {
        "type": "Action.Submit",
        "title": form.submit_label,
        "style": "positive",
        "data": {"action": CHECKLIST_ACTION, **data},
    }
    in_chat = {
        "type": "Action.Submit",
        "title": labels.in_chat,
        "data": {"action": CHAT_CHECKLIST_ACTION, **data},
    }
    return adaptive_card(body, [submit, in_chat])


def _action(button: Button, labels: Labels, extra: dict[str, Any]) -> dict[str, Any]:
    data = {"command": button.command, **extra}
    if asks_for_note(button.command):
        # Skipping needs a reason: ask for it in the card rather than bounce an error back.
        note: dict[str, Any] = {
            "type": "Input.Text",
            "id": NOTE_INPUT,
            "label": labels.skip_reason,
            "maxLength": MAX_NOTE,
        }
        submit = {
            "type": "Action.Submit",
            "title": labels.skip_submit,
            "style": "destructive",
            "data": {**data, "append": NOTE_INPUT},
        }
        return {
            "type": "Action.ShowCard",
            "title": button.label,
            "card": {"type": "AdaptiveCard", "body": [note], "actions": [submit]},
        }
    action = {"type": "Action.Submit", "title": button.label, "data": data}
    if button.style in _STYLES:
        action["style"] = _STYLES[button.style]
    return action


def buttons_card(
    card: Card,
    labels: Labels,
    *,
    result: str | None = None,
    buttons: bool = True,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A candidate or a call script: title, lines, the outcome so far; the first button (the
    next step) and, for the rest, one "More" that opens them: two actions at most."""
    body = [_text(card.title, weight="Bolder", size="Medium")] if card.title else []
    body += [_text(line, spacing="Small") for line in card.lines]
    # A call script: directions in subtle small text, so the lines to say stand out.
    body += [
        _text(line.text, spacing="Medium")
        if line.kind == "say"
        else _text(line.text, spacing="Small", isSubtle=True, size="Small")
        for line in card.script
    ]
    if result:
        body.append(_text(labels.result.format(result=result), color="Good", weight="Bolder"))
    actions: list[dict[str, Any]] = []
    if buttons and len(card.buttons) <= 2:
        actions = [_action(b, labels, extra or {}) for b in card.buttons]
    elif buttons:
        actions.append(_action(card.buttons[0], labels, extra or {}))
        rest = [_action(b, labels, extra or {}) for b in card.buttons[1:]]
        if rest:
            more = {"type": "AdaptiveCard", "body": [], "actions": rest}
            actions.append({"type": "Action.ShowCard", "title": labels.more, "card": more})
    return adaptive_card(body, actions)


def script_card(
    card: Card,
    candidate_id: str,
    labels: Labels,
    *,
    result: str | None = None,
    pending: bool = True,
) -> dict[str, Any]:
    """The call script; its buttons say which card to update once an outcome is logged."""
    extra = {"card": SCRIPT_CARD, "candidate": candidate_id}
    return buttons_card(card, labels, result=result, buttons=pending, extra=extra)


def notice_card(text: str) -> dict[str, Any]:
    """What a finished checklist card turns into."""
    return adaptive_card([_text(text, weight="Bolder")])
