"""Weekly reminder DMs: who is due, what the message says, and sending each exactly once.

Platform-neutral: a reminder is a `Reply` handed to a `Notifier` per platform. Exactly once
across any number of processes comes from `reminder_deliveries`: a row per recruiter and
period is claimed in its own transaction before the send, and a claim whose process died
is taken over after a lease.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import string
import time as walltime
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from bot.background import repeat, while_serving
from bot.engine.context import Runtime, zone
from bot.messages import Card, Reply
from bot.notify import DeliveryError, Notifier, Recipient
from storage import reminders as store

if TYPE_CHECKING:
    from bot.coach import Coach
    from conversation_guides import GuideBook

log = logging.getLogger(__name__)

# A claim older than this is taken to belong to a process that died before sending.
# It must outlast one send including its rate-limit waits (RATE_LIMIT_RETRIES * MAX_RETRY_AFTER).
LEASE = timedelta(minutes=10)
# Transient failures (5xx, timeouts) are retried on later runs, after the lease, this often.
MAX_ATTEMPTS = 3
RATE_LIMIT_RETRIES = 3
MAX_RETRY_AFTER = 120.0
# A chat message holds only so many blocks; the rest are one `list` away.
MAX_CARDS = 10
MAX_LINES = 30
# How long after its slot a weekly reminder that has not gone out is still sent.
CATCH_UP = timedelta(hours=24)
OPEN, CLOSED = "open", "closed"
# Workspaces served side by side in one run: enough to keep each one's pace, few enough to
# keep connections and database sessions bounded with thousands of workspaces.
WORKSPACES_AT_ONCE = 16

Sleep = Callable[[float], Awaitable[None]]


# -- when ----------------------------------------------------------------------------------


def week_period(now: datetime, tz: ZoneInfo) -> str:
    """The ISO week it is now where the recruiter is, e.g. "2026-W48"."""
    year, week, _ = now.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def weekly_slot(now: datetime, tz: ZoneInfo, weekday: int, at: time) -> datetime:
    """This ISO week's slot (local weekday and time) as a UTC instant.

    A wall time skipped by a DST change (02:30 on the last Sunday of March in Oslo) maps to
    the instant an hour later; a repeated one (October) to its first occurrence.
    """
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=local.weekday() - weekday)
    # Aware datetimes sharing a tzinfo compare by wall time, so compare in UTC only.
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def snooze_period(until: datetime) -> str:
    """Each snooze is its own period, so it comes back exactly once."""
    return "snooze-" + until.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


@lru_cache(maxsize=4096)
def working_days_between(start: date, end: date) -> int:
    """Monday-to-Friday days after `start`, up to and including `end`.

    Cached: ten thousand reminders ask about the same few dozen rejection days.
    """
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    extra = sum(1 for n in range(1, rest + 1) if (start + timedelta(days=n)).weekday() < 5)
    return weeks * 5 + extra


class Calendar:
    """This week's period and slots where recruiters are, at one instant.

    Worked out once per zone (and reminder day and time), not once per recruiter: ten
    thousand recruiters share a handful of zones and slots.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._weeks: dict[str, str] = {}
        self._slots: dict[tuple[str, int, time], datetime] = {}

    def week(self, timezone: str) -> str:
        week = self._weeks.get(timezone)
        if week is None:
            week = self._weeks[timezone] = week_period(self.now, zone(timezone))
        return week

    def slot(self, timezone: str, weekday: int, at: time) -> datetime:
        key = (timezone, weekday, at)
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = weekly_slot(self.now, zone(timezone), weekday, at)
        return slot


