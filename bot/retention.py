"""The retention policy: personal data of long-rejected candidates is deleted, counts stay.

A candidate's name, notes, preparation and consents are deleted once their rejection is older
than COACH_RETENTION_DAYS, unless they have an active talent-pool consent (then they go when
the consent expires or is withdrawn). `python app.py purge` runs it once; `serve` runs it daily.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.background import repeat, while_serving
from bot.settings import Settings
from storage import inbox as inbox_store
from storage import intake as intake_store
from storage import privacy as store
from storage.database import bound_engine

log = logging.getLogger(__name__)

DAY = 24 * 60 * 60.0
# Inbox rows are done in seconds; one still there after a day was given up on, and its
# payload (a candidate's name, checklist answers) must not stay.
INBOX_MAX_AGE = timedelta(days=1)
# Short transactions: a large first purge does not hold locks for long.
BATCH = 500
# The audit action for data erased because the workspace removed the app.
UNINSTALL_ACTION = "uninstall-erase"

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class PurgeResult:
    anonymized: int
    public_ids: tuple[str, ...]
    # Whether the database file was compacted afterwards (SQLite, when something changed).
    scrubbed: bool


async def purge(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
) -> PurgeResult:
    """Anonymise every candidate past retention without an active consent; audit each one.

    `sessions` are on `engine`; the engine itself is needed to compact a SQLite file."""
    rejected_before = now - timedelta(days=settings.coach_retention_days)
    done: list[str] = []
    expired, first = 0, True
    while True:
        async with sessions.begin() as session:
            if first:
                # ATS candidates nobody was assigned lose their name on the same schedule, in
                # the first batch's transaction (a run opens no more transactions than before).
                expired = await intake_store.purge_unassigned(session, rejected_before)
                first = False
            batch = await store.due_for_purge(session, rejected_before, now, BATCH)
            await store.anonymize(session, [item.id for item in batch], now)
            for item in batch:
                store.audit(
                    session, item.workspace_id, store.RETENTION_ACTOR, "purge", item.public_id, now
                )
        done += [item.public_id for item in batch]
        if len(batch) < BATCH:
            break
    done += await erase_uninstalled(sessions, settings, now)
    async with sessions.begin() as session:
        dropped = await inbox_store.delete_older_than(session, now - INBOX_MAX_AGE)
    if dropped:
        log.warning("retention: deleted %d inbox rows nobody finished", dropped)
    scrubbed = False
    if done or expired or dropped:
        await store.scrub(engine)
        scrubbed = engine.dialect.name == "sqlite"
    log.info("retention: anonymised %d candidates", len(done))
    return PurgeResult(len(done), tuple(done), scrubbed)


async def erase_uninstalled(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> list[str]:
    """Erase the personal data of workspaces that removed the app more than the grace ago.

    Every candidate there is anonymised, talent-pool consent or not (nobody is left to call
    them), each audited; then what the store holds about the workspace's people. A reinstall
    before this ran cleared the mark, so nothing is lost for a workspace that came back.
    """
    cutoff = now - timedelta(days=settings.coach_uninstall_grace_days)
    async with sessions() as session:
        workspaces = await store.uninstalled_before(session, cutoff)
    done: list[str] = []
    for workspace_id in workspaces:
        while True:
            async with sessions.begin() as session:
                batch = await store.workspace_candidates(session, workspace_id, BATCH)
                await store.anonymize(session, [item.id for item in batch], now)
                for item in batch:
                    store.audit(
                        session, workspace_id, store.RETENTION_ACTOR, UNINSTALL_ACTION,
                        item.public_id, now,
                    )  # fmt: skip
                if len(batch) < BATCH:
                    await store.finish_workspace_erasure(session, workspace_id, now)
                    store.audit(
                        session, workspace_id, store.RETENTION_ACTOR, UNINSTALL_ACTION, None, now
                    )
            done += [item.public_id for item in batch]
            if len(batch) < BATCH:
                break
    if workspaces:
        log.info("retention: erased %d uninstalled workspaces", len(workspaces))
    return done


async def erase_now(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> list[str]:
    """Erase uninstalled workspaces whose grace has passed (COACH_UNINSTALL_GRACE_DAYS=0: at
    once) and leave no readable trace in the SQLite file, without waiting for the daily run."""
    done = await erase_uninstalled(sessions, settings, now)
    if done:
        # Its caller (Slack's uninstall event) holds the coach's sessions, not the engine.
        await store.scrub(await bound_engine(sessions))
    return done


async def retention_loop(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    interval: float = DAY,
) -> None:
    """Purge now and then once per interval, until cancelled. Failures wait for the next round."""

    async def run() -> None:
        await purge(engine, sessions, settings, clock())

    await repeat(run, lambda: interval, failed="retention: purge failed", logger=log)


def background(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    interval: float = DAY,
) -> Callable[[Any], AsyncIterator[None]]:
    """An aiohttp cleanup context running the daily purge for as long as the server runs."""
    return while_serving(lambda: retention_loop(engine, sessions, settings, clock, interval))
