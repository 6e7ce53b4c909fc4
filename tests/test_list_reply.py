"""The `list` reply, whole: every line, card, button and their order, in both languages.

The list is the coach's hottest path and is built for speed (templates prepared once per
language, cards as plain data); this pins what it must still say. The expected reply is made
here field by field from the guides' own templates, the plain way, and one line per language
is also checked word for word, so that this reference is itself tied to what users read."""

from __future__ import annotations

from collections.abc import Callable

from bot.coach import Coach
from bot.messages import Button, Card, Identity, Reply
from conversation_guides import GuideBook
from tests.support.database import Clock
from tests.support.engine import CONCRETE, add, say


async def _candidates(coach: Coach, who: Identity, clock: Clock) -> dict[str, str]:
    """Five candidates, oldest first: each kind of row the list shows."""
    refs: dict[str, str] = {}
    refs["plain"] = await add(coach, who, "add Kari Nordmann | Nurse")
    clock.advance(days=2)
    refs["prepared"] = await add(coach, who, "add Per Hansen | Team lead | internal")
    done = await coach.submit_checklist(who, refs["prepared"], CONCRETE)
    assert done.form is None, done.text
    await say(coach, who, f"log {refs['prepared']} no-answer")
    clock.advance(days=1)
    refs["noted"] = await add(coach, who, "add Siri Dahl | Driver")
    await say(coach, who, f"log {refs['noted']} no-answer left a voicemail")
    await say(coach, who, f"log {refs['noted']} no-answer")
    refs["called"] = await add(coach, who, "add Ola Berg | Nurse")
    await say(coach, who, f"log {refs['called']} called")
    clock.advance(days=1)
    refs["internal"] = await add(coach, who, "add Ida Lie | Team lead | internal")
    await say(coach, who, f"log {refs['internal']} skipped moved to another team")
    return refs


def _expected(guides: GuideBook, language: str, refs: dict[str, str]) -> Reply:
    def t(key: str, **values: object) -> str:
        return guides.text(language, key, **values)

    pending = [
        # name, ref, position, internal, days, attempts, prepared, last note
        ("Kari Nordmann", refs["plain"], "Nurse", False, 4, 0, False, None),
        ("Per Hansen", refs["prepared"], "Team lead", True, 2, 1, True, None),
        ("Siri Dahl", refs["noted"], "Driver", False, 1, 2, False, "left a voicemail"),
    ]
    closed = [
        ("Ola Berg", refs["called"], "Nurse", False, 1, "called", None),
        ("Ida Lie", refs["internal"], "Team lead", True, 0, "skipped", "moved to another team"),
    ]
    lines: list[str] = []
    cards: list[Card] = []
    for name, ref, position, internal, days, attempts, prepared, note in pending:
        status = t("status_pending", attempts=attempts)
        suffix = "_internal" if internal else ""
        values = {"name": name, "id": ref, "position": position, "days": days, "status": status}
        lines.append(t(f"candidate_line{suffix}", **values))
        row = t(f"candidate_row{suffix}", position=position, days=days, status=status)
        card_lines = [row]
        if note:
            lines[-1] += "\n  " + t("candidate_note", note=note)
            card_lines.append(t("candidate_note", note=note))
        called = Button(label=t("button_called"), command=f"log {ref} called", style="primary")
        no_answer = Button(label=t("button_no_answer"), command=f"log {ref} no-answer")
        declined = Button(label=t("button_declined"), command=f"log {ref} declined")
        skipped = Button(label=t("button_skipped"), command=f"log {ref} skipped", style="danger")
        consent = Button(label=t("button_consent"), command=f"consent {ref}")
        if prepared:
            edit = Button(label=t("button_edit"), command=f"start {ref}")
            buttons = [called, no_answer, declined, skipped, edit, consent]
        else:
            prepare = Button(label=t("button_prepare"), command=f"start {ref}", style="primary")
            buttons = [prepare, declined, skipped]
        cards.append(Card(title=name, lines=card_lines, buttons=buttons))
    for name, ref, position, internal, days, outcome, note in closed:
        suffix = "_internal" if internal else ""
        status = t(f"outcome_{outcome}")
        values = {"name": name, "id": ref, "position": position, "days": days, "status": status}
        line = t(f"candidate_line{suffix}", **values)
        lines.append(line + ("\n  " + t("candidate_note", note=note) if note else ""))
    # Oldest first, which here is pending first: Kari (4 days), Per (2), Siri, then Ola (1 day,
    # added after Siri), Ida (0).
    header = t("list_header", count=5)
    text = header + "\n" + "\n".join(lines)
    heading = header + "\n" + t("list_done_elsewhere", count=2)
    return Reply(text=text, cards=cards, heading=heading)


async def test_the_list_reply_is_every_row_card_and_button_in_order(
    coach: Coach, guides: GuideBook, person: Callable[..., Identity], clock: Clock
) -> None:
    refs = await _candidates(coach, person(language="en"), clock)
    for language in ("en", "nb"):
        reply = await say(coach, person(language=language), "list")
        expected = _expected(guides, language, refs)
        assert reply.model_dump() == expected.model_dump(), language
        assert reply == expected
    english = await say(coach, person(language="en"), "list")
    assert (
        f"• Per Hansen ({refs['prepared']}, internal) – Team lead – days since rejection: 2"
        " – waiting for a call (tries so far: 1)"
    ) in english.text.split("\n")
    assert english.cards[2].lines == [
        "Driver · 1 days since rejection · waiting for a call (tries so far: 2)",
        "Last note: left a voicemail",
    ]
    assert [b.label for b in english.cards[1].buttons] == [
        "Called",
        "No answer",
        "Declined",
        "Skipped",
        "Edit answers",
        "May keep CV",
    ]
    norwegian = await say(coach, person(language="nb"), "list")
    assert (
        f"• Ida Lie ({refs['internal']}, intern) – Team lead – dager siden avslag: 0 – hoppet over"
        "\n  Siste notat: moved to another team"
    ) in norwegian.text
    assert [(b.label, b.style) for b in norwegian.cards[0].buttons] == [
        ("Forbered samtale", "primary"),
        ("Takket nei", "default"),
        ("Hoppet over", "danger"),
    ]
