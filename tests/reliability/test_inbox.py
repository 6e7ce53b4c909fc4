"""Rows a process left behind (it died after the acknowledgement) are finished by another."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.slack import jobs
from bot.coach import Coach
from bot.inbox import DUPLICATE, Inbox, Ticket
from bot.retention import purge
from bot.settings import Settings
from conversation_guides import GuideBook
from storage.tables import Candidate, InboxItem
from tests.conftest import Clock
from tests.support.slack import USER, running_bot, settle, slack_settings
from tests.support.slack_api import TEAM, FakeSlack
from tests.support.slack_checklist import CONCRETE

LEASE = 0.3


async def count(sessions: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_dead_process_leaves_work_another_finishes(
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    clock: Clock,
    fake_slack: FakeSlack,
    database_url: str,
) -> None:
    settings = slack_settings(database_url, fake_slack.url, COACH_INBOX_LEASE_SECONDS=str(LEASE))
    coach = Coach(sessions, guides, settings, clock=clock)
    async with running_bot(coach, settings, fake_slack) as bot:
        candidate = await bot.add("Kari Nordmann")
        # Another process acknowledged these, wrote them down, and died before doing them.
        dead = Inbox(sessions, lease=timedelta(seconds=LEASE))
        add = jobs.CommandJob(
            team=TEAM, user=USER, text="add Ola Nordmann | Nurse",
            response_url=fake_slack.response_url("dead-add"), trigger_id="trigger-dead-1",
        )  # fmt: skip
        checklist = jobs.ChecklistJob(
            team=TEAM, user=USER, candidate=candidate, answers=CONCRETE,
            delivery="slack:view:dead", response_url=fake_slack.response_url("dead-view"),
        )  # fmt: skip
        for kind, key, job in (
            (jobs.COMMAND, "inbox:dead-add", add),
            (jobs.CHECKLIST, "inbox:dead-view", checklist),
        ):
            ticket = await dead.accept(kind, key, job.model_dump(mode="json"))
            assert isinstance(ticket, Ticket)
            # The same delivery again, while the row is there: not a second row.
            assert await dead.accept(kind, key, job.model_dump(mode="json")) is DUPLICATE
        before = len(fake_slack.responses)
        # Within the lease nobody takes it over: its process may still be working on it.
        assert await coach.inbox.recover() == 0
        await asyncio.sleep(LEASE + 0.1)
        assert await coach.inbox.recover() == 2
        await coach.inbox.drain()
        answers = [r["text"] for r in (await fake_slack.wait_responses(before + 1))[before:]]
        script = await fake_slack.wait_for("chat.postMessage")
    assert any(text.startswith("Added Ola Nordmann") for text in answers)
    assert "Your call script for Kari Nordmann" in script[-1].params["text"]
    assert await count(sessions, Candidate) == 2
    assert await count(sessions, InboxItem) == 0


async def test_rows_nobody_finished_are_purged_with_the_personal_data(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
) -> None:
    job = jobs.CommandJob(team=TEAM, user=USER, text="add Kari Nordmann | Nurse")
    old = Inbox(sessions, clock=lambda: clock.now - timedelta(days=2))
    fresh = Inbox(sessions, clock=clock)
    assert isinstance(await old.accept(jobs.COMMAND, "k-old", job.model_dump()), Ticket)
    assert isinstance(await fresh.accept(jobs.COMMAND, "k-new", job.model_dump()), Ticket)
    await purge(engine, sessions, settings, clock.now)
    async with sessions() as session:
        keys = (await session.scalars(select(InboxItem.key))).all()
    assert keys == ["k-new"]


async def test_a_read_only_answer_leaves_its_row_to_the_next_request(
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    clock: Clock,
    fake_slack: FakeSlack,
    database_url: str,
) -> None:
    """`list` changes nothing, so its row goes with the next request's INSERT instead of a
    DELETE of its own; a command that changes something deletes its row at once."""
    settings = slack_settings(database_url, fake_slack.url)
    coach = Coach(sessions, guides, settings, clock=clock)
    async with running_bot(coach, settings, fake_slack) as bot:
        await bot.add("Kari Nordmann")
        await settle()
        assert await count(sessions, InboxItem) == 0
        answer = await bot.say("list")
        assert "Kari Nordmann" in answer["text"]
        await settle()
        assert await count(sessions, InboxItem) == 1
        # Were the process to die now, a recovery round would only answer `list` again.
        await bot.add("Ola Nordmann")
        await settle()
        assert await count(sessions, InboxItem) == 0
        await bot.say("list")
        await settle()
        assert await count(sessions, InboxItem) == 1
        # The recovery round deletes it too, and so does an orderly stop.
        await coach.inbox.recover()
        assert await count(sessions, InboxItem) == 0


async def test_rows_left_to_be_deleted_go_when_flushed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = Inbox(sessions)
    ticket = await inbox.accept(jobs.COMMAND, "inbox:list", {"text": "list"})
    assert isinstance(ticket, Ticket)
    async with ticket.working(harmless_twice=True):
        pass
    assert inbox.backlog == 0
    assert await count(sessions, InboxItem) == 1
    await inbox.flush()
    assert await count(sessions, InboxItem) == 0
