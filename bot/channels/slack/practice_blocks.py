"""Pure Block Kit for a practice call: one modal, updated turn by turn. No I/O here."""

from __future__ import annotations

from typing import Any

from bot.channels.slack.blocks import (
    MAX_METADATA,
    MAX_PLAIN_INPUT_LABEL,
    MAX_VIEW_BLOCKS,
    MAX_VIEW_TITLE,
    Block,
    Texts,
    context,
    plain,
    section,
    text_sections,
)
from bot.messages import PracticeView

PRACTICE = "practice"
LINE = "line"
# The last lines of the exchange shown in the modal; the whole call would not fit the screen.
SHOWN_LINES = 8


def line_block_id(view: PracticeView) -> str:
    """A new block_id each turn, so Slack shows an empty box instead of the last line typed."""
    return f"{LINE}:{len(view.lines)}"


def practice_modal(view: PracticeView, t: Texts) -> dict[str, Any]:
    """The exchange so far and a box for the recruiter's next line; the practice state rides
    in private_metadata (at most 3,000 characters, which the engine's packing keeps)."""
    if view.done:
        return debrief_modal(view, t)
    blocks: list[Block] = []
    if view.intro:
        blocks.append(context(view.intro))
    for line in view.lines[-SHOWN_LINES:]:
        text = f"{line.label}: {line.text}"
        blocks.append(section(text) if line.speaker == "candidate" else context(text))
    blocks.append(
        {
            "type": "input",
            "block_id": line_block_id(view),
            "label": plain(view.prompt, MAX_PLAIN_INPUT_LABEL),
            "element": {
                "type": "plain_text_input",
                "action_id": LINE,
                "multiline": True,
                "max_length": 1000,
                "focus_on_load": True,
            },
        }
    )
    modal: dict[str, Any] = {
        "type": "modal",
        "callback_id": PRACTICE,
        "title": plain(view.title, MAX_VIEW_TITLE),
        "submit": plain(view.say_label, MAX_VIEW_TITLE),
        "close": plain(t("slack_close"), MAX_VIEW_TITLE),
        "blocks": blocks[-MAX_VIEW_BLOCKS:],
        "private_metadata": view.state[:MAX_METADATA],
    }
    return modal


def debrief_modal(view: PracticeView, t: Texts) -> dict[str, Any]:
    blocks, _ = text_sections(view.intro, MAX_VIEW_BLOCKS)
    return {
        "type": "modal",
        "title": plain(view.title, MAX_VIEW_TITLE),
        "close": plain(t("practice_close"), MAX_VIEW_TITLE),
        "blocks": blocks,
    }


def submitted_line(values: Any) -> str:
    """The recruiter's line from a submitted practice modal ("" when there is none)."""
    if not isinstance(values, dict):
        return ""
    for block_id, elements in values.items():
        if not (isinstance(block_id, str) and block_id.startswith(LINE)):
            continue
        element = elements.get(LINE) if isinstance(elements, dict) else None
        value = element.get("value") if isinstance(element, dict) else None
        return value if isinstance(value, str) else ""
    return ""
