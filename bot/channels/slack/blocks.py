"""Pure Block Kit builders: engine replies and forms in, Slack JSON out. No I/O here."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from bot.messages import Button, Card, Form, Reply, ScriptLine

# t(key, **values) -> text in the recruiter's language (GuideBook.text bound to a language).
Texts = Callable[..., str]
Block = dict[str, Any]

ACTION_PREFIX = "coach"
# Matches the action_id of every command button (see action_id()).
ACTION_ID_PATTERN = re.compile(r"^coach:[a-z]{2}:\d+$")
CHECKLIST = "checklist"
ADD_CANDIDATE = "add_candidate"
SKIP_REASON = "skip_reason"
ADD_BUTTON = "coach_add"
ANSWER = "answer"
# The checklist's yes/no "among the strongest" (not a guide step).
STRONGEST = "strongest"

# Slack's documented limits (https://docs.slack.dev/reference/block-kit).
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION = 3000
MAX_BUTTON_LABEL = 75
MAX_BUTTON_VALUE = 2000
MAX_VIEW_TITLE = 24
MAX_PLACEHOLDER = 150
MAX_OVERFLOW_OPTIONS = 5
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_PLAIN_INPUT_LABEL = 2000
MAX_FALLBACK_TEXT = 3000
MAX_METADATA = 3000
MAX_CONTEXT = 2000
# A message of more sections than this is a wall of text; the rest is summarised.
MAX_TEXT_SECTIONS = 10


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shorten(text: str, limit: int) -> str:
    """Text within `limit` characters, cut at a word boundary with "…", never mid-word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    # A single word longer than the limit has no boundary; it is the one case cut inside.
    return cut.rstrip(" ,.;:–-") + "…"


def plain(text: str, limit: int = MAX_SECTION) -> dict[str, Any]:
    # Plain text, never mrkdwn: a candidate called "*<!channel>*" must stay just a name.
    return {"type": "plain_text", "text": _clip(text or " ", limit), "emoji": True}


def section(text: str) -> Block:
    return {"type": "section", "text": plain(text)}


def context(text: str) -> Block:
    return {"type": "context", "elements": [plain(text)]}


def fallback_text(text: str) -> str:
    """The notification text of a message (shown where blocks cannot be)."""
    return _clip(text, MAX_FALLBACK_TEXT)


def action_id(language: str, index: int) -> str:
    """Every command button shares one handler; the language rides along for the first view."""
    return f"{ACTION_PREFIX}:{language}:{index}"


def language_of_action(action_id_value: str, default: str) -> str:
    parts = action_id_value.split(":")
    return parts[1] if len(parts) == 3 and parts[1] in ("nb", "en") else default


def button(item: Button, language: str, index: int) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(item.label, MAX_BUTTON_LABEL),
        "action_id": action_id(language, index),
        "value": item.command[:MAX_BUTTON_VALUE],
    }
    if item.style != "default":
        element["style"] = item.style
    return element


def actions(buttons: list[Button], language: str, block_id: str) -> Block:
    return {
        "type": "actions",
        "block_id": block_id,
        "elements": [button(item, language, index) for index, item in enumerate(buttons[:25])],
    }


def overflow(buttons: list[Button], language: str, index: int) -> Block:
    """The less used commands of a card behind one "…" menu; each option's value is words."""
    return {
        "type": "overflow",
        "action_id": action_id(language, index),
        "options": [
            {
                "text": plain(shorten(item.label, MAX_OPTION_TEXT), MAX_OPTION_TEXT),
                "value": item.command[:MAX_OPTION_VALUE],
            }
            for item in buttons[:MAX_OVERFLOW_OPTIONS]
        ],
    }


def card_actions(card: Card, language: str, block_id: str) -> Block:
    """Two buttons at most: the primary one (the next step) and, when there is more than one
    other, an overflow menu for those."""
    first, rest = card.buttons[0], card.buttons[1:]
    elements = [button(first, language, 0)]
    if len(rest) == 1:
        elements.append(button(rest[0], language, 1))
    elif rest:
        elements.append(overflow(rest, language, 1))
    return {"type": "actions", "block_id": block_id, "elements": elements}


