"""Card submit over real HTTP: a risky answer gets a second input; kept only with it filled."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.confirmation import AUDIT_ACTION, field_key
from storage.tables import AuditEvent, CallPreparation
from tests.support.teams_api import FakeConnector, Teams
from tests.support.teams_cards import COMPETENCE, _answers, _candidate, _card, _checklist, _texts

PENSION = "You haven't worked with pension schemes, and retirement rules are half this job."
REQUIREMENT = "Payroll lead: pension schemes and retirement rules are half the position."


def _inputs(card: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Input.Text":
                found[node["id"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def _filled(candidate: str, **extra: str) -> dict[str, Any]:
    return {
        "action": "checklist",
        "candidate": candidate,
        "competence": COMPETENCE,
        "gaps": PENSION,
        "luxury_problem": "",
        "self_presentation": "",
        **extra,
    }


async def _audit(sessions: async_sessionmaker[AsyncSession]) -> list[AuditEvent]:
    async with sessions() as session:
        rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == AUDIT_ACTION))
        return list(rows)


async def test_a_risky_answer_is_kept_only_with_the_requirement_and_audited(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await teams.say("add Kari Nordmann | Payroll officer")
    ref = (await _candidate(sessions)).public_id
    checklist = await _checklist(teams, bot_connector, ref)
    card_id = checklist.returned_id
    assert field_key("gaps") not in _inputs(_card(checklist))

    for _ in range(2):
        # Submitting the same text, with or without a first try, never keeps it.
        bot_connector.clear()
        assert await teams.post(teams.submit(_filled(ref), card_id)) == 201
        (update,) = bot_connector.calls
        assert update.method == "PUT"
        card = _card(update)
        inputs = _inputs(card)
        assert inputs["gaps"]["value"] == PENSION
        assert field_key("gaps") in inputs
        assert any("which requirement of the position" in text for text in _texts(card))
    assert await _answers(sessions) == {"competence": COMPETENCE}
    assert await _audit(sessions) == []

    bot_connector.clear()
    confirmed = _filled(ref, **{field_key("gaps"): REQUIREMENT})
    assert await teams.post(teams.submit(confirmed, card_id)) == 201
    update, script = bot_connector.calls
    assert (update.method, script.method) == ("PUT", "POST")
    assert _texts(_card(script))[0] == "Your call script for Kari Nordmann"
    assert await _answers(sessions) == {"competence": COMPETENCE, "gaps": PENSION}
    async with sessions() as session:
        preparation = await session.scalar(select(CallPreparation))
        assert preparation is not None
        assert (preparation.confirmations or {})["gaps"]["requirement"] == REQUIREMENT
    (event,) = await _audit(sessions)
    assert event.candidate_public_id == ref
    assert event.actor_external_id
    assert event.detail == "step=gaps grounds=age"
