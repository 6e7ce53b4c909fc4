"""Install greeting, the stored conversation reference, and proactive messages from it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams import TeamsNotifier
from bot.coach import Coach
from bot.messages import Button, Card, Reply
from bot.notify import DeliveryError, Notifier, Recipient
from bot.settings import Settings
from storage.tables import BotState, Greeting, Recruiter, Workspace
from tests.support.statements import counting
from tests.support.teams_api import TENANT, FakeConnector, Running, Teams, flat_actions

GREETING = "Hi, I'm Feedback Call Coach."
REMINDER = Reply(
    text="1 candidate is waiting for your call.",
    cards=[
        Card(
            title="Kari Nordmann (k7f3qa)",
            lines=["Nurse – rejected 6 days ago"],
            buttons=[
                Button(label="Prepare call", command="start k7f3qa", style="primary"),
                Button(label="Called", command="log k7f3qa called"),
            ],
        )
    ],
)


async def _recruiter(sessions: async_sessionmaker[AsyncSession]) -> Recruiter:
    async with sessions() as session:
        recruiter = await session.scalar(select(Recruiter))
        assert recruiter is not None
        return recruiter


async def _recipient(sessions: async_sessionmaker[AsyncSession]) -> Recipient:
    """What the reminders job builds from the store."""
    async with sessions() as session:
        recruiter = await session.scalar(select(Recruiter))
        assert recruiter is not None
        workspace = await session.get(Workspace, recruiter.workspace_id)
        assert workspace is not None
        return Recipient(
            platform=workspace.platform,
            workspace=workspace.external_id,
            user=recruiter.external_id,
            language=recruiter.language or "en",
            conversation_reference=recruiter.conversation_reference,
        )


@pytest.fixture
def notifier(settings: Settings, coach: Coach) -> TeamsNotifier:
    return TeamsNotifier(settings, coach)


async def test_install_greets_once_and_stores_the_reference(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert await teams.post(teams.install()) == 201
    assert await teams.post(teams.activity("installationUpdate", action="add")) == 201
    assert bot_connector.texts() == [
        GREETING
        + " I help you give candidates who did not get the job a personal, honest and concrete "
        "phone call, and I keep track of who has been called.\n"
        "Start with: add <name> | <position>. Type help to see everything I can do."
    ]
    recruiter = await _recruiter(sessions)
    reference = recruiter.conversation_reference
    assert reference is not None
    assert reference["serviceUrl"] == bot_connector.url + "/"
    assert reference["conversation"]["id"] == teams.conversation
    assert reference["bot"]["id"] == "28:feedback-coach-bot"

    bot_connector.clear()
    await teams.say("help")
    (text,) = bot_connector.texts()
    assert text.startswith("I help you give rejected candidates")


async def test_a_first_message_is_greeted_and_answered(
    teams: Teams, bot_connector: FakeConnector
) -> None:
    await teams.say("list")
    greeting, answer = bot_connector.texts()
    assert greeting.startswith(GREETING)
    assert answer.startswith("You have no candidates yet.")


async def test_proactive_message_from_the_stored_reference(
    teams: Teams,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    notifier: TeamsNotifier,
) -> None:
    as_protocol: Notifier = notifier  # what the reminders job holds
    assert as_protocol.platform == "teams"
    await teams.post(teams.install())
    bot_connector.clear()
    await notifier.send(await _recipient(sessions), REMINDER)
    (call,) = bot_connector.messages()
    assert call.path.startswith(f"/v3/conversations/{teams.conversation}/activities")
    assert call.body["text"] == "1 candidate is waiting for your call."
    assert call.body["recipient"]["id"] == f"29:{teams.user}"
    (card,) = bot_connector.cards([call])
    commands = [action["data"]["command"] for action in flat_actions(card)]
    assert commands == ["start k7f3qa", "log k7f3qa called"]


async def test_429_is_retried_after_its_retry_after(
    teams: Teams,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    notifier: TeamsNotifier,
) -> None:
    await teams.post(teams.install())
    bot_connector.clear()
    bot_connector.attempts = 0
    bot_connector.fail(429, times=2, **{"Retry-After": "0"})
    await notifier.send(await _recipient(sessions), REMINDER)
    assert bot_connector.attempts == 3
    assert [c.body["text"] for c in bot_connector.messages()] == [REMINDER.text]


async def test_timeout_is_retried(
    teams: Teams,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    notifier: TeamsNotifier,
) -> None:
    await teams.post(teams.install())
    bot_connector.clear()
    bot_connector.fail(504, delay=2.5)  # longer than the (shortened) connector timeout
    await notifier.send(await _recipient(sessions), REMINDER)
    assert [c.body["text"] for c in bot_connector.messages()] == [REMINDER.text]


@pytest.mark.parametrize("status", [403, 404])
async def test_forbidden_marks_the_user_unreachable(
    teams: Teams,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    notifier: TeamsNotifier,
    clock: Any,
    status: int,
) -> None:
    await teams.post(teams.install())
    bot_connector.fail(status)
    with pytest.raises(DeliveryError) as raised:
        await notifier.send(await _recipient(sessions), REMINDER)
    assert raised.value.gone
    recruiter = await _recruiter(sessions)
    assert recruiter.unreachable_at == clock.now
    assert recruiter.unreachable_reason == f"Teams connector answered {status}"

    # Writing to the bot again makes them reachable again.
    await teams.say("help")
    recruiter = await _recruiter(sessions)
    assert recruiter.unreachable_at is None and recruiter.unreachable_reason is None


async def test_server_errors_are_retried_then_reported_without_marking_unreachable(
    teams: Teams,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    notifier: TeamsNotifier,
) -> None:
    await teams.post(teams.install())
    bot_connector.clear()
    bot_connector.attempts = 0
    bot_connector.fail(502, times=10)
    with pytest.raises(DeliveryError) as raised:
        await notifier.send(await _recipient(sessions), REMINDER)
    assert not raised.value.gone
    assert raised.value.reason == "connector answered 502"
    assert bot_connector.attempts == 3
    assert (await _recruiter(sessions)).unreachable_at is None


async def test_no_reference_is_a_delivery_error(notifier: TeamsNotifier) -> None:
    recipient = Recipient(platform="teams", workspace=TENANT, user="nobody", language="en")
    with pytest.raises(DeliveryError) as raised:
        await notifier.send(recipient, REMINDER)
    assert not raised.value.gone


async def test_state_survives_a_restart(
    start_bot: Callable[..., Awaitable[Running]],
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await start_bot()
    await first.teams.say("add Kari Nordmann | Nurse")
    bot_connector.clear()
    await first.teams.say("start Kari")
    (checklist,) = bot_connector.messages()
    async with sessions() as session:
        keys = (await session.scalars(select(BotState.key))).all()
    # Conversation state (card ids) is rows in the database; greetings have a table.
    assert any("/conversations/" in key for key in keys)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Greeting)) == 1
    await first.server.close()

    second = await start_bot()  # a new process: new app, new engine, same database
    bot_connector.clear()
    await second.teams.say("help")
    (text,) = bot_connector.texts()  # no second greeting
    assert text.startswith("I help you give rejected candidates")

    # A submit without replyToId: the new instance finds the card from the stored state.
    candidate = checklist.body["attachments"][0]["content"]["actions"][0]["data"]["candidate"]
    bot_connector.clear()
    value = {"action": "checklist", "candidate": candidate, "competence": "", "gaps": ""}
    await second.teams.post(second.teams.submit(value, None))
    (update,) = bot_connector.updates()
    assert update.path.endswith(f"/activities/{checklist.returned_id}")


async def test_a_typed_command_keeps_the_chat_in_its_own_transaction(
    teams: Teams, bot_connector: FakeConnector, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # The first message ever is a command: the chat is kept for reminders all the same, and
    # without the message's own id, so the next message finds nothing to write.
    assert await teams.say("help") == 201
    stored = (await _recruiter(sessions)).conversation_reference
    assert stored is not None
    assert stored["conversation"]["id"] == teams.conversation
    assert stored.get("activityId") is None
    with counting(sessions) as statements:
        assert await teams.say("list") == 201
    writes = [s for s in statements if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    # The greeting was claimed with the first message, the chat is unchanged, a list
    # changes nothing: one transaction reads the state, one the recruiter and the list.
    assert writes == [], writes
    assert (await _recruiter(sessions)).conversation_reference == stored