def text_sections(text: str, max_sections: int = MAX_TEXT_SECTIONS) -> tuple[list[Block], int]:
    """Split text at line breaks into sections Slack accepts; also how many lines were left out."""
    chunks: list[str] = []
    current = ""
    lines = text.split("\n")
    left_out = 0
    for number, line in enumerate(lines):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= MAX_SECTION:
            current = candidate
            continue
        if current:
            chunks.append(current)
        if len(chunks) >= max_sections:
            left_out = len(lines) - number
            current = ""
            break
        current = line
    if current and len(chunks) < max_sections:
        chunks.append(current)
    return [section(chunk) for chunk in chunks], left_out


def script_blocks(lines: list[ScriptLine]) -> list[Block]:
    """Lines to say as sections, directions as (small, grey) context blocks; neighbours of one
    kind share a block, so a whole call fits in a message."""
    blocks: list[Block] = []
    kind, text = "", ""
    for line in lines:
        if line.kind == kind and len(text) + 2 + len(line.text) <= MAX_CONTEXT:
            text += "\n\n" + line.text
            continue
        if text:
            blocks.append(section(text) if kind == "say" else context(text))
        kind, text = line.kind, line.text
    if text:
        blocks.append(section(text) if kind == "say" else context(text))
    return blocks


def card_blocks(card: Card, language: str, index: int, whole: bool = False) -> list[Block]:
    """A card: its title (with its lines when `whole`, or its call script), then its button
    and menu."""
    if card.script:
        blocks = [section(card.title), *script_blocks(card.script)]
    elif whole:
        blocks, _ = text_sections("\n".join([card.title, *card.lines]))
    else:
        blocks = [section(card.title)]
    if card.buttons:
        blocks.append(card_actions(card, language, f"card:{index}"))
    return blocks


def reply_blocks(
    reply: Reply, t: Texts, language: str, max_blocks: int = MAX_MESSAGE_BLOCKS
) -> list[Block]:
    """A reply as a message: its text, then each card with its button and menu.

    With a `heading`, the cards carry the details (one row per candidate, a call script), so
    the heading replaces the text that would repeat them.
    """
    whole = reply.heading is not None
    blocks, left_out = text_sections(reply.heading if reply.heading is not None else reply.text)
    if left_out:
        blocks.append(context(t("slack_more", count=left_out)))
    if reply.confirm is not None:
        blocks.append(actions([reply.confirm], language, "confirm"))
    shown = 0
    for index, card in enumerate(reply.cards):
        more = card_blocks(card, language, index, whole)
        # Keep three blocks free: rows without buttons (two sections), "and N more".
        if len(blocks) + len(more) > max_blocks - 3:
            break
        blocks += more
        shown += 1
    rest = reply.cards[shown:]
    if rest and whole:
        # The rest as plain rows (no buttons): everyone is listed, as far as a section holds.
        rows = "\n".join(" – ".join([card.title, *card.lines[:1]]) for card in rest)
        sections, left_out = text_sections(rows, max_sections=2)
        blocks += sections
        if left_out:
            blocks.append(context(t("slack_more", count=left_out)))
    elif rest:
        blocks.append(context(t("slack_more", count=len(rest))))
    return blocks


def encode_metadata(candidate_id: str, **extra: str | None) -> str:
    data = {"candidate": candidate_id, **{k: v for k, v in extra.items() if v}}
    text = json.dumps(data, separators=(",", ":"))
    # A response_url is the only optional part; drop it rather than exceed Slack's limit.
    return text if len(text) <= MAX_METADATA else json.dumps({"candidate": candidate_id})


def decode_metadata(text: Any) -> dict[str, str]:
    """Our JSON metadata, or a bare candidate id (as a hand-built view may carry)."""
    text = text.strip() if isinstance(text, str) else ""
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {"candidate": text} if text else {}


def _view(
    t: Texts, title: str, blocks: list[Block], callback_id: str | None = None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        # Titles are written to fit (slack_*_title); a longer one is shortened at a word.
        "title": plain(shorten(title, MAX_VIEW_TITLE), MAX_VIEW_TITLE),
        "close": plain(t("slack_close"), MAX_VIEW_TITLE),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }
    if callback_id:
        view["callback_id"] = callback_id
    return view


