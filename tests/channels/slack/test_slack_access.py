"""Another recruiter, another workspace, another workspace's admin: over real, signed HTTP,
every way to reach someone else's candidate is refused politely, changes nothing, and says
nothing about the candidate. Ids no platform would send are refused before the engine."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.messages import Identity
from storage.tables import Recruiter, Workspace
from tests.channels.slack.hostile import (
    BOOKKEEPING,
    INTRUDERS,
    Victim,
    everything_sent_back,
    leaks,
    post_raw,
    verb_commands,
)
from tests.snapshots import snapshot
from tests.support.slack import USER, Bot, settle
from tests.support.slack_api import TEAM
from tests.support.slack_checklist import CONCRETE, inputs

FORM = "application/x-www-form-urlencoded"


async def command(bot: Bot, team: str, user: str, text: str, trigger: str) -> int:
    fields = {
        "team_id": team,
        "user_id": user,
        "command": "/feedback-call",
        "text": text,
        "response_url": bot.fake.response_url(trigger),
        "trigger_id": trigger,
    }
    sent = await post_raw(bot, urlencode(fields), FORM)
    await settle()
    return sent.status


def button(team: str, user: str, value: str, trigger: str, url: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": team},
        "user": {"id": user, "team_id": team},
        "trigger_id": trigger,
        "response_url": url,
        "container": {"type": "message", "is_ephemeral": True},
        "actions": [
            {"action_id": "coach:en:0", "block_id": "card:0", "value": value, "action_ts": trigger}
        ],
    }


def submission(team: str, user: str, callback: str, ref: str, values: dict, trigger: str) -> dict:
    return {
        "type": "view_submission",
        "team": {"id": team},
        "user": {"id": user, "team_id": team},
        "trigger_id": trigger,
        "view": {
            "id": "V9",
            "hash": trigger,
            "type": "modal",
            "callback_id": callback,
            "private_metadata": json.dumps({"candidate": ref}),
            "blocks": [{"type": "input", "block_id": "competence"}],
            "state": {"values": values},
        },
    }


@pytest.fixture
async def victim(bot: Bot) -> Victim:
    ref = await bot.add(Victim.name)
    owner = Identity(platform="slack", workspace=TEAM, user=USER)
    assert (await bot.coach.answer_step(owner, ref, "competence", Victim.answer)).accepted
    await bot.say(f"log {ref} no-answer {Victim.note}")
    for number, (team, user) in enumerate(INTRUDERS):
        assert await command(bot, team, user, "help", f"register-{number}") == 200
    return Victim(ref)


@pytest.mark.parametrize("intruder", INTRUDERS, ids=["colleague", "other-team", "other-admin"])
async def test_someone_elses_candidate_is_out_of_reach(
    bot: Bot, victim: Victim, intruder: tuple[str, str]
) -> None:
    team, user = intruder
    # A read-only command's inbox row waits for the next request; compare without it.
    await bot.coach.inbox.flush()
    before = await snapshot(bot.sessions, skip=BOOKKEEPING)
    calls, responses = len(bot.fake.calls), len(bot.fake.responses)
    attempts = [*verb_commands(victim.ref), "consent Zorblax", "export Zorblax", "erase Zorblax"]
    for number, text in enumerate(attempts):
        assert await command(bot, team, user, text, f"cmd-{number}") == 200, text
    url = bot.fake.response_url("button")
    for number, value in enumerate(verb_commands(victim.ref)):
        status, _ = await bot.slack.interact(button(team, user, value, f"btn-{number}", url))
        assert status == 200
    await settle()
    checklist = submission(team, user, "checklist", victim.ref, inputs(CONCRETE), "sub-1")
    status, body = await bot.slack.interact(checklist)
    assert status == 200
    # The modal stays open, the refusal under its first field: "can't find" it, nothing more.
    assert "can't find" in json.loads(body)["errors"]["competence"]
    reason = {"reason": {"answer": {"type": "plain_text_input", "value": "moved on"}}}
    status, body = await bot.slack.interact(
        submission(team, user, "skip_reason", victim.ref, reason, "sub-2")
    )
    assert status == 200 and "can't find" in body
    await settle()
    await bot.coach.inbox.flush()

    assert await snapshot(bot.sessions, skip=BOOKKEEPING) == before
    said = everything_sent_back(bot, calls, responses, body)
    assert leaks(victim, said, typed="") == []
    answers = [r["text"] for r in bot.fake.responses[responses:]]
    assert len(answers) >= len(attempts)
    refusals = ("can't find", "Only an admin of this workspace")
    assert all(any(word in text for word in refusals) for text in answers), answers


async def test_an_admin_of_the_same_workspace_can_export(bot: Bot, victim: Victim) -> None:
    """The positive control: the refusals above are about who asks, not a broken command."""
    assert await command(bot, TEAM, "admin-user", f"export {victim.ref}", "adm-1") == 200
    (upload,) = bot.fake.called("upload")
    assert json.loads(upload.params["body"])["candidate"] == victim.ref
    assert "I've sent you the export" in bot.fake.responses[-1]["text"]


@pytest.mark.parametrize(
    ("team", "user"),
    [
        ("T0\x00TEAM", USER),
        (TEAM, "U0\x00KARI"),
        ("", USER),
        (TEAM, ""),
        (TEAM, "U" * 129),
        ("T0 TEAM", USER),
        (TEAM, "U0KARI\n"),
    ],
)
async def test_unusable_ids_are_refused_before_the_engine(bot: Bot, team: str, user: str) -> None:
    before = await snapshot(bot.sessions)
    fields = {
        "team_id": team,
        "user_id": user,
        "command": "/feedback-call",
        "text": "add Ola Nordmann | Nurse",
        "trigger_id": "t1",
        "response_url": bot.fake.response_url("x"),
    }
    sent = await post_raw(bot, urlencode(fields), FORM)
    assert sent.status == 400
    assert "can't tell which workspace or user" in sent.body
    payload = button(team, user, "add Ola Nordmann | Nurse", "t2", bot.fake.response_url("y"))
    status, body = await bot.slack.interact(payload)
    assert status == 400 and "can't tell" in body
    await settle()
    assert await snapshot(bot.sessions) == before
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Workspace)) == 0
        assert await session.scalar(select(func.count()).select_from(Recruiter)) == 0
