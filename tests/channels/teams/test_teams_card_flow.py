"""The checklist card, the call-script card and its outcome buttons, over real HTTP."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.tables import CallLog
from tests.support.teams_api import Call, FakeConnector, Teams, flat_actions
from tests.support.teams_cards import COMPETENCE, _answers, _candidate, _card, _checklist, _texts

VAGUE = "You were not the right fit."
GAPS = "The job ad required written Norwegian at contract level; your case draft needed edits."


def _action(card: dict[str, Any], title: str) -> dict[str, Any]:
    return next(a for a in flat_actions(card) if a["title"] == title)


async def _logs(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str | None]]:
    async with sessions() as session:
        rows = await session.scalars(select(CallLog).order_by(CallLog.id))
        return [(row.outcome, row.note) for row in rows]


def _filled(candidate: str, competence: str) -> dict[str, Any]:
    # What Teams posts on Action.Submit: the action's data merged with every input's value.
    return {
        "action": "checklist",
        "candidate": candidate,
        "competence": competence,
        "gaps": GAPS,
        "luxury_problem": "",
        "self_presentation": "",
    }


async def _script(
    teams: Teams, connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> tuple[str, Call]:
    await teams.say("add Kari Nordmann | Nurse")
    ref = (await _candidate(sessions)).public_id
    checklist = await _checklist(teams, connector, ref)
    connector.clear()
    await teams.post(teams.submit(_filled(ref, COMPETENCE), checklist.returned_id))
    (script,) = connector.messages()
    return ref, script


async def test_vague_answer_comes_back_on_the_card_then_the_same_text_is_accepted(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await teams.say("add Kari Nordmann | Nurse")
    ref = (await _candidate(sessions)).public_id
    checklist = await _checklist(teams, bot_connector, ref)
    card_id = checklist.returned_id

    bot_connector.clear()
    assert await teams.post(teams.submit(_filled(ref, VAGUE), card_id)) == 201
    (update,) = bot_connector.calls
    assert update.method == "PUT" and update.path.endswith(f"/activities/{card_id}")
    card = _card(update)
    errors = [b for b in card["body"] if b.get("color") == "Attention"]
    assert errors[0]["text"].startswith("Some points need to be more concrete")
    # The tip and example sit under the field (not in a side column), the error after them.
    assert not any(b["type"] == "ColumnSet" for b in card["body"])
    at = next(i for i, b in enumerate(card["body"]) if b.get("id") == "competence")
    field, tip, example, error = card["body"][at : at + 4]
    assert (field["id"], field["value"]) == ("competence", VAGUE)
    assert tip["text"].startswith("Tip:") and example["text"].startswith("For example:")
    assert "send the same text again" in error["text"]
    # Nothing the recruiter wrote is lost: the concrete answer is already stored.
    assert await _answers(sessions) == {"gaps": GAPS}

    bot_connector.clear()
    assert await teams.post(teams.submit(_filled(ref, VAGUE), card_id)) == 201
    update, script = bot_connector.calls
    assert (update.method, script.method) == ("PUT", "POST")
    assert _texts(_card(update)) == [f"Checklist saved for {ref}. Your call script follows."]
    script_card = _card(script)
    texts = _texts(script_card)
    assert texts[0] == "Your call script for Kari Nordmann"
    # The point is a line of its own, said as written, after a spoken lead-in.
    assert f"Let me say something about what you bring. {VAGUE}" in texts
    # One button in sight and "More" for the rest: two actions at most.
    assert [a["title"] for a in script_card["actions"]] == ["Called", "More"]
    titles = [a["title"] for a in flat_actions(script_card)]
    assert titles == ["Called", "No answer", "Declined", "Skipped", "May keep CV"]
    assert await _answers(sessions) == {"gaps": GAPS, "competence": VAGUE}


async def test_called_logs_once_even_when_delivered_twice_and_updates_the_card(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ref, script = await _script(teams, bot_connector, sessions)
    called = _action(_card(script), "Called")
    assert called["data"]["command"] == f"log {ref} called"
    click = teams.submit(called["data"], script.returned_id)

    bot_connector.clear()
    assert await teams.post(click) == 201
    (update,) = bot_connector.calls
    assert update.method == "PUT" and update.path.endswith(f"/activities/{script.returned_id}")
    card = _card(update)
    assert "Result: Logged: Kari Nordmann – called. Thank you for closing the loop." in _texts(card)
    assert "actions" not in card  # nothing more to log

    assert await teams.post(click) == 201  # the Bot Framework redelivers the same activity
    assert await _logs(sessions) == [("called", None)]
    assert len(bot_connector.updates()) == 1
    assert (await _candidate(sessions)).outcome == "called"


async def test_no_answer_keeps_the_buttons_and_skipped_asks_for_a_reason(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    ref, script = await _script(teams, bot_connector, sessions)
    card = _card(script)
    assert _action(card, "No answer")["data"]["candidate"] == ref

    bot_connector.clear()
    await teams.post(teams.submit(_action(card, "No answer")["data"], script.returned_id))
    (update,) = bot_connector.updates()
    updated = _card(update)
    assert any(t.startswith("Result: Logged: no answer from Kari") for t in _texts(updated))
    assert [a["title"] for a in flat_actions(updated)][:2] == ["Called", "No answer"]

    skip = _action(updated, "Skipped")
    assert skip["type"] == "Action.ShowCard"
    (confirm,) = skip["card"]["actions"]
    value = {**confirm["data"], "note": "internal candidate, we meet in person"}
    bot_connector.clear()
    await teams.post(teams.submit(value, script.returned_id))
    (update,) = bot_connector.updates()
    assert "Result: Logged: Kari Nordmann – skipped. Thank you for closing the loop." in _texts(
        _card(update)
    )
    assert await _logs(sessions) == [
        ("no-answer", None),
        ("skipped", "internal candidate, we meet in person"),
    ]


async def test_buttons_on_other_cards_run_their_command(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await teams.say("add Kari Nordmann | Nurse")
    added = bot_connector.messages()[-1]
    prepare = _action(_card(added), "Prepare call")
    bot_connector.clear()
    await teams.post(teams.submit(prepare["data"], added.returned_id))
    (checklist,) = bot_connector.cards()
    assert checklist["actions"][0]["data"]["action"] == "checklist"

    bot_connector.clear()
    await teams.post(teams.submit({"something": "else"}, None))
    assert bot_connector.texts() == [
        "I didn't understand that button. Type help to see what I can do."
    ]


async def test_a_redelivered_checklist_submit_does_not_count_as_sending_it_again(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await teams.say("add Kari Nordmann | Nurse")
    ref = (await _candidate(sessions)).public_id
    checklist = await _checklist(teams, bot_connector, ref)
    submit = teams.submit(_filled(ref, VAGUE), checklist.returned_id)
    assert await teams.post(submit) == 201
    assert await teams.post(submit) == 201  # the same delivery again, not a second click
    # Still flagged: only the recruiter sending the same text again may accept it.
    assert "competence" not in await _answers(sessions)
    # The redelivery shows the same flag again rather than taking it as "sent twice".
    flagged_again = _texts(_card(bot_connector.calls[-1]))
    assert any(
        text.startswith("This will be hard for the candidate to act on") for text in flagged_again
    )
