"""Sending: once per recruiter and week from any number of processes, failures contained."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import reminders
from bot.coach import Coach
from bot.messages import Identity, Inbound, Reply
from bot.notify import DeliveryError, Notifier, Recipient
from bot.reminders import (
    LEASE,
    MAX_ATTEMPTS,
    WORKSPACES_AT_ONCE,
    Planned,
    Summary,
    background,
    plan,
    reminder_loop,
)
from bot.settings import Settings
from bot.wiring import remind
from conversation_guides import GuideBook
from storage.database import create_engine, make_sessionmaker
from storage.tables import Recruiter
from tests.support.database import Clock
from tests.support.reminders import Hire, deliveries, run, unreachable, utc
from tests.support.slack_api import BOT_TOKEN, FakeSlack

ROOT = Path(__file__).resolve().parents[2]


async def test_one_dm_per_due_recruiter_and_a_second_run_sends_none(
    coach: Coach, clock: Clock, hire: Hire, slack: FakeSlack, notifiers: dict[str, Notifier]
) -> None:
    await hire("U1", ("Kari Nordmann", "Nurse"))
    await hire("U2", ("Ola Nordmann", "Cook"), workspace="T2")
    await hire("LA", ("Per Hansen", "Nurse"), timezone="America/Los_Angeles")  # not yet 09:00
    await hire("U3")  # nobody waiting

    first = await run(coach, notifiers)
    assert sorted(slack.recipients()) == ["U1", "U2"]
    assert first == Summary(due=2, sent=2)
    post = next(p for p in slack.posts if p.user == "U1")
    assert "Kari Nordmann" in post.text and "Ola Nordmann" not in post.text

    second = await run(coach, notifiers)
    assert second == Summary()
    assert len(slack.posts) == 2
    clock.advance(hours=9)  # 09:00 in Los Angeles
    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    assert slack.recipients()[-1] == "LA"


async def test_platform_without_notifier_is_skipped_not_claimed(
    coach: Coach, clock: Clock, hire: Hire, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await hire("U1", ("Kari Nordmann", "Nurse"))
    assert await run(coach, {}) == Summary(due=1, skipped=1)
    assert await deliveries(sessions) == {}


async def test_concurrent_runs_on_separate_engines_send_each_once(
    coach: Coach,
    clock: Clock,
    hire: Hire,
    slack: FakeSlack,
    database_url: str,
    guides: GuideBook,
    settings: Settings,
    make_notifier: Callable[[], Notifier],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users = [f"U{n:02d}" for n in range(24)]
    # Every worker finds all 24 due before any of them claims one: the worst case.
    everyone_planned = asyncio.Barrier(3)

    async def plan_together(*args: Any, **kwargs: Any) -> list[Planned]:
        planned = await plan(*args, **kwargs)
        await everyone_planned.wait()
        return planned

    monkeypatch.setattr(reminders, "plan", plan_together)
    for user in users:
        await hire(user, (f"Candidate {user}", "Nurse"))
    slack.delay = 0.005  # so the processes' sends really interleave
    engines = [create_engine(database_url) for _ in range(3)]
    notifiers = [make_notifier() for _ in engines]
    try:
        workers = [
            Coach(make_sessionmaker(engine), guides, settings, clock=clock) for engine in engines
        ]
        summaries = await asyncio.gather(
            *(
                run(worker, {"slack": notifier}, worker=f"w{n}")
                for n, (worker, notifier) in enumerate(zip(workers, notifiers, strict=True))
            )
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(slack.recipients()) == users
    assert sum(s.sent for s in summaries) == len(users)
    assert all(s.due == len(users) and s.failed == 0 for s in summaries)
    assert sum(s.skipped for s in summaries) == 2 * len(users)
    monkeypatch.undo()
    assert await run(coach, {"slack": make_notifier()}) == Summary()


async def test_two_remind_processes_at_once(
    coach: Coach, clock: Clock, hire: Hire, slack: FakeSlack, database_url: str
) -> None:
    users = [f"U{n:02d}" for n in range(20)]
    for user in users:
        await hire(user, (f"Candidate {user}", "Nurse"))
    # Each process spends about a second sending, so the two really overlap.
    slack.delay = 0.05
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "MICROSOFT_", "COACH_"))
    }
    environment.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET="not-used-by-remind",
        SLACK_API_URL=slack.url,
        COACH_REMINDER_PACE_SECONDS="0",
        PYTHONPATH=str(ROOT),
    )
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "app.py",
            "remind",
            "--now",
            cwd=ROOT,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [await process.communicate() for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    summaries = [
        re.findall(r"reminders: due=(\d+) sent=(\d+) skipped=(\d+) failed=(\d+)", err.decode())
        for _, err in outputs
    ]
    assert [len(lines) for lines in summaries] == [1, 1]
    sent = [int(lines[0][1]) for lines in summaries]
    assert sum(sent) == len(users)
    assert sorted(slack.recipients()) == users
    assert not any("Candidate" in err.decode() for _, err in outputs)


class Crash(BaseException):
    """The process dies (killed, out of memory) in the middle of a send."""


class CrashingNotifier:
    platform = "slack"

    async def send(self, recipient: Recipient, reply: Reply) -> None:
        raise Crash()


async def test_crash_between_claim_and_send_is_recovered_after_the_lease(
    coach: Coach,
    clock: Clock,
    hire: Hire,
    slack: FakeSlack,
    notifiers: dict[str, Notifier],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await hire("U1", ("Kari Nordmann", "Nurse"))
    await hire("U2", ("Ola Nordmann", "Nurse"))
    with pytest.raises(BaseExceptionGroup) as crashed:
        await run(coach, {"slack": CrashingNotifier()})
    assert crashed.group_contains(Crash)
    assert await deliveries(sessions) == {"U1": ("claimed", 1)}

    # Another run while the claim is fresh: the dead process might still be sending.
    clock.advance(minutes=5)
    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    assert slack.recipients() == ["U2"]

    clock.advance(seconds=(LEASE.total_seconds() - 5 * 60) + 1)
    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    assert slack.recipients() == ["U2", "U1"]
    assert await deliveries(sessions) == {"U1": ("sent", 2), "U2": ("sent", 1)}
    clock.advance(minutes=30)
    assert await run(coach, notifiers) == Summary()


async def test_failing_recruiter_does_not_stop_the_batch(
    coach: Coach,
    clock: Clock,
    hire: Hire,
    slack: FakeSlack,
    notifiers: dict[str, Notifier],
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await hire("U1", ("Kari Nordmann", "Nurse"))
    await hire("U2", ("Ola Nordmann", "Nurse"))
    gone = await hire("U3", ("Per Hansen", "Nurse"))
    await hire("U4", ("Lise Berg", "Nurse"))
    slack.broken.add("U1")
    slack.gone.add("U3")

    with caplog.at_level(logging.INFO, logger="bot.reminders"):
        summary = await run(coach, notifiers)
    assert summary == Summary(due=4, sent=2, failed=2, gone=1)
    assert sorted(slack.recipients()) == ["U2", "U4"]
    assert await deliveries(sessions) == {
        "U1": ("failed", 1),
        "U2": ("sent", 1),
        "U3": ("gone", 1),
        "U4": ("sent", 1),
    }
    async with sessions() as session:
        unreachable = dict(
            (await session.execute(select(Recruiter.external_id, Recruiter.unreachable_at))).all()
        )
    assert unreachable == {"U1": None, "U2": None, "U3": clock.now, "U4": None}
    summary_lines = [r.getMessage() for r in caplog.records if "due=" in r.getMessage()]
    assert summary_lines == ["reminders: due=4 sent=2 skipped=0 failed=2 (gone=1)"]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "user_not_found" in logged
    for name in ("Kari", "Ola", "Per Hansen", "Lise"):
        assert name not in logged

    # A transient failure is retried after the lease, a bounded number of times.
    assert await run(coach, notifiers) == Summary()
    for _ in range(MAX_ATTEMPTS - 1):
        clock.advance(seconds=LEASE.total_seconds() + 1)
        assert await run(coach, notifiers) == Summary(due=1, failed=1)
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await run(coach, notifiers) == Summary()
    assert slack.attempts.count("U1") == MAX_ATTEMPTS

    # Next week: the gone recruiter is not tried again; the others are.
    clock.advance(days=7)
    slack.broken.clear()
    assert await run(coach, notifiers) == Summary(due=3, sent=3)
    assert slack.attempts.count("U3") == 1

    # Until they write to the bot again.
    await coach.handle(gone, Inbound(text="list"))
    slack.gone.clear()
    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    assert slack.recipients()[-1] == "U3"


async def test_a_transient_failure_is_sent_on_a_later_run(
    coach: Coach, clock: Clock, hire: Hire, slack: FakeSlack, notifiers: dict[str, Notifier]
) -> None:
    await hire("U1", ("Kari Nordmann", "Nurse"))
    slack.broken.add("U1")
    assert await run(coach, notifiers) == Summary(due=1, failed=1)
    slack.broken.clear()
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    assert slack.recipients() == ["U1"]


async def test_429_retry_after_is_honoured(
    coach: Coach, clock: Clock, hire: Hire, slack: FakeSlack, notifiers: dict[str, Notifier]
) -> None:
    for user in ("U1", "U2", "U3"):
        await hire(user, (f"Candidate {user}", "Nurse"))
    slack.rate_limit_next = 1
    assert await run(coach, notifiers, sleep=asyncio.sleep) == Summary(due=3, sent=3)
    assert slack.rate_limited == 1
    # The fake Slack keeps answering 429 to anyone who does not wait the Retry-After out.
    assert slack.violations == 0
    assert sorted(slack.recipients()) == ["U1", "U2", "U3"]


async def test_sends_are_paced(
    coach: Coach, clock: Clock, hire: Hire, slack: FakeSlack, notifiers: dict[str, Notifier]
) -> None:
    for user in ("U1", "U2", "U3"):
        await hire(user, (f"Candidate {user}", "Nurse"))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    assert await run(coach, notifiers, pace=0.25, sleep=sleep) == Summary(due=3, sent=3)
    assert waits == [0.25, 0.25]


async def test_snoozed_reminder_comes_back_once(
    coach: Coach,
    clock: Clock,
    hire: Hire,
    slack: FakeSlack,
    notifiers: dict[str, Notifier],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    who = await hire("U1", ("Kari Nordmann", "Nurse"))
    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    await coach.handle(who, Inbound(text="snooze tomorrow"))  # Tuesday 09:00 Oslo
    clock.now = utc(2026, 11, 24, 7, 59)
    assert await run(coach, notifiers) == Summary()
    clock.now = utc(2026, 11, 24, 8, 0)
    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    async with sessions() as session:
        assert await session.scalar(select(Recruiter.snoozed_until)) is None  # used up
    clock.now = utc(2026, 11, 24, 12, 0)
    assert await run(coach, notifiers) == Summary()

    await coach.handle(who, Inbound(text="snooze week"))  # from Tuesday: next Tuesday
    clock.now = utc(2026, 11, 30, 8, 0)  # Monday's slot is held back by the snooze
    assert await run(coach, notifiers) == Summary()
    clock.now = utc(2026, 12, 1, 8, 0)
    assert await run(coach, notifiers) == Summary(due=1, sent=1)
    clock.now = utc(2026, 12, 1, 9, 0)
    assert await run(coach, notifiers) == Summary()
    assert slack.recipients() == ["U1", "U1", "U1"]


async def test_remind_for_cron(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    guides: GuideBook,
    slack: FakeSlack,
    notifiers: dict[str, Notifier],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # remind reads the real clock; --now makes the slot irrelevant.
    coach = Coach(sessions, guides, settings)
    for user in ("U1", "U2"):
        who = Identity(platform="slack", workspace="T1", user=user, language="en")
        await coach.handle(who, Inbound(text=f"add Candidate {user} | Nurse"))
    with caplog.at_level(logging.INFO, logger="bot.reminders"):
        assert await remind(settings, guides, everyone=True, notifiers=notifiers) == 0
        assert await remind(settings, guides, everyone=True, notifiers=notifiers) == 0
    assert sorted(slack.recipients()) == ["U1", "U2"]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("reminders:")]
    assert lines == [
        "reminders: due=2 sent=2 skipped=0 failed=0 (gone=0)",
        "reminders: due=0 sent=0 skipped=0 failed=0 (gone=0)",
    ]


async def test_remind_plans_with_the_start_up_heap_frozen(
    settings: Settings, guides: GuideBook, notifiers: dict[str, Notifier]
) -> None:
    """What start-up built is left out of the collections made while planning (gc.freeze)."""
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        assert await remind(settings, guides, everyone=True, notifiers=notifiers) == 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


async def test_remind_with_the_database_down(
    guides: GuideBook, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:9/nowhere")
    with caplog.at_level(logging.ERROR, logger="bot.wiring"):
        assert await remind(settings, guides, notifiers={}) == 1
    assert "database unavailable" in caplog.text


async def test_reminder_loop_runs_every_minute(
    coach: Coach, clock: Clock, hire: Hire, slack: FakeSlack, notifiers: dict[str, Notifier]
) -> None:
    await hire("U1", ("Kari Nordmann", "Nurse"))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 2:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await reminder_loop(coach, notifiers, sleep=sleep)
    assert slack.recipients() == ["U1"]
    assert len(waits) == 2 and all(0 < wait <= 60 for wait in waits)


async def test_serve_runs_the_loop_in_the_background(
    coach: Coach, clock: Clock, hire: Hire, slack: FakeSlack, notifiers: dict[str, Notifier]
) -> None:
    await hire("U1", ("Kari Nordmann", "Nurse"))
    coach.settings = coach.settings.model_copy(update={"coach_reminder_pace_seconds": 0})
    app = web.Application()
    app.cleanup_ctx.append(background(coach, notifiers))
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        for _ in range(200):
            if slack.posts:
                break
            await asyncio.sleep(0.01)
    finally:
        await runner.cleanup()
    assert slack.recipients() == ["U1"]
    assert await plan(coach, clock.now) == []


class RateLimitedOnce:
    """A notifier that gives up on a 429 and surfaces its Retry-After, as DeliveryError allows."""

    platform = "slack"

    def __init__(self) -> None:
        self.calls = 0

    async def send(self, recipient: Recipient, reply: Reply) -> None:
        self.calls += 1
        if self.calls == 1:
            raise DeliveryError("ratelimited", retry_after=7.0)


async def test_surfaced_retry_after_is_waited_out_then_resent(
    coach: Coach, clock: Clock, hire: Hire
) -> None:
    await hire("U1", ("Kari Nordmann", "Nurse"))
    notifier = RateLimitedOnce()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    assert await run(coach, {"slack": notifier}, sleep=sleep) == Summary(due=1, sent=1)
    assert notifier.calls == 2 and waits == [7.0]


@pytest.mark.parametrize(
    "code", ["user_not_found", "user_disabled", "user_not_visible", "cannot_dm_bot"]
)
async def test_a_slack_error_about_the_user_marks_only_that_recruiter_gone(
    coach: Coach,
    clock: Clock,
    hire: Hire,
    slack: FakeSlack,
    notifiers: dict[str, Notifier],
    sessions: async_sessionmaker[AsyncSession],
    code: str,
) -> None:
    await hire("U1", ("Kari Nordmann", "Nurse"))
    await hire("U2", ("Ola Nordmann", "Nurse"))
    slack.errors["U1"] = code
    assert await run(coach, notifiers) == Summary(due=2, sent=1, failed=1, gone=1)
    assert slack.recipients() == ["U2"]
    assert await deliveries(sessions) == {"U1": ("gone", 1), "U2": ("sent", 1)}
    assert await unreachable(sessions) == {"U1": clock.now, "U2": None}


@pytest.mark.parametrize(
    "code",
    [
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "team_access_not_granted",
        "missing_scope",
        "messages_tab_disabled",
    ],
)
async def test_a_slack_error_about_the_app_stops_slack_for_the_run_and_marks_nobody(
    coach: Coach,
    clock: Clock,
    hire: Hire,
    slack: FakeSlack,
    notifiers: dict[str, Notifier],
    sessions: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
    code: str,
) -> None:
    for user in ("U1", "U2", "U3"):
        await hire(user, (f"Candidate {user}", "Nurse"))
    slack.app_error = code
    with caplog.at_level(logging.INFO, logger="bot.reminders"):
        assert await run(coach, notifiers) == Summary(due=3, failed=3)
    assert len(slack.attempts) == 1  # the other two are not even tried
    assert set((await unreachable(sessions)).values()) == {None}
    # The one claimed is given back, not counted against the recruiter.
    assert list((await deliveries(sessions)).values()) == [("failed", 0)]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        f"reminders: slack refused the app ({code}); no more sends there this run, 2 not tried"
    ]

    # The same again while it lasts: nobody's retries are used up by the app's own trouble.
    clock.advance(minutes=1)
    assert await run(coach, notifiers) == Summary(due=3, failed=3)
    assert list((await deliveries(sessions)).values()) == [("failed", 0)]

    slack.app_error = None  # the token is fixed: the next run reaches everyone at once
    clock.advance(minutes=1)
    assert await run(coach, notifiers) == Summary(due=3, sent=3)
    assert sorted(slack.recipients()) == ["U1", "U2", "U3"]
    assert sorted((await deliveries(sessions)).values()) == [("sent", 1)] * 3


async def test_one_token_for_the_platform_refused_stops_every_workspace_there(
    coach: Coach, hire: Hire, slack: FakeSlack, notifiers: dict[str, Notifier]
) -> None:
    """Queues are per workspace, but one SLACK_BOT_TOKEN serves them all: once refused, the
    queues not yet started are not tried this run (those already running stop after their
    first refusal)."""
    workspaces = [f"T{n:02d}" for n in range(WORKSPACES_AT_ONCE + 4)]
    for workspace in workspaces:
        await hire(f"U{workspace}", ("Kari Nordmann", "Nurse"), workspace=workspace)
    slack.app_error = "token_revoked"
    assert await run(coach, notifiers) == Summary(due=len(workspaces), failed=len(workspaces))
    assert len(slack.attempts) <= WORKSPACES_AT_ONCE < len(workspaces)


async def test_workspaces_are_served_side_by_side_each_at_its_own_pace(
    coach: Coach, hire: Hire, slack: FakeSlack, notifiers: dict[str, Notifier]
) -> None:
    for workspace in ("T1", "T2"):
        for n in range(3):
            await hire(f"U{workspace}{n}", ("Kari Nordmann", "Nurse"), workspace=workspace)
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        await asyncio.sleep(0)

    assert await run(coach, notifiers, pace=0.5, sleep=sleep) == Summary(due=6, sent=6)
    # Two pauses per workspace (between its three DMs), not five for the platform.
    assert pauses == [0.5] * 4
    # The two workspaces' DMs interleave: neither waited for the other to finish.
    order = [user[1:3] for user in slack.recipients()]
    assert order != sorted(order)