def due_period(
    target: store.Target,
    now: datetime,
    everyone: bool,
    recorded: Callable[[str], str | None],
    calendar: Calendar | None = None,
) -> str | None:
    """The period to send now, if any. `recorded(period)`: None, OPEN or CLOSED (see `plan`).

    The weekly reminder is owed from the slot for CATCH_UP (a server that was down catches
    up, but nobody gets Monday's reminder on Sunday night); a claim or a failure already
    recorded stays owed until it is sent. A snooze holds everything back until it ends; then
    this week's reminder goes out if it has not yet, else the snoozed one, once.
    `everyone` ignores the slot, not the snooze. `calendar`: one for `now`, shared by a plan.
    """
    snoozed = target.snoozed_until
    if snoozed is not None and now < snoozed:
        return None
    calendar = calendar or Calendar(now)
    week = calendar.week(target.timezone)
    state = recorded(week)
    if state == OPEN:
        return week
    if state is None:
        slot = calendar.slot(target.timezone, target.weekday, target.at)
        # A recruiter who joined after this week's slot is first reminded next week.
        if everyone or target.created_at <= slot <= now < slot + CATCH_UP:
            return week
    if snoozed is not None:
        period = snooze_period(snoozed)
        state = recorded(period)
        if state == OPEN or (state is None and now < snoozed + CATCH_UP):
            return period
    return None


class Ages(dict[date, tuple[int, bool]]):
    """Rejection day -> (days since, overdue past the deadline), as of one day: filled as asked.

    A plain dict lookup per candidate; ten thousand reminders ask about a few dozen days.
    """

    def __init__(self, today: date, deadline: int) -> None:
        super().__init__()
        self.today = today
        self.deadline = deadline

    def __missing__(self, rejected: date) -> tuple[int, bool]:
        age = (
            max(0, (self.today - rejected).days),
            working_days_between(rejected, self.today) > self.deadline,
        )
        self[rejected] = age
        return age


@lru_cache(maxsize=64)
def ages(today: date, deadline: int) -> Ages:
    return Ages(today, deadline)


# -- what ----------------------------------------------------------------------------------


class Planned(NamedTuple):
    """One reminder that is due: to whom, for which period, about whom.

    The message itself is built just before it is sent (`build`): holding ten thousand
    built messages at once costs more in memory and garbage collection than building them.
    A named tuple: made several times faster than a frozen dataclass, thousands at a time.
    """

    recruiter_id: int
    period: str
    recipient: Recipient
    target: store.Target
    waiting: Sequence[store.Pending]
    now: datetime

    def build(self, services: Runtime) -> Reply:
        reply = build_reminder(services, self.target, self.waiting, self.now)
        assert reply is not None, "planned only with someone waiting"
        return reply


class Wording:
    """A language's reminder texts, looked up once rather than for every message and row."""

    __slots__ = (
        "called",
        "card",
        "card_overdue",
        "header",
        "header_overdue",
        "line",
        "line_overdue",
        "more",
        "no_answer",
        "prepare",
        "snooze",
    )

    def __init__(self, guides: GuideBook, language: str) -> None:
        templates = guides.templates(language)
        self.line = Template(templates["reminder_line"], ROW_FIELDS)
        self.line_overdue = Template(templates["reminder_line_overdue"], ROW_FIELDS)
        self.card = Template(templates["reminder_card"], ROW_FIELDS)
        self.card_overdue = Template(templates["reminder_card_overdue"], ROW_FIELDS)
        self.more = templates["reminder_more"].format
        self.header = templates["reminder_header"].format
        self.header_overdue = templates["reminder_header_overdue"].format
        self.prepare = guides.text(language, "button_prepare")
        self.called = guides.text(language, "button_called")
        self.no_answer = guides.text(language, "button_no_answer")
        # The same in every reminder: validated once and shared, as a built Reply is only read.
        self.snooze = Card.model_validate(
            {
                "title": guides.text(language, "reminder_snooze_title"),
                "buttons": [
                    {
                        "label": guides.text(language, "button_snooze_tomorrow"),
                        "command": "snooze tomorrow",
                    },
                    {
                        "label": guides.text(language, "button_snooze_week"),
                        "command": "snooze week",
                    },
                ],
            }
        )


# What a reminder row's templates may name, in the order `Template.pick` takes them.
ROW_FIELDS = ("name", "id", "position", "days", "deadline")


