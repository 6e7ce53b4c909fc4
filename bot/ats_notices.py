"""The recruiter hears about candidates from the ATS: one private message per batch, with a
Prepare button for each, at most one an hour; later ones are folded into the next.

Platform-neutral like the reminders: a `Reply` handed to each platform's `Notifier`. The hour
is claimed in the store before the send, so several servers never both send it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.ats import VENDOR_NAMES
from bot.background import repeat, while_serving
from bot.messages import Button, Card, Reply
from bot.notify import DeliveryError, Notifier, Recipient
from storage import intake as store

if TYPE_CHECKING:
    from bot.coach import Coach

log = logging.getLogger(__name__)

# New candidates wait this long for more of the same batch before the recruiter hears of them.
BATCH_WINDOW = timedelta(seconds=60)
# At most one such message per recruiter in this time; the rest are folded into the next.
NOTICE_INTERVAL = timedelta(hours=1)
MAX_CARDS = 10


def build_notice(coach: Coach, language: str, items: Sequence[store.Waiting]) -> Reply:
    """One message for a recruiter's new candidates: a line per position and source, and a
    Prepare button for each (the first MAX_CARDS)."""
    t = lambda key, **values: coach.t(language, key, **values)  # noqa: E731
    groups: dict[tuple[str, str], int] = defaultdict(int)
    for item in items:
        groups[(item.position, item.vendor)] += 1
    lines = [
        t(
            "intake_notice_one" if count == 1 else "intake_notice_many",
            count=count,
            position=position,
            vendor=VENDOR_NAMES.get(vendor, vendor),
        )
        for (position, vendor), count in groups.items()
    ]
    cards = [
        Card(
            title=f"{item.name} ({item.public_id})",
            lines=[item.position],
            buttons=[
                Button(
                    label=t("button_prepare"), command=f"start {item.public_id}", style="primary"
                )
            ],
        )
        for item in items[:MAX_CARDS]
    ]
    text = "\n".join(lines) + "\n" + t("intake_notice_footer")
    if len(items) > MAX_CARDS:
        text += "\n" + t("intake_notice_more", count=len(items) - MAX_CARDS)
    return Reply(text=text, cards=cards)


async def send_notices(
    coach: Coach,
    notifiers: Mapping[str, Notifier],
    *,
    pace: float | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> int:
    """Tell each recruiter about their new candidates from the ATS: one message per batch, at
    most one an hour. A batch is ready once its oldest candidate waited BATCH_WINDOW.
    Returns how many messages went out."""
    now = coach.clock()
    pace = coach.settings.coach_reminder_pace_seconds if pace is None else pace
    async with coach.sessions() as session:
        waiting = await store.waiting_notices(session)
    by_recruiter: dict[int, list[store.Waiting]] = defaultdict(list)
    for item in waiting:
        by_recruiter[item.recruiter_id].append(item)
    sent = 0
    halted: set[str] = set()
    for recruiter_id, items in by_recruiter.items():
        first = items[0]
        if first.platform not in notifiers or first.platform in halted:
            continue
        if min(item.created_at for item in items) > now - BATCH_WINDOW:
            continue
        async with coach.sessions.begin() as session:
            if not await store.claim_notice(session, recruiter_id, now, now - NOTICE_INTERVAL):
                continue
        language = (
            first.language if first.language in ("nb", "en") else coach.settings.coach_language
        )
        recipient = Recipient(
            platform=first.platform,
            workspace=first.workspace,
            user=first.user,
            language=language,
            conversation_reference=first.conversation_reference,
        )
        if sent and pace:
            await sleep(pace)
        try:
            await notifiers[first.platform].send(recipient, build_notice(coach, language, items))
        except DeliveryError as error:
            log.warning("intake notice to %s failed: %s", first.user, error.reason)
            async with coach.sessions.begin() as session:
                # Not sent: the next run may try again, the hour starts with a message that arrived.
                await store.release_notice(session, recruiter_id)
            if error.retry_after is not None or error.app_wide:
                # Rate limited, or the platform refuses the bot itself: the rest on that
                # platform wait for the next run rather than hammering it now.
                halted.add(first.platform)
            continue
        async with coach.sessions.begin() as session:
            await store.mark_notified(session, [item.row_id for item in items], now)
        sent += 1
    return sent


async def notice_loop(
    coach: Coach, notifiers: Mapping[str, Notifier], interval: float = 30.0
) -> None:
    """For `serve`: send what is ready every `interval` seconds until cancelled."""

    async def run() -> None:
        await send_notices(coach, notifiers)

    await repeat(run, lambda: interval, failed="intake notices: run failed", logger=log)


def background(
    coach: Coach, notifiers: Mapping[str, Notifier]
) -> Callable[[Any], AsyncIterator[None]]:
    """An aiohttp cleanup context running `notice_loop` while the server is up. The notifiers
    belong to the caller (bot/wiring.py), which closes them."""
    return while_serving(lambda: notice_loop(coach, notifiers))
