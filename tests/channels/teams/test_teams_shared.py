"""Nothing about a candidate in a Teams channel or group chat: the whole grammar, over HTTP.

Activities are shaped as Microsoft documents them for each conversation type: a channel
message carries conversationType "channel", a thread id with ";messageid=", isGroup, and
channelData with team and channel; a group chat carries conversationType "groupChat"; both
@mention the bot with <at>…</at> markup and a mention entity.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from botbuilder.schema import Activity
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams.activities import text_without_mention
from bot.coach import Coach
from bot.settings import Settings
from bot.wiring import build_web_app
from conversation_guides import GuideBook
from storage.database import create_engine, make_sessionmaker
from storage.tables import Candidate
from tests.support.database import engine_of
from tests.support.grammar_walk import NAME, WALK, leaks
from tests.support.teams_api import BOT_ID, CREATE, TENANT, Call, FakeConnector, Running, Teams

BOT_NAME = "Feedback Call Coach"
CHANNEL = "19:a1b2c3d4e5f6@thread.tacv2"
TEAM = "19:f0e9d8c7b6a5@thread.tacv2"
GROUP_CHAT = "19:meeting_c0ffee@thread.v2"
POINTER = "I've sent you the answer in our private chat, since it's about candidates. 🔒"
NO_PERSONAL_CHAT = "I couldn't open a private chat with you yet"
ADMIN = "admin-user"


def mention(name: str = BOT_NAME, account: str = BOT_ID) -> dict[str, Any]:
    return {
        "type": "mention",
        "text": f"<at>{name}</at>",
        "mentioned": {"id": account, "name": name},
    }


def shared(teams: Teams, kind: str, text: str, *others: tuple[str, str]) -> dict[str, Any]:
    """A message in a channel or group chat that @mentions the bot (and maybe others)."""
    tags = " ".join(f"<at>{name}</at>" for name, _ in others)
    activity = teams.message(f"<at>{BOT_NAME}</at> {tags} {text}".replace("  ", " "))
    activity["entities"] += [mention(), *(mention(name, account) for name, account in others)]
    if kind == "channel":
        activity["conversation"] = {
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": TENANT,
            "id": f"{CHANNEL};messageid=1732352400000",
        }
        activity["channelData"] = {
            "teamsChannelId": CHANNEL,
            "teamsTeamId": TEAM,
            "channel": {"id": CHANNEL},
            "team": {"id": TEAM},
            "tenant": {"id": TENANT},
        }
    else:
        activity["conversation"] = {
            "isGroup": True,
            "conversationType": "groupChat",
            "tenantId": TENANT,
            "id": GROUP_CHAT,
        }
        activity["channelData"] = {"tenant": {"id": TENANT}}
    return activity


def readable(calls: list[Call]) -> str:
    """Everything a member of the conversation could read: text, cards, and files opened."""
    parts = []
    for call in calls:
        parts.append(json.dumps(call.body, ensure_ascii=False))
        for attachment in call.body.get("attachments") or []:
            url = attachment.get("contentUrl") or ""
            if url.startswith("data:"):
                parts.append(base64.b64decode(url.split(",", 1)[1]).decode("utf-8"))
    return "\n".join(parts)


async def candidate_ids(sessions: async_sessionmaker[AsyncSession]) -> tuple[str, ...]:
    async with sessions() as session:
        return tuple((await session.scalars(select(Candidate.public_id))).all())


@pytest.fixture
async def admin(start_bot: Any) -> Running:
    return await start_bot(ADMIN)


@pytest.mark.parametrize("kind", ["channel", "groupChat"])
async def test_every_command_in_a_shared_conversation_answers_privately(
    admin: Running,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    kind: str,
) -> None:
    teams = admin.teams
    personal = teams.conversation
    where = CHANNEL if kind == "channel" else GROUP_CHAT
    for step in WALK:
        bot_connector.clear()
        assert await teams.post(shared(teams, kind, step.said)) == 201, step.said
        in_shared = bot_connector.in_conversation(where)
        in_private = bot_connector.in_conversation(personal)
        assert len(in_shared) + len(in_private) == len(bot_connector.calls) - len(
            bot_connector.created()
        )
        ids = await candidate_ids(sessions)
        seen = readable(in_shared)
        assert leaks(seen, ids) == [], (step.said, seen)
        # Never a card, never a file in a shared conversation.
        assert all(not c.body.get("attachments") for c in in_shared), step.said
        if step.private:
            assert [c.body["text"] for c in in_shared] == [POINTER], step.said
            assert step.expected in readable(in_private), (step.said, readable(in_private))
            (created,) = bot_connector.created()
            assert created.body["members"][0]["aadObjectId"] == ADMIN
            # botbuilder spells the top-level field "tenantID"; Teams reads channelData.tenant.
            assert created.body["channelData"]["tenant"]["id"] == TENANT
            assert created.body["isGroup"] is False
            assert created.body["bot"]["id"] == BOT_ID
        else:
            assert in_private == [] and bot_connector.created() == [], step.said
            assert any(step.expected in c.body["text"] for c in in_shared), (step.said, seen)


async def test_every_command_in_the_personal_chat_is_answered_there(
    admin: Running, bot_connector: FakeConnector
) -> None:
    teams = admin.teams
    for step in WALK:
        bot_connector.clear()
        assert await teams.say(step.said) == 201, step.said
        assert bot_connector.created() == []
        answered = bot_connector.in_conversation(teams.conversation)
        assert len(answered) == len(bot_connector.calls)
        assert step.expected in readable(answered), (step.said, readable(answered))
        assert POINTER not in readable(answered)


async def test_the_export_from_a_channel_is_a_file_in_the_personal_chat(
    admin: Running, bot_connector: FakeConnector
) -> None:
    teams = admin.teams
    await teams.say(f"add {NAME} | Harbour pilot")
    bot_connector.clear()
    assert await teams.post(shared(teams, "channel", f"export {NAME}")) == 201
    (file_message,) = [c for c in bot_connector.in_conversation(teams.conversation)]
    (attachment,) = file_message.body["attachments"]
    assert attachment["name"].startswith("candidate-") and attachment["name"].endswith(".json")
    assert NAME in readable([file_message])


async def test_a_personal_chat_that_cannot_be_opened_is_explained_without_data(
    admin: Running, bot_connector: FakeConnector
) -> None:
    teams = admin.teams
    await teams.say(f"add {NAME} | Harbour pilot")
    bot_connector.clear()
    # Teams refuses a 1:1 with a user who has not got the app installed personally.
    bot_connector.fail(403, conversation=CREATE)
    assert await teams.post(shared(teams, "channel", "list")) == 201
    (explained,) = [c.body["text"] for c in bot_connector.messages()]
    assert NO_PERSONAL_CHAT in explained and "Apps" in explained
    assert leaks(explained) == []
    assert bot_connector.in_conversation(teams.conversation) == []


async def test_a_busy_connector_is_retried_when_opening_the_personal_chat(
    admin: Running, bot_connector: FakeConnector
) -> None:
    teams = admin.teams
    await teams.say(f"add {NAME} | Harbour pilot")
    bot_connector.clear()
    bot_connector.fail(429, conversation=CREATE, **{"Retry-After": "0"})
    assert await teams.post(shared(teams, "groupChat", "list")) == 201
    assert NAME in readable(bot_connector.in_conversation(teams.conversation))
    assert [c.body["text"] for c in bot_connector.in_conversation(GROUP_CHAT)] == [POINTER]


async def test_norwegian_pointer(admin: Running, bot_connector: FakeConnector) -> None:
    teams = admin.teams
    teams.locale = "nb-NO"
    await teams.say(f"add {NAME} | Harbour pilot")
    bot_connector.clear()
    assert await teams.post(shared(teams, "channel", "list")) == 201
    (pointer,) = [c.body["text"] for c in bot_connector.in_conversation(CHANNEL)]
    assert pointer.startswith("Jeg har sendt deg svaret i den private chatten vår")


# -- mentions ---------------------------------------------------------------------------------


async def test_a_mention_of_someone_else_is_not_taken_for_a_command(
    admin: Running, bot_connector: FakeConnector
) -> None:
    teams = admin.teams
    activity = shared(teams, "groupChat", "help", ("Test User", "29:test-user"))
    assert "<at>Test User</at>" in activity["text"]
    assert await teams.post(activity) == 201
    (answer,) = [c.body["text"] for c in bot_connector.in_conversation(GROUP_CHAT)]
    assert answer.startswith("I help you give rejected candidates"), answer
    assert "<at>" not in answer


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (f"<at>{BOT_NAME}</at> list", "list"),
        (f"<at>{BOT_NAME}</at>&nbsp;<at>Test</at> list", "list"),
        (f"<at>Test</at> <at>{BOT_NAME}</at> report", "report"),
        (f"<at>{BOT_NAME}</at> add <at>Kari N</at> | Nurse", "add Kari N | Nurse"),
        ("log <at id='0'>Kari</at> called <at>Ola</at>", "log Kari called Ola"),
        ("<AT>Coach</AT>help", "help"),
    ],
)
def test_every_mention_markup_is_stripped(text: str, words: str) -> None:
    activity = Activity().deserialize(
        {
            "type": "message",
            "text": text,
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "entities": [mention()],
        }
    )
    assert text_without_mention(activity) == words


# -- the greeting -----------------------------------------------------------------------------

WELCOME = "Hi, I'm Feedback Call Coach."


def install_pair(teams: Teams) -> tuple[dict[str, Any], dict[str, Any]]:
    """What Teams sends at once when a user adds the bot: conversationUpdate and
    installationUpdate."""
    return teams.install(), teams.activity("installationUpdate", action="add")


async def test_concurrent_install_activities_greet_once(
    start_bot: Any, bot_connector: FakeConnector
) -> None:
    for n in range(5):
        running = await start_bot(f"aad-new-{n}")
        update, installation = install_pair(running.teams)
        statuses = await asyncio.gather(
            running.teams.post(update), running.teams.post(installation)
        )
        assert statuses == [201, 201]
    greetings = [
        c for c in bot_connector.messages() if (c.body.get("text") or "").startswith(WELCOME)
    ]
    users = sorted(c.body["recipient"]["id"] for c in greetings)
    assert users == [f"29:aad-new-{n}" for n in range(5)]


async def test_two_server_processes_greet_once(
    database_url: str,
    guides: GuideBook,
    settings: Settings,
    clock: Any,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two servers, each with its own engine and connection pool, on one database (PostgreSQL
    when TEST_POSTGRES_URL is set), get the two install activities at the same moment."""
    engines = [create_engine(database_url) for _ in range(2)]
    servers = []
    try:
        for engine in engines:
            coach = Coach(make_sessionmaker(engine), guides, settings, clock=clock)
            server = TestServer(build_web_app(settings, coach, engine_of(coach)), host="127.0.0.1")
            await server.start_server()
            servers.append(server)
        urls = [str(server.make_url("")).rstrip("/") for server in servers]
        users = [f"aad-pair-{n}" for n in range(8)]
        for user in users:
            update, installation = install_pair(Teams(urls[0], bot_connector, user))
            one, two = Teams(urls[0], bot_connector, user), Teams(urls[1], bot_connector, user)
            assert await asyncio.gather(one.post(update), two.post(installation)) == [201, 201]
        greeted = [
            c.body["recipient"]["id"]
            for c in bot_connector.messages()
            if (c.body.get("text") or "").startswith(WELCOME)
        ]
        assert sorted(greeted) == sorted(f"29:{user}" for user in users)
    finally:
        for server in servers:
            await server.close()
        for engine in engines:
            await engine.dispose()


async def test_a_channel_is_welcomed_once_and_messages_there_do_not_greet(
    admin: Running, bot_connector: FakeConnector
) -> None:
    teams = admin.teams
    added = shared(teams, "channel", "")
    added.update(type="conversationUpdate", membersAdded=[{"id": BOT_ID}])
    added.pop("text")
    assert await teams.post(added) == 201
    assert await teams.post(added) == 201
    assert await teams.post(shared(teams, "channel", "remind off")) == 201
    texts = [c.body["text"] for c in bot_connector.in_conversation(CHANNEL)]
    assert [t for t in texts if t.startswith(WELCOME)] == [texts[0]]
    assert len(texts) == 2 and texts[1].startswith("Weekly reminders are off")
    # The same user's personal chat still gets its own welcome, once.
    bot_connector.clear()
    await teams.say("remind off")
    await teams.say("remind off")
    personal = [c.body["text"] for c in bot_connector.in_conversation(teams.conversation)]
    assert [t for t in personal if t.startswith(WELCOME)] == [personal[0]]
