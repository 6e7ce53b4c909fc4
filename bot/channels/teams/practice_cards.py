"""Pure Adaptive Cards for a practice call: one card per turn in the personal chat."""

from __future__ import annotations

from typing import Any

from bot.channels.teams.cards import adaptive_card
from bot.messages import PracticeView

PRACTICE_ACTION = "practice"
LINE_INPUT = "line"
# The last lines of the exchange shown on the card.
SHOWN_LINES = 8


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def practice_card(view: PracticeView) -> dict[str, Any]:
    """The exchange so far, a box for the next line, Say it and End practice. The practice
    state rides in the actions' data, so Teams hands it back with the line; nothing is kept
    on the server."""
    body: list[dict[str, Any]] = [_text(view.title, weight="Bolder", size="Medium")]
    if view.intro:
        body.append(_text(view.intro, isSubtle=not view.done))
    if view.done:
        return adaptive_card(body)
    for line in view.lines[-SHOWN_LINES:]:
        style = {"weight": "Bolder"} if line.speaker == "candidate" else {"isSubtle": True}
        body.append(_text(f"{line.label}: {line.text}", **style))
    body.append(
        {
            "type": "Input.Text",
            "id": LINE_INPUT,
            "label": view.prompt,
            "isMultiline": True,
            "maxLength": 1000,
        }
    )
    actions = [
        {
            "type": "Action.Submit",
            "title": view.say_label,
            "style": "positive",
            "data": {"action": PRACTICE_ACTION, "state": view.state},
        },
        {
            "type": "Action.Submit",
            "title": view.stop_label,
            "data": {"action": PRACTICE_ACTION, "state": view.state, "stop": True},
        },
    ]
    return adaptive_card(body, actions)


def submitted(value: dict[str, Any]) -> tuple[str | None, str, bool]:
    """The state, the recruiter's line and whether they chose to stop, read defensively."""
    state = value.get("state")
    line = value.get(LINE_INPUT)
    return (
        state if isinstance(state, str) else None,
        line if isinstance(line, str) else "",
        value.get("stop") is True,
    )
