"""view_submission: a risky answer gets a second field; kept only with the requirement named."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.confirmation import AUDIT_ACTION, field_key
from storage.tables import AuditEvent
from tests.support.slack import USER, Bot
from tests.support.slack_checklist import CONCRETE, open_checklist, preparation, submit

PENSION = "You haven't worked with pension schemes, and retirement rules are half this job."
REQUIREMENT = "Payroll lead: pension schemes and retirement rules are half the position."


def _input_ids(view: dict[str, Any]) -> list[str]:
    return [block["block_id"] for block in view["blocks"] if block["type"] == "input"]


async def _audit(bot: Bot) -> list[AuditEvent]:
    async with bot.sessions() as session:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == AUDIT_ACTION))
        return list(rows)


async def test_a_risky_answer_is_kept_only_with_the_requirement_and_audited(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    view = await open_checklist(bot, candidate)
    answers = {**CONCRETE, "gaps": PENSION}

    # The errors round: Slack cannot add a block with "errors", so the modal is rebuilt with
    # the confirmation field right under the flagged answer, and what they wrote kept.
    status, body = await submit(bot, view, answers)
    assert status == 200
    response = json.loads(body)
    assert response["response_action"] == "update"
    updated = response["view"]
    ids = _input_ids(updated)
    assert ids[ids.index("gaps") + 1] == field_key("gaps")
    gaps = next(b for b in updated["blocks"] if b.get("block_id") == "gaps")
    assert gaps["element"]["initial_value"] == PENSION
    assert "which requirement of the position" in str(updated["blocks"])
    assert updated["private_metadata"] == view["private_metadata"]

    # Sending the same text again, without the requirement, never keeps it.
    status, body = await submit(bot, updated, answers)
    again = json.loads(body)
    assert again["response_action"] == "errors"
    assert "gaps" in again["errors"]
    stored = await preparation(bot, candidate)
    assert stored is not None and "gaps" not in {a.step_key for a in stored.answers}
    assert await _audit(bot) == []

    # With the requirement named in the second field, it is kept and the script is DM'd.
    confirmed = {**answers, field_key("gaps"): REQUIREMENT}
    assert await submit(bot, updated, confirmed) == (200, "")
    dm = (await bot.fake.wait_for("chat.postMessage"))[0].params
    assert dm["channel"] == USER
    assert PENSION in str(dm["blocks"])
    stored = await preparation(bot, candidate)
    assert stored is not None
    assert {a.step_key: a.text for a in stored.answers}["gaps"] == PENSION
    assert (stored.confirmations or {})["gaps"]["requirement"] == REQUIREMENT
    (event,) = await _audit(bot)
    assert event.actor_external_id == USER
    assert event.candidate_public_id == candidate
    assert event.detail == "step=gaps grounds=age"


async def test_a_thin_requirement_is_shown_as_an_error_on_the_second_field(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    view = await open_checklist(bot, candidate)
    answers = {**CONCRETE, "gaps": PENSION}
    updated = json.loads((await submit(bot, view, answers))[1])["view"]
    _, body = await submit(bot, updated, {**answers, field_key("gaps"): "ok"})
    response = json.loads(body)
    assert response["response_action"] == "errors"
    assert "not enough" in response["errors"][field_key("gaps")]
    assert await _audit(bot) == []
