"""An admin's export arrives as a file in their DM (getUploadURLExternal, the upload itself,
completeUploadExternal, all at the local stand-in), is never pasted into a message, survives a
429 on the way, says so politely when Slack fails, and is audited exactly once."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bot.messages import Identity
from storage.tables import AuditEvent
from tests.support.hostile import Victim
from tests.support.slack import USER, Bot, settle
from tests.support.slack_api import TEAM

ADMIN = "admin-user"


@pytest.fixture
async def victim(bot: Bot) -> Victim:
    ref = await bot.add(Victim.name)
    owner = Identity(platform="slack", workspace=TEAM, user=USER)
    assert (await bot.coach.answer_step(owner, ref, "competence", Victim.answer)).accepted
    await bot.say(f"log {ref} no-answer {Victim.note}")
    return Victim(ref)


async def exports(bot: Bot) -> int:
    async with bot.sessions() as session:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export")
        return int(await session.scalar(query) or 0)


async def export(bot: Bot, victim: Victim) -> str:
    """`/feedback-call export <id>` as the admin; the ephemeral answer's text."""
    answer = await bot.say(f"export {victim.ref}", user=ADMIN)
    await settle()
    # Nothing of the export is pasted where it was asked (a channel others may read).
    assert victim.note not in json.dumps(answer) and victim.answer not in json.dumps(answer)
    for call in bot.fake.called("chat.postMessage"):
        assert victim.note not in json.dumps(call.params)
    return answer["text"]


async def test_export_is_uploaded_as_a_file_to_the_admins_dm(bot: Bot, victim: Victim) -> None:
    text = await export(bot, victim)
    filename = f"candidate-{victim.ref}.json"
    assert text.startswith("I've sent you the export as a file in our direct messages")
    assert filename in text

    (opened,) = bot.fake.called("conversations.open")
    assert opened.params["users"] == ADMIN
    (asked,) = bot.fake.called("files.getUploadURLExternal")
    (uploaded,) = bot.fake.called("upload")
    assert asked.params["filename"] == filename
    assert int(asked.params["length"]) == len(uploaded.params["body"])
    document = json.loads(uploaded.params["body"])
    assert document["candidate"] == victim.ref
    assert victim.note in uploaded.params["body"].decode()  # the notes are the person's too
    assert victim.answer in uploaded.params["body"].decode()
    (completed,) = bot.fake.called("files.completeUploadExternal")
    assert completed.params["channel_id"] == f"D{ADMIN}"
    files = json.loads(completed.params["files"])
    assert files == [{"id": uploaded.params["file_id"], "title": filename}]
    assert await exports(bot) == 1


@pytest.mark.parametrize("method", ["files.getUploadURLExternal", "upload"])
async def test_a_429_on_the_way_is_waited_out(bot: Bot, victim: Victim, method: str) -> None:
    limited = {"ok": False, "error": "ratelimited"}
    bot.fake.plan(method, status=429, headers={"Retry-After": "0"}, body=limited)
    text = await export(bot, victim)
    assert text.startswith("I've sent you the export as a file")
    assert len(bot.fake.called(method)) == 2
    assert len(bot.fake.called("files.completeUploadExternal")) == 1
    assert await exports(bot) == 1


STEPS = [
    "conversations.open",
    "files.getUploadURLExternal",
    "upload",
    "files.completeUploadExternal",
]


@pytest.mark.parametrize("method", STEPS)
async def test_slack_failing_is_said_politely_and_audited_once(
    bot: Bot, victim: Victim, method: str
) -> None:
    bot.fake.plan(method, status=500, body={"ok": False, "error": "internal_error"})
    text = await export(bot, victim)
    assert text.startswith("Slack did not take the export file")
    assert f"candidate-{victim.ref}.json" in text
    assert await exports(bot) == 1
    if method != "files.completeUploadExternal":
        assert bot.fake.called("files.completeUploadExternal") == []


async def test_a_redelivered_export_command_is_not_exported_twice(bot: Bot, victim: Victim) -> None:
    for _ in range(2):
        status, _ = await bot.slack.command(f"export {victim.ref}", user=ADMIN, trigger_id="t-7")
        assert status == 200
        await settle()
    assert len(bot.fake.called("upload")) == 1
    assert await exports(bot) == 1


async def test_an_export_button_also_sends_a_file(bot: Bot, victim: Victim) -> None:
    """Whatever asks for an export, the JSON goes out as a file, never into a message."""
    payload = bot.slack.block_action(
        {"action_id": "coach:en:0", "value": f"export {victim.ref}"},
        "card:0",
        {"type": "message", "is_ephemeral": True},
        user=ADMIN,
        response_url=bot.fake.response_url("btn"),
    )
    assert await bot.slack.interact(payload) == (200, "")
    await settle()
    (upload,) = bot.fake.called("upload")
    assert json.loads(upload.params["body"])["candidate"] == victim.ref
    answers = json.dumps(bot.fake.responses, ensure_ascii=False)
    assert "I've sent you the export" in answers and victim.note not in answers
    assert await exports(bot) == 1
