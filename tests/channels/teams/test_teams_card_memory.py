"""Which card the bot updates when Teams leaves out replyToId: the remembered one, and only
the latest few candidates' (the memory lives in conversation state, so it must stay small)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams import deps as teams_deps
from storage.tables import Candidate
from tests.support.teams_api import FakeConnector, Teams

VAGUE = "You were not the right fit."


async def _refs(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    async with sessions() as session:
        rows = await session.scalars(select(Candidate))
        return {row.name: row.public_id for row in rows}


async def _start(teams: Teams, connector: FakeConnector, ref: str) -> str:
    connector.clear()
    assert await teams.say(f"start {ref}") == 201
    (card,) = connector.messages()
    assert card.returned_id
    return card.returned_id


async def _submit_without_reply_to(teams: Teams, connector: FakeConnector, ref: str) -> Any:
    """A vague answer, so the checklist comes back: as an update if the card is remembered."""
    connector.clear()
    value = {"action": "checklist", "candidate": ref, "competence": VAGUE, "gaps": VAGUE}
    assert await teams.post(teams.submit(value, reply_to=None)) == 201
    (call,) = connector.calls
    return call


async def test_without_reply_to_the_remembered_checklist_card_is_updated(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert await teams.say("add Kari Nordmann | Nurse") == 201
    ref = (await _refs(sessions))["Kari Nordmann"]
    card_id = await _start(teams, bot_connector, ref)
    call = await _submit_without_reply_to(teams, bot_connector, ref)
    assert call.method == "PUT" and call.path.endswith(f"/activities/{card_id}")


async def test_only_the_most_recently_used_cards_are_remembered(
    teams: Teams,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The real trimming, with room for two candidates instead of fifty.
    monkeypatch.setattr(teams_deps, "MAX_REMEMBERED_CARDS", 2)
    for name in ("Anna", "Berit", "Cato"):
        assert await teams.say(f"add {name} Nordmann | Nurse") == 201
    refs = await _refs(sessions)
    anna, berit, cato = (refs[f"{n} Nordmann"] for n in ("Anna", "Berit", "Cato"))

    await _start(teams, bot_connector, anna)
    await _start(teams, bot_connector, berit)
    # Anna's card again: she is now the most recent, so Berit is the one Cato pushes out.
    anna_card = await _start(teams, bot_connector, anna)
    cato_card = await _start(teams, bot_connector, cato)

    call = await _submit_without_reply_to(teams, bot_connector, cato)
    assert call.method == "PUT" and call.path.endswith(f"/activities/{cato_card}")
    call = await _submit_without_reply_to(teams, bot_connector, anna)
    assert call.method == "PUT" and call.path.endswith(f"/activities/{anna_card}")
    # Berit's card was forgotten: her checklist comes as a new card, not an update.
    call = await _submit_without_reply_to(teams, bot_connector, berit)
    assert call.method == "POST" and call.body["attachments"]
