"""Chat text in Teams follows the one grammar: every command, over real HTTP."""

from __future__ import annotations

from aiohttp import ClientSession
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.tables import Candidate, Recruiter, Workspace
from tests.support.conversations import CONVERSATION, EMPTY, play
from tests.support.teams_api import BOT_ID, TENANT, FakeConnector, Running, Teams, flat_actions

GREETING_EN = "Hi, I'm Feedback Call Coach."

# Commands other issues implement in the engine: the channel must relay the engine's answer.
RELAYED = ["consent Kari", "consent Kari withdraw", "pool", "export Kari", "erase Kari"]


async def test_every_command_through_chat(teams: Teams, bot_connector: FakeConnector) -> None:
    assert await teams.say("help") == 201
    assert bot_connector.texts()[0].startswith(GREETING_EN)

    async def say(text: str) -> str:
        bot_connector.clear()
        assert await teams.say(text) == 201, text
        texts = bot_connector.texts()
        assert len(texts) == 1, (text, texts)
        return texts[0]

    await play(say, [EMPTY, *CONVERSATION])
    error = "Something went wrong on my side"
    for said in RELAYED:
        bot_connector.clear()
        assert await teams.say(said) == 201, said
        (text,) = bot_connector.texts()
        assert text.strip() and error not in text, (said, text)


async def test_start_answers_with_the_checklist_card(
    teams: Teams, bot_connector: FakeConnector
) -> None:
    await teams.say("add Kari Nordmann | Nurse")
    bot_connector.clear()
    await teams.say("start Kari")
    (card,) = bot_connector.cards()
    inputs = [item for item in card["body"] if item["type"] == "Input.Text"]
    assert [i["id"] for i in inputs] == [
        "competence",
        "gaps",
        "luxury_problem",
        "self_presentation",
    ]
    assert "Let's prepare your call to Kari Nordmann about the Nurse position." in str(card["body"])


async def test_add_and_list_show_cards_with_buttons(
    teams: Teams, bot_connector: FakeConnector
) -> None:
    await teams.say("add Kari Nordmann | Nurse")
    (card,) = bot_connector.cards(bot_connector.messages()[-1:])
    (prepare,) = card["actions"]
    assert prepare["title"] == "Prepare call"
    assert prepare["data"]["command"].startswith("start ")
    bot_connector.clear()
    await teams.say("list")
    (card,) = bot_connector.cards()
    # One row: the name once (no id), one button in sight and "More" for the rest.
    assert [a["title"] for a in card["actions"]] == ["Prepare call", "More"]
    assert card["body"][0]["text"] == "Kari Nordmann"
    commands = [a["data"]["command"] for a in flat_actions(card) if "data" in a]
    assert commands[0].startswith("start ") and commands[1].endswith(" declined")
    assert not any(command.endswith(" called") for command in commands)


async def test_mention_is_stripped_in_group_chats_and_only_the_personal_chat_is_kept(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    mention = "<at>Feedback Call Coach</at>"
    activity = teams.message(f"{mention} feedback-call add Kari Nordmann | Nurse")
    activity["conversation"] = {
        "id": "19:group-chat",
        "conversationType": "groupChat",
        "tenantId": TENANT,
        "isGroup": True,
    }
    activity["entities"].append(
        {
            "type": "mention",
            "text": mention,
            "mentioned": {"id": BOT_ID, "name": "Feedback Call Coach"},
        }
    )
    assert await teams.post(activity) == 201
    # The answer names the candidate: it went to the personal chat, not the group chat.
    (added,) = [c.body["text"] for c in bot_connector.in_conversation(teams.conversation)]
    assert added.startswith("Added Kari Nordmann")
    assert all(
        "Kari" not in c.body.get("text", "") for c in bot_connector.in_conversation("19:group-chat")
    )
    async with sessions() as session:
        recruiter = await session.scalar(select(Recruiter))
        assert recruiter is not None
        # A reminder lists candidate names: it must never be sent into a group chat; the
        # personal chat opened for the answer is where it goes.
        assert recruiter.conversation_reference is not None
        assert recruiter.conversation_reference["conversation"]["id"] == teams.conversation


async def test_identity_language_and_time_zone_come_from_the_activity(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    teams.locale = "nb-NO"
    await teams.say("hjelp")
    greeting, answer = bot_connector.texts()
    assert greeting.startswith("Hei, jeg er Feedback Call Coach.")
    assert answer.startswith("Jeg hjelper deg")
    async with sessions() as session:
        recruiter = await session.scalar(select(Recruiter))
        assert recruiter is not None
        workspace = await session.get(Workspace, recruiter.workspace_id)
        assert workspace is not None
        assert (workspace.platform, workspace.external_id) == ("teams", TENANT)
        assert recruiter.external_id == teams.user  # the AAD object id
        assert recruiter.language == "nb"
        assert recruiter.timezone == "Europe/Oslo"
        assert recruiter.conversation_reference["conversation"]["id"] == teams.conversation


async def test_a_redelivered_message_acts_once(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    activity = teams.message("add Kari Nordmann | Nurse")
    assert await teams.post(activity) == 201
    assert await teams.post(activity) == 201
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Candidate)) == 1
    assert bot_connector.texts()[-1] == "That was already recorded. Nothing was changed."


async def test_malformed_requests_are_refused_without_a_trace(
    running: Running, bot_connector: FakeConnector
) -> None:
    url = running.teams.bot_url + "/api/messages"
    async with ClientSession() as client:
        async with client.post(url, data="not json", headers={"Content-Type": "text/plain"}) as r:
            assert r.status == 415
        async with client.post(
            url, data="{oops", headers={"Content-Type": "application/json"}
        ) as r:
            assert r.status == 400
        async with client.post(url, json=[1, 2]) as r:
            assert r.status == 400
        async with client.post(url, json={"text": "no type"}) as r:
            assert r.status == 400
            assert "Traceback" not in await r.text()
    assert bot_connector.calls == []
