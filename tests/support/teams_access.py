"""A victim's candidate and intruders in other tenants, for the Teams access and fuzz tests."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientSession

from bot.messages import Identity, is_platform_id
from storage.tables import Base
from tests.support.hostile import Victim
from tests.support.snapshots import Snapshot
from tests.support.teams_api import TENANT, Running

OWNER = "aad-user-1"
OTHER_TENANT = "tenant-0002"


# How to reach a recruiter and in which language: refreshed from every authenticated activity
# in a personal chat by design (proactive reminders use the latest), whatever it says.
PROFILE = ("language", "language_checked_at", "timezone", "conversation_reference",
           "unreachable_at", "unreachable_reason", "display_name")  # fmt: skip


# (tenant, AAD object id): a colleague, the same AAD id in another tenant, another tenant's admin.
INTRUDERS = [(TENANT, "aad-colleague"), (OTHER_TENANT, OWNER), (OTHER_TENANT, "admin-user")]


def without_profiles(rows: Snapshot) -> Snapshot:
    columns = list(Base.metadata.tables["recruiters"].columns.keys())
    keep = [i for i, name in enumerate(columns) if name not in PROFILE]
    return {**rows, "recruiters": [tuple(row[i] for i in keep) for row in rows["recruiters"]]}


def with_sender(activity: dict[str, Any], tenant: Any, user: Any) -> dict[str, Any]:
    activity = dict(activity)
    # A usable AAD id comes with Teams' own "29:" account id; an unusable one stands for both.
    account = f"29:{user}" if is_platform_id(user) else user
    activity["from"] = {"id": account, "name": "Someone", "aadObjectId": user}
    activity["conversation"] = {
        "id": f"a:personal-{user}",
        "conversationType": "personal",
        "tenantId": tenant,
    }
    activity["channelData"] = {"tenant": {"id": tenant}}
    return activity


async def post(running: Running, body: bytes, content_type: str = "application/json") -> tuple:
    async with (
        ClientSession() as client,
        client.post(
            running.teams.bot_url + "/api/messages",
            data=body,
            headers={"Content-Type": content_type},
        ) as response,
    ):
        return response.status, await response.text(errors="replace")


@pytest.fixture
async def victim(running: Running) -> Victim:
    teams = running.teams
    assert await teams.say(f"add {Victim.name} | Payroll officer") == 201
    text = running.teams.connector.texts()[-1]
    ref = text.split("(")[1].split(")")[0]
    owner = Identity(platform="teams", workspace=TENANT, user=OWNER)
    assert (await running.coach.answer_step(owner, ref, "competence", Victim.answer)).accepted
    assert await teams.say(f"log {ref} no-answer {Victim.note}") == 201
    for tenant, user in INTRUDERS:
        assert await teams.post(with_sender(teams.message("help"), tenant, user)) == 201
    return Victim(ref)
