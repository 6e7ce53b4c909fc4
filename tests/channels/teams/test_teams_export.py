"""An admin's export in Teams: a JSON file in the chat (inline, data: URL) when it is small,
a clear message when it is too large for a chat, never pasted as text; connector failures
handled as for every other message; audited exactly once."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams.activities import INLINE_EXPORT_LIMIT
from storage.tables import AuditEvent
from tests.support.hostile import Victim
from tests.support.teams_access import with_sender
from tests.support.teams_api import TENANT, FakeConnector, Running


async def exports(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export")
        return int(await session.scalar(query) or 0)


async def export(running: Running, ref: str) -> int:
    activity = with_sender(running.teams.message(f"export {ref}"), TENANT, "admin-user")
    return await running.teams.post(activity)


def sent(bot_connector: FakeConnector) -> str:
    return json.dumps([call.body for call in bot_connector.calls], ensure_ascii=False)


async def test_a_small_export_is_a_json_file_in_the_chat(
    running: Running,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    victim: Victim,
) -> None:
    bot_connector.clear()
    assert await export(running, victim.ref) == 201
    (message,) = [c.body for c in bot_connector.messages() if c.body.get("attachments")]
    filename = f"candidate-{victim.ref}.json"
    assert message["text"].startswith("Here is the export as a file: " + filename)
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/json"
    assert attachment["name"] == filename
    prefix = "data:application/json;base64,"
    assert attachment["contentUrl"].startswith(prefix)
    content = base64.b64decode(attachment["contentUrl"][len(prefix) :]).decode()
    assert json.loads(content)["candidate"] == victim.ref
    assert victim.note in content and victim.answer in content
    # The file carries the data; no message text does.
    texts = json.dumps(bot_connector.texts(), ensure_ascii=False)
    assert victim.note not in texts and victim.answer not in texts
    assert await exports(sessions) == 1


async def test_a_large_export_gets_a_clear_message_instead(
    running: Running,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    victim: Victim,
) -> None:
    long_note = "She asked us to call after four. " * 60
    for _ in range(INLINE_EXPORT_LIMIT // len(long_note) + 2):
        assert await running.teams.say(f"log {victim.ref} no-answer {long_note}") == 201
    bot_connector.clear()
    assert await export(running, victim.ref) == 201
    said = sent(bot_connector)
    assert "attachments" not in said or "base64" not in said
    (text,) = [t for t in bot_connector.texts() if "export" in t]
    assert f"The export candidate-{victim.ref}.json is " in text
    assert f"more than a Teams chat can carry ({INLINE_EXPORT_LIMIT // 1024} KB)" in text
    assert "Ask the person who runs Feedback Call Coach" in text
    assert victim.note not in said and long_note.strip() not in said
    assert await exports(sessions) == 1


async def test_a_429_is_waited_out_and_audited_once(
    running: Running,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    victim: Victim,
) -> None:
    bot_connector.clear()
    bot_connector.fail(429, **{"Retry-After": "0"})
    assert await export(running, victim.ref) == 201
    assert len(bot_connector.cards()) == 0
    assert [c for c in bot_connector.messages() if c.body.get("attachments")]
    assert await exports(sessions) == 1


@pytest.mark.parametrize("status", [500, 503])
async def test_a_connector_that_stays_down_is_reported_and_audited_once(
    running: Running,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    victim: Victim,
    status: int,
) -> None:
    # The admin has written before (greeted), so the failures below all meet the export.
    admin_help = with_sender(running.teams.message("help"), TENANT, "admin-user")
    assert await running.teams.post(admin_help) == 201
    bot_connector.clear()
    bot_connector.fail(status, times=3)
    activity = with_sender(running.teams.message(f"export {victim.ref}"), TENANT, "admin-user")
    assert await running.teams.post(activity) == 201
    assert [c.body.get("attachments") for c in bot_connector.messages()] == [None]
    (apology,) = bot_connector.texts()
    assert apology.startswith("Something went wrong on my side")
    assert await exports(sessions) == 1
    # The Bot Framework redelivers the same activity: it is not exported a second time.
    assert await running.teams.post(activity) == 201
    assert await exports(sessions) == 1