def loading_modal(t: Texts) -> dict[str, Any]:
    """Opened at once with the trigger_id; replaced by the checklist when it is ready."""
    return _view(t, t("slack_app_title"), [section(t("slack_loading"))])


def message_modal(t: Texts, text: str) -> dict[str, Any]:
    blocks, _ = text_sections(text, MAX_VIEW_BLOCKS)
    return _view(t, t("slack_app_title"), blocks)


def checklist_modal(form: Form, t: Texts, metadata: str) -> dict[str, Any]:
    """One multiline input per step, block_id = step key, the tip as hint."""
    blocks: list[Block] = [section(form.intro)]
    for field in form.fields:
        blocks.append(context(field.question))
        element: Block = {
            "type": "plain_text_input",
            "action_id": ANSWER,
            "multiline": True,
            "max_length": 3000,
        }
        if field.value or field.start:
            # The position's starting point is prefilled, and checked like anything typed.
            element["initial_value"] = (field.value or field.start)[:3000]
        if field.example:
            element["placeholder"] = plain(shorten(field.example, MAX_PLACEHOLDER))
        blocks.append(
            {
                "type": "input",
                "block_id": field.key,
                "optional": not field.required,
                "label": plain(field.label, MAX_PLAIN_INPUT_LABEL),
                "hint": plain(field.tip, MAX_PLAIN_INPUT_LABEL),
                "element": element,
            }
        )
        if field.error:
            # Only in a modal rebuilt to add a confirmation field (Slack's errors response
            # cannot add one), where the inline errors cannot be shown.
            blocks.append(context(field.error))
    if form.strongest_question:
        option = {"text": plain(form.strongest_label, 75), "value": "yes"}
        element = {"type": "checkboxes", "action_id": STRONGEST, "options": [option]}
        if form.strongest:
            element["initial_options"] = [option]
        blocks.append(
            {
                "type": "input",
                "block_id": STRONGEST,
                "optional": True,
                "label": plain(form.strongest_question, MAX_PLAIN_INPUT_LABEL),
                "element": element,
            }
        )
    view = _view(t, t("slack_checklist_title"), blocks, CHECKLIST)
    view["submit"] = plain(shorten(form.submit_label, MAX_VIEW_TITLE), MAX_VIEW_TITLE)
    view["private_metadata"] = metadata
    return view


def new_inputs(form: Form, view: dict[str, Any]) -> bool:
    """Whether the form asks for an input the submitted view does not have (a confirmation)."""
    shown = {block.get("block_id") for block in view.get("blocks") or [] if isinstance(block, dict)}
    return any(field.key not in shown for field in form.fields)


def form_errors(form: Form) -> dict[str, str]:
    """`response_action: errors` content: the coaching message under each block that needs it."""
    return {field.key: field.error for field in form.fields if field.error}


def _elements(elements: Any) -> list[dict[str, Any]]:
    # A submitted view is read defensively: anything not shaped as Slack shapes it is skipped.
    if not isinstance(elements, dict):
        return []
    return [element for element in elements.values() if isinstance(element, dict)]


def state_values(values: Any) -> dict[str, str]:
    """The text of every plain-text input in a submitted view, by block_id."""
    answers: dict[str, str] = {}
    for block_id, elements in (values if isinstance(values, dict) else {}).items():
        for element in _elements(elements):
            value = element.get("value")
            if element.get("type") == "plain_text_input":
                answers[block_id] = value if isinstance(value, str) else ""
    return answers


def checked(values: Any, block_id: str) -> bool:
    elements = values.get(block_id) if isinstance(values, dict) else None
    return any(element.get("selected_options") for element in _elements(elements))


def first_input_block(view: dict[str, Any]) -> str | None:
    blocks = view.get("blocks")
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("type") == "input":
            block_id = block.get("block_id")
            return block_id if isinstance(block_id, str) else None
    return None


