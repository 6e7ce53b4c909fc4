"""Far more commands than one process carries: the rest are refused at once, politely, and
everything accepted is done."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.coach import Coach
from conversation_guides import GuideBook
from storage.tables import Candidate, InboxItem
from tests.conftest import Clock
from tests.support.slack import running_bot, settle, slack_settings
from tests.support.slack_api import FakeSlack

CAPACITY = 4
COMMANDS = 60


async def test_overload_refuses_with_the_busy_message_and_does_all_it_accepted(
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    clock: Clock,
    fake_slack: FakeSlack,
    database_url: str,
) -> None:
    settings = slack_settings(database_url, fake_slack.url, COACH_INBOX_CAPACITY=str(CAPACITY))
    coach = Coach(sessions, guides, settings, clock=clock)
    fake_slack.respond_delay = 0.5  # Slack takes its time: accepted work holds its place
    async with running_bot(coach, settings, fake_slack) as bot:
        acks = await asyncio.gather(
            *(bot.slack.command(f"add Person {n} | Nurse") for n in range(COMMANDS))
        )
        assert {status for status, _ in acks} == {200}
        refused = [json.loads(body) for _, body in acks if body]
        accepted = len(acks) - len(refused)
        busy = coach.t("en", "busy")
        assert refused, "nothing was refused: the process was never full"
        assert accepted >= CAPACITY
        assert all(r == {"text": busy, "response_type": "ephemeral"} for r in refused)
        answers = await fake_slack.wait_responses(accepted, limit=60)
        await settle()
    # Every accepted command was done and answered, the refused ones left no trace.
    assert len(answers) == accepted
    assert all(a["text"].startswith("Added Person") for a in answers)
    async with sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(Candidate))
        left = await session.scalar(select(func.count()).select_from(InboxItem))
    assert stored == accepted
    assert left == 0
