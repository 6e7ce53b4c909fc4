"""The Teams checklist and script cards, sent and read as the Bot Connector carries them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.tables import Candidate, PreparationAnswer
from tests.support.teams_api import Call, FakeConnector, Teams

COMPETENCE = (
    "Your six years of payroll in Visma were relevant, but the role needs someone who has "
    "run the year-end closing alone."
)


def _card(call: Call) -> dict[str, Any]:
    (attachment,) = call.body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    return attachment["content"]


def _texts(card: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


async def _candidate(sessions: async_sessionmaker[AsyncSession]) -> Candidate:
    async with sessions() as session:
        candidate = await session.scalar(select(Candidate))
        assert candidate is not None
        return candidate


async def _answers(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with sessions() as session:
        rows = await session.scalars(select(PreparationAnswer))
        # Optional points left empty are stored empty; only what was written matters here.
        return {row.step_key: row.text for row in rows if row.text}


async def _checklist(teams: Teams, connector: FakeConnector, ref: str) -> Call:
    connector.clear()
    assert await teams.say(f"start {ref}") == 201
    (call,) = connector.messages()
    return call
