"""The durable inbox: what a platform was told "got it" for is written down before it is told.

A channel hands `accept` the validated, typed request in its acknowledgement path. It
answers one of:
- a `Ticket`: the row is stored and claimed by this process; acknowledge, then `run` it;
- `BUSY`: this process already carries `capacity` requests; nothing was stored, so the
  acknowledgement says "very busy, try again in a minute" (load shedding);
- `UNAVAILABLE`: the database could not store it; the acknowledgement says so;
- `DUPLICATE`: the same delivery is already in the inbox and someone is on it.

A job runs the same channel code the acknowledgement path would have run, then deletes
its row. A process that dies leaves its rows claimed; once their lease runs out (no process
renews it) `recover` in any server process — or the same one restarted — takes them over
and runs them with `recovered=True`. The engine's delivery keys keep the work itself to
exactly once; at worst the user hears the answer twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import inbox as store
from storage.errors import DATABASE_ERRORS, PROBLEMS, describe

log = logging.getLogger(__name__)

Job = Callable[[dict[str, Any], bool], Awaitable[None]]
Clock = Callable[[], datetime]
# After this many runs that failed outright, a request is given up (and logged) so that a
# payload that always fails cannot circle between processes for ever.
MAX_ATTEMPTS = 5


def utcnow() -> datetime:
    return datetime.now(UTC)


class Refusal(Enum):
    BUSY = "busy"
    UNAVAILABLE = "database_down"
    DUPLICATE = "duplicate"


BUSY, UNAVAILABLE, DUPLICATE = Refusal.BUSY, Refusal.UNAVAILABLE, Refusal.DUPLICATE


@dataclass
class Ticket:
    """A stored request this process owns until `run` (or `release`) is done with it."""

    inbox: Inbox
    id: int
    kind: str
    payload: dict[str, Any]
    recovered: bool = False

    async def run(self) -> None:
        """Do the job registered for this kind, then delete the row."""
        await self.inbox._run(self)

    @contextlib.asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """For work done in place of `run`: the row is deleted when the block ends normally,
        and left for a later round when it fails."""
        try:
            yield
        except BaseException:
            self.inbox.open.discard(self.id)
            raise
        await self.inbox._finish(self)


class Inbox:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        capacity: int = 100,
        lease: timedelta = timedelta(seconds=30),
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.capacity = capacity
        self.lease = lease
        self.clock = clock
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.jobs: dict[str, Job] = {}
        # Requests this process has accepted and not yet finished: the backlog.
        self.open: set[int] = set()
        self._reserved = 0
        # Requests answered in place, with nothing stored: they count in the backlog too.
        self._held = 0
        # Rows answered whose DELETE failed (the store went away): deleted on the next round.
        self._undeleted: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def register(self, kind: str, job: Job) -> None:
        self.jobs[kind] = job

    @property
    def backlog(self) -> int:
        return len(self.open) + self._reserved + self._held

    @contextlib.contextmanager
    def holding(self) -> Iterator[bool]:
        """For a request answered in place, with nothing stored (it changes nothing): counted
        in the backlog while it runs. Yields False, counting nothing, when the inbox is full."""
        if self.backlog >= self.capacity:
            log.warning("inbox: busy, refused a read-only request (backlog %d)", self.backlog)
            yield False
            return
        self._held += 1
        try:
            yield True
        finally:
            self._held -= 1

    async def accept(self, kind: str, key: str, payload: dict[str, Any]) -> Ticket | Refusal:
        """Store a request before it is acknowledged; see the module docstring."""
        if self.backlog >= self.capacity:
            log.warning("inbox: busy, refused a %s (backlog %d)", kind, self.backlog)
            return BUSY
        self._reserved += 1
        try:
            async with self.sessions.begin() as session:
                row = await store.add(session, key, kind, payload, self.worker, self.clock())
        except DATABASE_ERRORS as error:
            problem = PROBLEMS.explain(error)
            PROBLEMS.record(problem)
            log.error("inbox: database %s: %s", problem.kind, problem.code)
            return UNAVAILABLE
        finally:
            self._reserved -= 1
        PROBLEMS.clear()  # a write went through: whatever failed before is over
        if row is None:
            return DUPLICATE
        self.open.add(row)
        return Ticket(self, row, kind, payload)

    async def _run(self, ticket: Ticket) -> None:
        job = self.jobs.get(ticket.kind)
        try:
            if job is None:  # never deleted unread: a process that has the job will do it
                raise LookupError("no job registered for this kind")
            await job(ticket.payload, ticket.recovered)
        except Exception as error:
            # Only the type: the text may quote the payload. The row stays claimed, so once
            # the lease runs out a later round tries again (up to MAX_ATTEMPTS).
            log.error("inbox: %s failed: %s", ticket.kind, type(error).__name__)
            self.open.discard(ticket.id)
            return
        except BaseException:  # cancelled (the server stops): another round finishes it
            self.open.discard(ticket.id)
            raise
        await self._finish(ticket)

    async def _finish(self, ticket: Ticket) -> None:
        self.open.discard(ticket.id)
        try:
            async with self.sessions.begin() as session:
                await store.finish(session, [ticket.id, *self._undeleted])
            self._undeleted.clear()
        except DATABASE_ERRORS as error:
            log.error("inbox: could not delete a done row: %s", describe(error).code)
            self._undeleted.add(ticket.id)

    # -- recovery and leases -------------------------------------------------------------

    async def recover(self) -> int:
        """One round: renew our leases, take over rows left by a dead process and start them."""
        now = self.clock()
        free = self.capacity - self.backlog
        async with self.sessions.begin() as session:
            await store.renew(session, self.worker, self.open, now)
            if self._undeleted:
                await store.finish(session, self._undeleted)
                self._undeleted.clear()
            # Only kinds this process can do: a server without Slack leaves Slack's rows alone.
            items = await store.take_over(
                session, self.worker, now, self.lease, free, list(self.jobs)
            )
        for item in items:
            if item.attempts > MAX_ATTEMPTS:
                log.error("inbox: gave up a %s after %d attempts", item.kind, item.attempts - 1)
                async with self.sessions.begin() as session:
                    await store.finish(session, [item.id])
                continue
            log.info("inbox: took over a %s left unfinished", item.kind)
            self.open.add(item.id)
            ticket = Ticket(self, item.id, item.kind, item.payload, recovered=True)
            task = asyncio.create_task(ticket.run())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(items)

    async def loop(self, interval: float) -> None:
        while True:
            try:
                await self.recover()
            except DATABASE_ERRORS as error:
                log.error("inbox: recovery round failed: %s", describe(error).code)
            await asyncio.sleep(interval)

    async def drain(self) -> None:
        """Wait for the jobs this process took over (for an orderly stop and for tests)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks))


def background(inbox: Inbox) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """For an aiohttp cleanup_ctx: recovery rounds (a third of the lease apart) while serving."""

    @contextlib.asynccontextmanager
    async def run(_: Any) -> AsyncIterator[None]:
        interval = max(0.2, inbox.lease.total_seconds() / 3)
        task = asyncio.create_task(inbox.loop(interval))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return run
