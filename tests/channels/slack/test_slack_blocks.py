"""The Block Kit builders are pure: engine objects in, Slack JSON out, no network."""

from __future__ import annotations

import functools

from bot.channels.slack import blocks
from bot.messages import Button, Card, Form, FormField, Reply
from conversation_guides import GuideBook


def texts(guides: GuideBook, language: str = "en") -> blocks.Texts:
    return functools.partial(guides.text, language)


def form(**field: str) -> Form:
    return Form(
        candidate_id="k7f3qa",
        title="A title that is much longer than Slack allows",
        intro="Call to Kari.",
        fields=[
            FormField(
                key="competence",
                label="Relevant competence",
                question="What did they bring?",
                tip="Name one real strength first.",
                example="x" * 400,
                required=True,
                **field,
            ),
            FormField(
                key="luxury_problem",
                label="Luxury problem",
                question="Several strong candidates?",
                tip="Say so.",
                example="",
                required=False,
            ),
        ],
        submit_label="Make my call script",
    )


def test_checklist_modal(guides: GuideBook) -> None:
    view = blocks.checklist_modal(form(value="Saved text"), texts(guides), "meta")
    assert view["type"] == "modal" and view["callback_id"] == "checklist"
    assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24
    assert view["private_metadata"] == "meta"
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == ["competence", "luxury_problem"]
    assert [b["optional"] for b in inputs] == [False, True]
    first = inputs[0]
    assert first["element"]["multiline"] is True
    assert first["element"]["initial_value"] == "Saved text"
    assert first["hint"]["text"] == "Name one real strength first."
    assert len(first["element"]["placeholder"]["text"]) <= 150
    assert "initial_value" not in inputs[1]["element"]


def test_form_errors_and_state_values() -> None:
    with_error = form(error="Too vague.")
    assert blocks.form_errors(with_error) == {"competence": "Too vague."}
    values = {
        "competence": {"answer": {"type": "plain_text_input", "value": "Concrete."}},
        "gaps": {"answer": {"type": "plain_text_input", "value": None}},
        "internal": {"internal": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}},
    }
    assert blocks.state_values(values) == {"competence": "Concrete.", "gaps": ""}
    assert blocks.checked(values, "internal") and not blocks.checked(values, "gaps")


def test_metadata_round_trip_and_bare_ids() -> None:
    text = blocks.encode_metadata("k7f3qa", response_url="http://127.0.0.1/respond/1")
    assert blocks.decode_metadata(text) == {
        "candidate": "k7f3qa",
        "response_url": "http://127.0.0.1/respond/1",
    }
    assert blocks.decode_metadata("k7f3qa") == {"candidate": "k7f3qa"}
    assert blocks.decode_metadata("{broken") == {}
    huge = blocks.encode_metadata("k7f3qa", response_url="x" * 4000)
    assert blocks.decode_metadata(huge) == {"candidate": "k7f3qa"}


def test_reply_blocks_are_plain_text_and_within_limits(guides: GuideBook) -> None:
    cards = [
        Card(
            title=f"<!channel> *Person {n}*",
            buttons=[Button(label="Called" * 30, command=f"log p{n} called", style="primary")],
        )
        for n in range(80)
    ]
    reply = Reply(text="\n".join(f"line {n} " + "y" * 200 for n in range(400)), cards=cards)
    result = blocks.reply_blocks(reply, texts(guides), "en")
    assert len(result) <= blocks.MAX_MESSAGE_BLOCKS
    for block in result:
        if block["type"] == "section":
            assert block["text"]["type"] == "plain_text"
            assert len(block["text"]["text"]) <= 3000
        for element in block.get("elements", []):
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75
                assert element["style"] == "primary"
                assert blocks.ACTION_ID_PATTERN.match(element["action_id"])
    assert "more" in result[-1]["elements"][0]["text"]


def test_text_sections_keep_every_line_when_it_fits() -> None:
    text = "\n".join(f"line {n} " + "z" * 100 for n in range(60))
    sections, left_out = blocks.text_sections(text)
    assert left_out == 0
    assert "\n".join(s["text"]["text"] for s in sections) == text


def test_mark_done_replaces_only_the_clicked_row() -> None:
    message = [
        {"type": "section", "text": {"type": "plain_text", "text": "Script"}},
        {"type": "actions", "block_id": "card:0", "elements": []},
        {"type": "actions", "block_id": "card:1", "elements": []},
    ]
    updated = blocks.mark_done(message, "card:0", "Logged: Kari – called")
    assert [b.get("block_id") for b in updated] == [None, "done:card:0", "card:1"]
    assert "Logged: Kari – called" in updated[1]["text"]["text"]


def test_checklist_message_has_a_retry_button(guides: GuideBook) -> None:
    result = blocks.checklist_message(form(), texts(guides, "nb"), "nb", "Notice")
    retry = result[-1]["elements"][0]
    assert retry["value"] == "start k7f3qa"
    assert retry["text"]["text"] == guides.text("nb", "slack_retry_checklist")
    assert "Tips: Name one real strength first." in str(result)


def test_home_view_caps_blocks_and_offers_add(guides: GuideBook) -> None:
    cards = [
        Card(title=f"P{n}", buttons=[Button(label="Go", command=f"start p{n}")]) for n in range(80)
    ]
    view = blocks.home_view(texts(guides), "en", cards, "Waiting (80)", banner="Added.")
    assert view["type"] == "home"
    assert len(view["blocks"]) <= blocks.MAX_VIEW_BLOCKS
    assert view["blocks"][1]["text"]["text"] == "Added."
    add = view["blocks"][2]["elements"][0]
    assert (add["action_id"], add["value"]) == (blocks.ADD_BUTTON, "en")
    assert "more" in str(view["blocks"][-1])


def test_action_ids_carry_the_language() -> None:
    assert blocks.language_of_action(blocks.action_id("nb", 3), "en") == "nb"
    assert blocks.language_of_action("something-else", "en") == "en"
