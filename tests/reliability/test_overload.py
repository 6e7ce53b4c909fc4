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
from tests.support.database import Clock
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


async def test_overload_of_mentions_says_busy_in_the_thread_and_does_all_it_accepted(
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    clock: Clock,
    fake_slack: FakeSlack,
    database_url: str,
) -> None:
    """An @mention is acknowledged by Bolt whatever happens; one the inbox cannot take hears
    "very busy" where its answer would have gone, and nothing of it is stored."""
    settings = slack_settings(database_url, fake_slack.url, COACH_INBOX_CAPACITY=str(CAPACITY))
    coach = Coach(sessions, guides, settings, clock=clock)
    fake_slack.plan("chat.postMessage", times=4 * COMMANDS, delay=0.5)
    async with running_bot(coach, settings, fake_slack) as bot:
        events = [
            {"type": "app_mention", "channel": "C0TEAM", "user": "U0BUSY",
             "text": f"<@UBOT> add Person {n} | Nurse", "ts": f"1700000000.{n:06d}"}
            for n in range(COMMANDS)
        ]  # fmt: skip
        acks = await asyncio.gather(
            *(bot.slack.event(event, event_id=f"EvBusy{n}") for n, event in enumerate(events))
        )
        assert set(acks) == {(200, "")}
        await settle()
    busy = coach.t("en", "busy")
    threads: dict[str, list[str]] = {}
    for call in fake_slack.called("chat.postMessage"):
        if call.params.get("thread_ts"):
            threads.setdefault(str(call.params["thread_ts"]), []).append(call.params["text"])
    refused = [ts for ts, texts in threads.items() if texts == [busy]]
    assert refused, "nothing was refused: the process was never full"
    assert len(threads) == COMMANDS  # every mention heard something in its thread
    async with sessions() as session:
        stored = await session.scalar(select(func.count()).select_from(Candidate))
        left = await session.scalar(select(func.count()).select_from(InboxItem))
    assert stored == COMMANDS - len(refused)
    assert left == 0


async def test_overload_of_lists_refuses_in_the_acknowledgement_and_answers_the_rest(
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    clock: Clock,
    fake_slack: FakeSlack,
    database_url: str,
) -> None:
    """A `list` answered in the acknowledgement holds its place while it is worked on, as a
    stored request does: past the capacity it hears "very busy" at once."""
    settings = slack_settings(
        database_url,
        fake_slack.url,
        COACH_INBOX_CAPACITY=str(CAPACITY),
        SLACK_ANSWER_IN_ACK_SECONDS="2.5",
    )
    coach = Coach(sessions, guides, settings, clock=clock)
    # Each first contact asks users.info, which takes long enough for all of them to arrive
    # while the first few are still being answered.
    fake_slack.delay = 0.6
    async with running_bot(coach, settings, fake_slack) as bot:
        acks = await asyncio.gather(
            *(bot.slack.command("list", user=f"U0LIST{n}") for n in range(COMMANDS))
        )
        await settle()
    assert {status for status, _ in acks} == {200}
    busy = {"text": coach.t("en", "busy"), "response_type": "ephemeral"}
    bodies = [json.loads(body) for _, body in acks if body]
    refused = [b for b in bodies if b == busy]
    answered = [b for b in bodies if b != busy]
    # Most came while the first ones were worked on; without a place held, none would be.
    assert len(refused) > COMMANDS * 3 // 4, len(refused)
    assert all(b["text"] == coach.t("en", "list_empty") and b["blocks"] for b in answered)
    # An empty acknowledgement (too slow for it) is answered at response_url, once: every
    # list heard one answer.
    late = len(acks) - len(bodies)
    assert len(fake_slack.responses) == late
    assert all(r["text"] == coach.t("en", "list_empty") for r in fake_slack.responses)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboxItem)) == 0
