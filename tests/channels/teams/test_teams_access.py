"""Another AAD user, another tenant, another tenant's admin: over real HTTP, every way to reach
someone else's candidate is refused politely, changes nothing, and says nothing about them.
Ids no platform would send are refused before the engine."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.tables import Recruiter
from tests.support.hostile import BOOKKEEPING, Victim, leaks, verb_commands
from tests.support.slack_checklist import CONCRETE
from tests.support.snapshots import snapshot
from tests.support.teams_access import INTRUDERS, post, with_sender, without_profiles
from tests.support.teams_api import TENANT, FakeConnector, Running


@pytest.mark.parametrize("intruder", INTRUDERS, ids=["colleague", "other-tenant", "other-admin"])
async def test_someone_elses_candidate_is_out_of_reach(
    running: Running,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    victim: Victim,
    intruder: tuple[str, str],
) -> None:
    tenant, user = intruder
    teams = running.teams
    # Their own profile (the conversation to reach them in) is refreshed by every message.
    before = without_profiles(await snapshot(sessions, skip=BOOKKEEPING))
    bot_connector.clear()
    attempts = [*verb_commands(victim.ref), "consent Zorblax", "export Zorblax", "erase Zorblax"]
    for text in attempts:
        assert await teams.post(with_sender(teams.message(text), tenant, user)) == 201, text
    ref = victim.ref
    submits = [
        *({"command": c, "card": "script", "candidate": ref} for c in verb_commands(ref)),
        {"action": "checklist", "candidate": ref, **CONCRETE},
        {"command": f"log {ref} skipped", "append": "note", "note": "moved on"},
    ]
    for value in submits:
        activity = with_sender(teams.submit(value, reply_to=None), tenant, user)
        assert await teams.post(activity) == 201, value

    assert without_profiles(await snapshot(sessions, skip=BOOKKEEPING)) == before
    said = json.dumps([call.body for call in bot_connector.calls], ensure_ascii=False)
    assert leaks(victim, said, typed="") == []
    texts = bot_connector.texts()
    assert len(texts) == len(attempts) + len(submits)
    refusals = ("can't find", "Only an admin of this workspace")
    assert all(any(word in text for word in refusals) for text in texts), texts


async def test_an_admin_of_the_same_tenant_can_export(
    running: Running, bot_connector: FakeConnector, victim: Victim
) -> None:
    """The positive control: the refusals above are about who asks, not a broken command."""
    teams = running.teams
    bot_connector.clear()
    activity = with_sender(teams.message(f"export {victim.ref}"), TENANT, "admin-user")
    assert await teams.post(activity) == 201
    said = json.dumps([call.body for call in bot_connector.calls], ensure_ascii=False)
    assert "can't find" not in said and "Only an admin" not in said
    assert f"candidate-{victim.ref}.json" in said


@pytest.mark.parametrize(
    ("tenant", "user"),
    [
        ("tenant\x00-1", "aad-user-9"),
        (TENANT, "aad\x00user"),
        ("", "aad-user-9"),
        (TENANT, ""),
        ("tenant 1", "aad-user-9"),
        (TENANT, "aad-user-9\n"),
        (TENANT, "x" * 2000),
    ],
)
async def test_unusable_ids_are_refused_before_the_engine(
    running: Running,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    tenant: str,
    user: str,
) -> None:
    before = await snapshot(sessions)
    teams = running.teams
    for activity in (
        teams.message("add Ola Nordmann | Nurse"),
        teams.submit({"command": "add Ola Nordmann | Nurse"}, reply_to=None),
        teams.install(),
    ):
        status, body = await post(running, json.dumps(with_sender(activity, tenant, user)).encode())
        assert status == 400
        assert "can't tell which workspace or user" in json.loads(body)["error"]
    assert bot_connector.calls == []
    assert await snapshot(sessions) == before
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Recruiter)) == 0


async def test_a_teams_activity_without_a_tenant_is_not_put_in_a_shared_workspace(
    running: Running, sessions: async_sessionmaker[AsyncSession]
) -> None:
    activity = running.teams.message("add Ola Nordmann | Nurse")
    del activity["channelData"]
    del activity["conversation"]["tenantId"]
    status, _ = await post(running, json.dumps(activity).encode())
    assert status == 400
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Recruiter)) == 0