class Template:
    """A message template prepared for formatting thousands of times: `text % pick(values)`
    says what `template.format_map(dict(zip(fields, values)))` says, in half the time.

    `text` is the template in printf style and `pick` takes its fields from `values` (a tuple
    in `fields` order) in the order it names them. A template printf cannot say (a format
    spec, a conversion) keeps str.format: `text` is "%s" and `pick` formats it.
    """

    __slots__ = ("pick", "text")

    def __init__(self, template: str, fields: tuple[str, ...]) -> None:
        parts, order = [], []
        for literal, field, spec, conversion in string.Formatter().parse(template):
            parts.append(literal.replace("%", "%%"))
            if field is None:
                continue
            if spec or conversion or field not in fields:
                self.text = "%s"
                self.pick: Callable[[tuple[object, ...]], tuple[object, ...]] = lambda values: (
                    template.format_map(dict(zip(fields, values, strict=True))),
                )
                return
            parts.append("%s")
            order.append(fields.index(field))
        self.text = "".join(parts)
        if len(order) == 1:  # itemgetter of one index gives the item, not a tuple
            only = order[0]
            self.pick = lambda values: (values[only],)
        else:
            self.pick = itemgetter(*order) if order else lambda values: ()

    def __call__(self, values: tuple[object, ...]) -> str:
        return self.text % self.pick(values)


@lru_cache(maxsize=8)
def wording(guides: GuideBook, language: str) -> Wording:
    return Wording(guides, language)


def build_reminder(
    services: Runtime, target: store.Target, waiting: Sequence[store.Pending], now: datetime
) -> Reply | None:
    """The reminder: overdue candidates first, then oldest rejection first. None if nobody waits."""
    if not waiting:
        return None
    language = target.language if target.language in ("nb", "en") else None
    language = language or services.settings.coach_language
    deadline = target.call_deadline_days or services.settings.coach_call_deadline_days
    tz = zone(target.timezone)
    age = ages(now.astimezone(tz).date(), deadline)
    late: list[tuple[store.Pending, int, bool]] = []
    in_time: list[tuple[store.Pending, int, bool]] = []
    for candidate in waiting:
        days, overdue = age[candidate[3].astimezone(tz).date()]
        (late if overdue else in_time).append((candidate, days, overdue))
    # Overdue first; within each group the store's order (oldest rejection first) is kept.
    overdue_count = len(late)
    rows = late + in_time

    words = wording(services.guides, language)
    prepare, called, no_answer = words.prepare, words.called, words.no_answer
    lines: list[str] = []
    # The cards as plain data, validated once as a whole with the reply (in pydantic's core):
    # a reminder has some forty models, and ten thousand reminders go out at once. Every
    # field is given, so pydantic has no mutable default to copy.
    cards: list[Any] = []
    # Only the rows shown are formatted: beyond MAX_LINES and MAX_CARDS a row is just counted.
    for (ref, name, position, _), days, overdue in rows[: max(MAX_LINES, MAX_CARDS)]:
        values = (name, ref, position, days, deadline)  # in ROW_FIELDS order
        if len(lines) < MAX_LINES:
            line = words.line_overdue if overdue else words.line
            lines.append(line.text % line.pick(values))
        if len(cards) < MAX_CARDS:
            card = words.card_overdue if overdue else words.card
            cards.append(
                {
                    "title": f"{name} ({ref})",
                    "lines": [card.text % card.pick(values)],
                    "buttons": [
                        {"label": prepare, "command": f"start {ref}", "style": "primary"},
                        {"label": called, "command": f"log {ref} called", "style": "default"},
                        {
                            "label": no_answer,
                            "command": f"log {ref} no-answer",
                            "style": "default",
                        },
                    ],
                    "script": [],
                }
            )
    if len(rows) > len(lines):
        lines.append(words.more(count=len(rows) - len(lines)))
    cards.append(words.snooze)
    if overdue_count:
        header = words.header_overdue(count=len(rows), overdue=overdue_count)
    else:
        header = words.header(count=len(rows))
    return Reply.model_validate({"text": header + "\n" + "\n".join(lines), "cards": cards})


