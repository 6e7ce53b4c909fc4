"""The retention policy: personal data of long-rejected candidates is deleted, counts stay.

A candidate's name, notes, preparation and consents are deleted once their rejection is older
than COACH_RETENTION_DAYS, unless they have an active talent-pool consent (then they go when
the consent expires or is withdrawn). `python app.py purge` runs it once; `serve` runs it daily.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage import privacy as store

log = logging.getLogger(__name__)

DAY = 24 * 60 * 60.0
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
    sessions: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> PurgeResult:
    """Anonymise every candidate past retention without an active consent; audit each one."""
    rejected_before = now - timedelta(days=settings.coach_retention_days)
    done: list[str] = []
    while True:
        async with sessions.begin() as session:
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
    scrubbed = False
    if done:
        await store.scrub(sessions.kw["bind"])
        scrubbed = sessions.kw["bind"].dialect.name == "sqlite"
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
        await store.scrub(sessions.kw["bind"])
    return done


async def purge_command(settings: Settings) -> int:
    """`python app.py purge`: apply the policy once, say how many, and exit."""
    from storage.database import open_database

    engine, sessions = await open_database(settings.database_url)
    try:
        result = await purge(sessions, settings, datetime.now(UTC))
    except (DBAPIError, OSError) as error:
        log.error("retention: database unavailable: %s", type(error).__name__)
        return 1
    finally:
        await engine.dispose()
    print(f"Purged the personal data of {result.anonymized} candidates.")
    return 0


async def retention_loop(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    interval: float = DAY,
) -> None:
    """Purge now and then once per interval, until cancelled. Failures wait for the next round."""
    while True:
        try:
            await purge(sessions, settings, clock())
        except Exception as error:
            # Only the type: the message of a database error can quote candidate data.
            log.error("retention: purge failed: %s", type(error).__name__)
        await asyncio.sleep(interval)


def background(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    interval: float = DAY,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp cleanup context running the daily purge for as long as the server runs."""

    async def run(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(retention_loop(sessions, settings, clock, interval))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return run
