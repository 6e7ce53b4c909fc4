"""The call script through Teams: the recruiter's name from `from.name`, the organisation from
COACH_ORGANISATION, the position's starting point and "among the strongest" on the card, and
directions in subtle text on the script card."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from conversation_guides import GuideBook
from storage.tables import Candidate
from tests.support.teams_api import FakeConnector, Teams

REQUIREMENTS = "We weighed experience running the year-end close alone in Visma most."
STRENGTHS = "We chose someone who has led a migration to SAP in an organisation of our size."
COMPETENCE = (
    "Your six years of payroll in Visma were relevant, but the role needs someone who has "
    "run the year-end closing alone."
)
VALUE = "Your team relies on how you run the on-call rota and train every new hire."


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        COACH_ADMINS="admin-user",
        COACH_ORGANISATION="Acme",
        COACH_TALENT_POOL_MONTHS="6",
    )


def _text_inputs(node: object) -> list[dict[str, Any]]:
    """Every Input.Text of a card, wherever the layout puts it."""
    if isinstance(node, list):
        return [found for item in node for found in _text_inputs(item)]
    if not isinstance(node, dict):
        return []
    own = [node] if node.get("type") == "Input.Text" else []
    return own + [found for value in node.values() for found in _text_inputs(value)]


def _card(body: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = body["attachments"]
    return attachment["content"]


async def _ref(sessions: async_sessionmaker[AsyncSession], name: str) -> str:
    async with sessions() as session:
        found = await session.scalar(select(Candidate).where(Candidate.name == name))
        assert found is not None
        return found.public_id


async def _script(
    teams: Teams,
    connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    add: str,
    extra: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Add, open the checklist card, submit it; the checklist card and the script card."""
    await teams.say(add)
    ref = await _ref(sessions, add.split("|")[0].removeprefix("add ").strip())
    connector.clear()
    assert await teams.say(f"start {ref}") == 201
    (checklist,) = connector.messages()
    card = _card(checklist.body)
    inputs = {item["id"]: item.get("value", "") for item in _text_inputs(card["body"])}
    connector.clear()
    value = {"action": "checklist", "candidate": ref, **inputs, "competence": COMPETENCE, **extra}
    await teams.post(teams.submit(value, checklist.returned_id))
    (script,) = connector.messages()
    return card, _card(script.body)


async def test_script_card_names_recruiter_and_organisation_and_marks_directions(
    teams: Teams,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
) -> None:
    await teams.say(f"position Payroll officer | {REQUIREMENTS} | {STRENGTHS}")
    checklist, script = await _script(
        teams, bot_connector, sessions, "add Kari Nordmann | Payroll officer",
        {"strongest": "true"},
    )  # fmt: skip
    toggle = next(b for b in checklist["body"] if b["type"] == "Input.Toggle")
    assert toggle["id"] == "strongest" and toggle["value"] == "false"
    template = guides.script("en")
    said = [b["text"] for b in script["body"][1:] if not b.get("isSubtle")]
    notes = [b["text"] for b in script["body"][1:] if b.get("isSubtle")]
    assert said[0].startswith(
        "Hi Kari, this is Rita Recruiter from Acme. "
        "I'm calling about your application for the Payroll officer position."
    )
    # The position's starting points, submitted as they stood, are in the call.
    assert f"{template.transitions['gaps']} {REQUIREMENTS}" in said
    assert f"{template.transitions['luxury_problem']} {STRENGTHS}" in said
    assert template.talent_pool.say.format(months=6) in said
    assert template.if_they_ask_title in notes and template.check_in_note in notes
    assert all(b.get("size") == "Small" for b in script["body"] if b.get("isSubtle"))


async def test_internal_applicant_card_has_no_talent_pool_and_no_elsewhere(
    teams: Teams,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
) -> None:
    checklist, script = await _script(
        teams, bot_connector, sessions, "add Per Hansen | Team lead | internal",
        {"internal_value": VALUE, "gaps": REQUIREMENTS},
    )  # fmt: skip
    assert not any(b["type"] == "Input.Toggle" for b in checklist["body"])
    template = guides.script("en")
    said = [b["text"] for b in script["body"][1:] if not b.get("isSubtle")]
    assert said[1] == f"{template.transitions['internal_value']} {VALUE}"
    assert said[2] == template.this_position_internal
    text = "\n".join(b["text"] for b in script["body"])
    for word in ("CV", "elsewhere", "somewhere else", "another employer"):
        assert word not in text
    assert " ".join(template.closing_internal) in said
    assert "May keep CV" not in [a["title"] for a in script.get("actions", [])]