async def plan(services: Runtime, now: datetime, *, everyone: bool = False) -> list[Planned]:
    """Who is due now and who is waiting for them: three queries, however many recruiters."""
    with _collector_paused():
        return await _plan(services, now, everyone)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Planning keeps every row it reads (a hundred thousand, with no reference cycles among
    them), so the cyclic garbage collector would walk them again and again as they pile up,
    finding nothing: a third of the time. It is paused meanwhile; refcounting frees as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def _plan(services: Runtime, now: datetime, everyone: bool) -> list[Planned]:
    calendar = Calendar(now)
    async with services.sessions() as session:
        targets = await store.targets(session)
        periods = {calendar.week(t.timezone) for t in targets}
        periods |= {snooze_period(t.snoozed_until) for t in targets if t.snoozed_until}
        ids = [t.recruiter_id for t in targets]
        recorded = store.periods_of(await store.deliveries(session, ids, periods))

        due: list[tuple[store.Target, str]] = []
        for target in targets:

            def state(period: str, rid: int = target.recruiter_id) -> str | None:
                row = recorded.get((rid, period))
                if row is None:
                    return None
                return OPEN if row.open(now, LEASE, MAX_ATTEMPTS) else CLOSED

            period = due_period(target, now, everyone, state, calendar)
            if period is not None:
                due.append((target, period))
        waiting = await store.pending(session, [target.recruiter_id for target, _ in due])

    planned = []
    for target, period in due:
        candidates = waiting[target.recruiter_id]
        if not candidates:  # called between the two queries
            continue
        recipient = Recipient(
            platform=target.platform,
            workspace=target.workspace,
            user=target.user,
            language=target.language or services.settings.coach_language,
            conversation_reference=target.conversation_reference,
        )
        planned.append(
            Planned(target.recruiter_id, period, recipient, target, tuple(candidates), now)
        )
    return planned


# -- sending ---------------------------------------------------------------------------------


@dataclass
class Summary:
    due: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    # Of the failed: the platform said the user is gone; they are marked unreachable.
    gone: int = 0