def checklist_message(form: Form, t: Texts, language: str, notice: str) -> list[Block]:
    """The checklist as a message (when the modal could not open), with a button to retry."""
    blocks: list[Block] = [section(notice), section(form.intro)]
    for number, field in enumerate(form.fields, start=1):
        lines = [
            f"{number}. {field.label}",
            t("slack_checklist_question", question=field.question),
            t("slack_checklist_tip", tip=field.tip),
        ]
        if field.value:
            lines.append(t("slack_checklist_saved", value=field.value))
        blocks.append(section("\n".join(lines)))
    retry = Button(
        label=t("slack_retry_checklist"), command=f"start {form.candidate_id}", style="primary"
    )
    blocks.append(actions([retry], language, "retry"))
    return blocks[:MAX_MESSAGE_BLOCKS]


def mark_done(blocks: list[Block], block_id: str, text: str) -> list[Block]:
    """The message again, with the clicked button row replaced by what was logged."""
    done = {"type": "section", "block_id": f"done:{block_id}", "text": plain(f"✓ {text}")}
    updated: list[Block] = []
    replaced = False
    for block in blocks:
        if not isinstance(block, dict):
            continue
        if block.get("block_id") == block_id and block.get("type") == "actions":
            updated.append(done)
            replaced = True
        else:
            updated.append(block)
    if not replaced:
        updated.append(done)
    return updated[:MAX_MESSAGE_BLOCKS]


def home_view(
    t: Texts, language: str, cards: list[Card], heading: str, banner: str | None = None
) -> dict[str, Any]:
    """App Home: an Add candidate button, then one row per pending candidate: name, position,
    days since rejection, status and last note, the next step's button and a menu."""
    blocks: list[Block] = [
        {"type": "header", "text": plain(t("slack_home_title"), 150)},
    ]
    if banner:
        blocks.append(section(banner))
    blocks.append(
        {
            "type": "actions",
            "block_id": "home_add",
            "elements": [
                {
                    "type": "button",
                    "text": plain(t("slack_home_add"), MAX_BUTTON_LABEL),
                    "action_id": ADD_BUTTON,
                    "value": language,
                    "style": "primary",
                }
            ],
        }
    )
    blocks += [section(heading), context(t("slack_home_intro")), {"type": "divider"}]
    shown = 0
    for index, card in enumerate(cards):
        more = card_blocks(card, language, index, whole=True)
        if len(blocks) + len(more) > MAX_VIEW_BLOCKS - 1:
            break
        blocks += more
        shown += 1
    if shown < len(cards):
        blocks.append(context(t("slack_more", count=len(cards) - shown)))
    return {"type": "home", "blocks": blocks}


def add_candidate_modal(t: Texts) -> dict[str, Any]:
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": "name",
            "label": plain(t("slack_add_name"), MAX_PLAIN_INPUT_LABEL),
            "element": {"type": "plain_text_input", "action_id": ANSWER, "max_length": 200},
        },
        {
            "type": "input",
            "block_id": "position",
            "label": plain(t("slack_add_position"), MAX_PLAIN_INPUT_LABEL),
            "element": {"type": "plain_text_input", "action_id": ANSWER, "max_length": 200},
        },
        {
            "type": "input",
            "block_id": "internal",
            "optional": True,
            "label": plain(t("slack_add_internal"), MAX_PLAIN_INPUT_LABEL),
            "element": {
                "type": "checkboxes",
                "action_id": "internal",
                "options": [{"text": plain(t("slack_add_internal_option"), 75), "value": "yes"}],
            },
        },
    ]
    view = _view(t, t("slack_add_title"), blocks, ADD_CANDIDATE)
    view["submit"] = plain(t("slack_add_submit"), MAX_VIEW_TITLE)
    view["close"] = plain(t("slack_cancel"), MAX_VIEW_TITLE)
    return view


def skip_reason_modal(t: Texts, metadata: str) -> dict[str, Any]:
    blocks: list[Block] = [
        {
            "type": "input",
            "block_id": "reason",
            "label": plain(t("slack_skip_reason"), MAX_PLAIN_INPUT_LABEL),
            "element": {
                "type": "plain_text_input",
                "action_id": ANSWER,
                "multiline": True,
                "max_length": 2000,
            },
        }
    ]
    view = _view(t, t("slack_skip_title"), blocks, SKIP_REASON)
    view["submit"] = plain(t("slack_skip_submit"), MAX_VIEW_TITLE)
    view["close"] = plain(t("slack_cancel"), MAX_VIEW_TITLE)
    view["private_metadata"] = metadata
    return view