def default_worker() -> str:
    """Who holds a claim: enough to find the process in the logs."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def run_batch(
    coach: Coach,
    notifiers: Mapping[str, Notifier],
    *,
    everyone: bool = False,
    worker: str | None = None,
    pace: float | None = None,
    sleep: Sleep = asyncio.sleep,
    lease: timedelta = LEASE,
) -> Summary:
    """Send every reminder that is due now; log a summary.

    Platforms limit rates per workspace (Slack) or tenant (Teams), so each workspace is one
    queue, paced on its own, and the queues run side by side (WORKSPACES_AT_ONCE at a time):
    one workspace's 429s or revoked token never hold up or stop another's.
    """
    worker = worker or default_worker()
    pace = coach.settings.coach_reminder_pace_seconds if pace is None else pace
    planned = await plan(coach, coach.clock(), everyone=everyone)
    summary = Summary(due=len(planned))
    queues: dict[tuple[str, str], list[Planned]] = defaultdict(list)
    for item in planned:
        # Not claimed at all: no notifier here, or nothing to address the message to (a Teams
        # user who never wrote to the bot in a personal chat). Claiming would only record a
        # failure to retry, every week, that no retry can fix.
        if item.recipient.platform in notifiers and item.recipient.addressable:
            queues[(item.recipient.platform, item.recipient.workspace)].append(item)
        else:
            summary.skipped += 1
    slots = asyncio.Semaphore(WORKSPACES_AT_ONCE)
    # Platforms whose app credentials were refused this run: one set of credentials serves
    # every workspace there (Teams, one SLACK_BOT_TOKEN), so all their queues stop.
    stopped: set[str] = set()

    async def serve(platform: str, items: list[Planned]) -> None:
        async with slots:
            await _send_all(
                coach, notifiers[platform], items, summary, worker, pace, sleep, lease, stopped
            )

    async with asyncio.TaskGroup() as group:
        for (platform, _workspace), items in queues.items():
            group.create_task(serve(platform, items))
    log.info(
        "reminders: due=%d sent=%d skipped=%d failed=%d (gone=%d)",
        summary.due,
        summary.sent,
        summary.skipped,
        summary.failed,
        summary.gone,
    )
    return summary


async def _send_all(
    coach: Coach,
    notifier: Notifier,
    items: Sequence[Planned],
    summary: Summary,
    worker: str,
    pace: float,
    sleep: Sleep,
    lease: timedelta,
    stopped: set[str],
) -> None:
    """One workspace's queue, one DM at a time: one recruiter's failure never stops the rest.

    A failure of the app itself there (its token or credentials refused, or not installed
    any more) does: every other send would fail alike, and counting it against each
    recruiter would use up their retries. With a token per workspace (Slack installed through
    OAuth) other workspaces' queues go on; with one set of credentials for the platform, the
    platform's other queues stop too.
    """
    per_workspace = bool(getattr(notifier, "credentials_per_workspace", False))
    sent_any = False
    for index, item in enumerate(items):
        if notifier.platform in stopped:
            summary.failed += len(items) - index
            return
        async with coach.sessions.begin() as session:
            claimed = await store.claim(
                session, item.recruiter_id, item.period, worker, coach.clock(), lease, MAX_ATTEMPTS
            )
        if not claimed:
            summary.skipped += 1
            continue
        if sent_any and pace > 0:
            await sleep(pace)
        sent_any = True
        error = await _send(notifier, item.recipient, item.build(coach), sleep)
        async with coach.sessions.begin() as session:
            now = coach.clock()
            if error is None:
                snoozed = item.target.snoozed_until is not None
                kept = await store.mark_sent(
                    session, item.recruiter_id, item.period, worker, now, snoozed
                )
                if not kept:
                    log.warning(
                        "reminder %s/%s: claim expired during send", item.recruiter_id, item.period
                    )
                summary.sent += 1
                continue
            if error.app_wide:
                await store.release(session, item.recruiter_id, item.period, worker, error.reason)
            else:
                await store.mark_failed(
                    session, item.recruiter_id, item.period, worker, now, error.reason, error.gone
                )
        if error.app_wide:
            untried = len(items) - index - 1
            summary.failed += 1 + untried
            where = notifier.platform
            if per_workspace:
                where += f" workspace {item.recipient.workspace}"
            else:
                stopped.add(notifier.platform)
            log.error(
                "reminders: %s refused the app (%s); no more sends there this run, %d not tried",
                where,
                error.reason[:200],
                untried,
            )
            return
        summary.failed += 1
        summary.gone += int(error.gone)
        # The recruiter's internal id only: no names in logs.
        log.warning(
            "reminder %s/%s not delivered: %s", item.recruiter_id, item.period, error.reason[:200]
        )


async def _send(
    notifier: Notifier, recipient: Recipient, reply: Reply, sleep: Sleep
) -> DeliveryError | None:
    """Send once, waiting out rate limits the notifier surfaces; None when it got through."""
    for attempt in range(RATE_LIMIT_RETRIES + 1):
        try:
            await notifier.send(recipient, reply)
            return None
        except DeliveryError as error:
            if (
                error.gone
                or error.app_wide
                or error.retry_after is None
                or attempt == RATE_LIMIT_RETRIES
            ):
                return error
            await sleep(min(max(error.retry_after, 0.0), MAX_RETRY_AFTER))
        except Exception as error:
            # A network error the notifier did not wrap: the type only, it may quote the message.
            return DeliveryError(type(error).__name__)
    raise AssertionError("unreachable")


# -- running ---------------------------------------------------------------------------------


async def reminder_loop(
    coach: Coach,
    notifiers: Mapping[str, Notifier],
    *,
    interval: float = 60.0,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """For `serve`: a run at the start of every minute until cancelled."""

    async def run() -> None:
        await run_batch(coach, notifiers, sleep=sleep)

    await repeat(
        run,
        lambda: interval - walltime.time() % interval,
        failed="reminders: run failed",
        logger=log,
        sleep=sleep,
    )


def background(
    coach: Coach, notifiers: Mapping[str, Notifier]
) -> Callable[[Any], AsyncIterator[None]]:
    """An aiohttp cleanup context running `reminder_loop` while the server is up. The
    notifiers belong to the caller (bot/wiring.py), which closes them."""
    return while_serving(lambda: reminder_loop(coach, notifiers))
