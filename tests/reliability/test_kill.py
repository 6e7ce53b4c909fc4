"""kill -9 of a real `python app.py serve` in the middle of a burst of `add` and checklist
submissions: after a restart (or by the other server) and a redelivery of every request that
got no acknowledgement, every acknowledged request is done exactly once and answered."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from storage.tables import CallPreparation, Candidate, InboxItem
from tests.support.slack import SIGNING_SECRET, signed_headers
from tests.support.slack_api import BOT_TOKEN, TEAM, FakeSlack
from tests.support.slack_checklist import CONCRETE, inputs

ROOT = Path(__file__).resolve().parents[2]
ADDS = 40
CHECKLISTS = 12
LEASE = 1.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """One `python app.py serve` process on an ephemeral port of 127.0.0.1."""

    database_url: str
    slack: FakeSlack
    log: Path
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.url,
            "COACH_INBOX_LEASE_SECONDS": str(LEASE),
            "COACH_REMINDER_PACE_SECONDS": "0",
        }
        arguments = ["app.py", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, *arguments, cwd=ROOT, env=env, stdout=log, stderr=log
            )
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(self.base + "/healthz") as response:
                        if response.status == 200:
                            return
                assert self.process.returncode is None, self.log.read_text()
                await asyncio.sleep(0.05)
        raise AssertionError("the server did not start")

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


@dataclass
class Request:
    """One delivery as Slack makes it, resent unchanged until it is acknowledged."""

    name: str
    body: str
    user: str
    answer_key: str
    acked: bool = False
    ack_body: str = ""
    acked_by: int = 0
    content_type: str = "application/x-www-form-urlencoded"


def command(name: str, user: str, n: int) -> Request:
    key = f"add-{n}"
    body = urlencode(
        {
            "team_id": TEAM, "user_id": user, "command": "/feedback-call",
            "text": f"add {name} | Nurse", "trigger_id": f"trigger-add-{n}",
            "response_url": f"{{fake}}/respond/{key}", "api_app_id": "A0COACH",
        }
    )  # fmt: skip
    return Request(name, body, user, key)


def submission(candidate: str, user: str, n: int) -> Request:
    key = f"view-{n}"
    view = {
        "type": "modal", "callback_id": "checklist", "id": f"V{n}", "hash": "h1",
        "private_metadata": json.dumps(
            {"candidate": candidate, "response_url": f"{{fake}}/respond/{key}"}
        ),
        "blocks": [{"type": "input", "block_id": "competence"}],
        "state": {"values": inputs(CONCRETE)},
    }  # fmt: skip
    payload = {
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0COACH", "trigger_id": f"trigger-view-{n}", "view": view,
    }  # fmt: skip
    return Request(candidate, urlencode({"payload": json.dumps(payload)}), user, key)


def mention(name: str, user: str, n: int) -> Request:
    """An @mention in a channel; its answer is threaded under the message (answer_key: ts)."""
    ts = f"1700000000.{n:06d}"
    event = {
        "type": "app_mention", "channel": "C0TEAM", "user": user, "ts": ts, "event_ts": ts,
        "text": f"<@UBOT> add {name} | Nurse",
    }  # fmt: skip
    body = json.dumps(
        {
            "team_id": TEAM, "api_app_id": "A0COACH", "type": "event_callback",
            "event_id": f"EvKill{n:06d}", "event_time": 1700000000, "event": event,
        }
    )  # fmt: skip
    return Request(name, body, user, ts, content_type="application/json")


def threaded(fake: FakeSlack, request: Request) -> list[str]:
    """What the coach posted under a mention: the answer, or the pointer to the DM."""
    return [
        str(call.params.get("text"))
        for call in fake.called("chat.postMessage")
        if call.params.get("thread_ts") == request.answer_key
    ]


async def deliver(http: aiohttp.ClientSession, server: Server, request: Request, fake: str) -> None:
    """One attempt; a connection that dies (the server was killed) leaves it unacknowledged."""
    body = request.body.replace("%7Bfake%7D", fake.replace(":", "%3A").replace("/", "%2F"))
    headers = {"Content-Type": request.content_type, **signed_headers(body)}
    try:
        async with http.post(server.base + "/slack/events", data=body, headers=headers) as reply:
            text = await reply.text()
            if reply.status == 200:
                request.acked, request.ack_body, request.acked_by = True, text, server.port
    except (TimeoutError, aiohttp.ClientError):
        pass


@contextlib.asynccontextmanager
async def servers(
    database_url: str, slack: FakeSlack, tmp: Path, count: int
) -> AsyncIterator[list[Server]]:
    running = [Server(database_url, slack, tmp / f"server-{n}.log") for n in range(count)]
    try:
        for server in running:
            await server.start()
        yield running
    finally:
        for server in running:
            await server.stop()


async def prepare(http: aiohttp.ClientSession, server: Server, fake: FakeSlack) -> list[Request]:
    """Candidates whose checklists are submitted in the burst, one recruiter each."""
    adds = [command(f"Kari {n}", f"U0CHECK{n}", 1000 + n) for n in range(CHECKLISTS)]
    for request in adds:
        await deliver(http, server, request, fake.url.removesuffix("/api/"))
        assert request.acked
    await wait_until(lambda: all(answer(fake, r) for r in adds))
    ids = []
    for request in adds:
        text = answer(fake, request)
        assert text is not None
        ids.append(text.split("(")[1].split(")")[0])
    return [submission(ids[n], f"U0CHECK{n}", n) for n in range(CHECKLISTS)]


def answer(fake: FakeSlack, request: Request) -> str | None:
    texts = [body["text"] for key, body in fake.answered if key == request.answer_key]
    return texts[0] if texts else None


def script_sent(fake: FakeSlack, request: Request) -> bool:
    return any(
        call.params.get("channel") == request.user and "call script" in str(call.params)
        for call in fake.called("chat.postMessage")
    )


async def wait_until(condition: Any, limit: float = 60) -> None:
    for _ in range(int(limit / 0.1)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("gave up waiting")


async def burst(
    http: aiohttp.ClientSession, targets: list[Server], victim: Server, requests: list[Request],
    fake: FakeSlack, sessions: async_sessionmaker[AsyncSession], *, unacknowledged: bool = True,
) -> None:  # fmt: skip
    """Every request at once, spread over the servers; the victim dies once it has
    acknowledged a sixth of them."""
    base = fake.url.removesuffix("/api/")
    cycle = itertools.cycle(targets)
    tasks = [asyncio.create_task(deliver(http, next(cycle), r, base)) for r in requests]
    enough = len(requests) // 6
    await wait_until(lambda: sum(r.acked_by == victim.port for r in requests) >= enough, 30)
    await victim.kill()
    # Counted at once: after the lease, another process takes the rows over.
    rows = await rows_of(sessions, victim)
    await asyncio.gather(*tasks)
    unacked = sum(not r.acked for r in requests)
    print(f"after the kill: {rows} inbox rows left, {unacked} requests unacknowledged")
    # Acknowledged work the dead process left undone is what this is about; unacknowledged
    # requests are usual too, though with two servers the survivor may have taken them all.
    assert rows, "the kill came too late to test anything"
    if unacknowledged:
        assert unacked or len(targets) > 1, "the kill came too late to test anything"


async def rows_of(sessions: async_sessionmaker[AsyncSession], victim: Server) -> int:
    """Inbox rows the dead process had claimed: acknowledged work it left undone."""
    assert victim.process is not None
    async with sessions() as session:
        rows = await session.scalar(
            select(func.count())
            .select_from(InboxItem)
            .where(InboxItem.claimed_by.contains(f":{victim.process.pid}:"))
        )
    return int(rows or 0)


async def redeliver(
    http: aiohttp.ClientSession, server: Server, requests: list[Request], fake: FakeSlack
) -> None:
    base = fake.url.removesuffix("/api/")
    for _ in range(5):
        pending = [r for r in requests if not r.acked]
        if not pending:
            return
        await asyncio.gather(*(deliver(http, server, r, base) for r in pending))
    assert all(r.acked for r in requests)


async def check(
    sessions: async_sessionmaker[AsyncSession],
    fake: FakeSlack,
    adds: list[Request],
    checklists: list[Request],
) -> None:
    # Every user heard back: an answer at the command's response_url, the script as a DM.
    await wait_until(lambda: all(answer(fake, r) for r in adds), limit=60)
    await wait_until(lambda: all(script_sent(fake, r) for r in checklists), limit=60)
    for request in adds:
        text = answer(fake, request)
        assert text is not None
        assert text.startswith(f"Added {request.name} ") or "already recorded" in text, text
    async with sessions() as session:
        names = (
            await session.execute(select(Candidate.name, func.count()).group_by(Candidate.name))
        ).all()
        # Exactly once: every add made one candidate, never two, never none.
        counts = dict(names)
        for request in adds:
            assert counts.get(request.name) == 1, (request.name, counts.get(request.name))
        preparations = (
            await session.scalars(
                select(CallPreparation).options(selectinload(CallPreparation.answers))
            )
        ).all()
        done = {p.candidate_id: p for p in preparations if p.completed_at is not None}
        assert len(done) == CHECKLISTS
        for preparation in done.values():
            saved = {a.step_key: a.text for a in preparation.answers}
            assert saved["competence"] == CONCRETE["competence"]
        await wait_until_empty(session)


async def wait_until_empty(session: AsyncSession) -> None:
    for _ in range(100):
        if not await session.scalar(select(func.count()).select_from(InboxItem)):
            return
        await session.rollback()
        await asyncio.sleep(0.1)
    raise AssertionError("inbox rows were left")


async def test_kill_9_mid_burst_then_restart(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> None:
    async with (
        servers(database_url, fake_slack, tmp_path, 1) as (server,),
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
    ):
        checklists = await prepare(http, server, fake_slack)
        fake_slack.respond_delay = 0.2  # answers take a moment: work is in flight at the kill
        adds = [command(f"Person {n}", "U0BURST", n) for n in range(ADDS)]
        requests = [r for pair in itertools.zip_longest(adds, checklists) for r in pair if r]
        await burst(http, [server], server, requests, fake_slack, sessions)
        await server.start()  # the same database, a new process
        await redeliver(http, server, requests, fake_slack)
        await check(sessions, fake_slack, adds, checklists)
        assert "Traceback" not in server.log.read_text()


async def test_two_servers_one_killed(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> None:
    async with (
        servers(database_url, fake_slack, tmp_path, 2) as (first, second),
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
    ):
        checklists = await prepare(http, first, fake_slack)
        fake_slack.respond_delay = 0.2
        adds = [command(f"Person {n}", "U0BURST", n) for n in range(ADDS)]
        requests = [r for pair in itertools.zip_longest(adds, checklists) for r in pair if r]
        await burst(http, [first, second], first, requests, fake_slack, sessions)
        # No restart: the survivor takes over what the dead one had acknowledged.
        await redeliver(http, second, requests, fake_slack)
        await check(sessions, fake_slack, adds, checklists)
        for server in (first, second):
            assert "Traceback" not in server.log.read_text()


async def test_kill_9_mid_burst_of_mentions_then_restart(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    fake_slack: FakeSlack,
    tmp_path: Path,
) -> None:
    """Bolt acknowledges an event before its listener runs: an @mention is written to the
    inbox before that, so one acknowledged and then lost with its process is answered after
    the restart, and Slack's redelivery of any of them adds nothing and says nothing again."""
    async with (
        servers(database_url, fake_slack, tmp_path, 1) as (server,),
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http,
    ):
        # Posting takes a moment: acknowledged mentions are still being answered at the kill.
        fake_slack.plan("chat.postMessage", times=4 * ADDS, delay=0.2)
        mentions = [mention(f"Mentioned {n}", "U0MENTION", n) for n in range(ADDS)]
        # An event's acknowledgement is only the inbox row, so all may be acknowledged by the
        # kill: the acknowledged work left undone is what this is about.
        await burst(http, [server], server, mentions, fake_slack, sessions, unacknowledged=False)
        await server.start()
        await redeliver(http, server, mentions, fake_slack)
        await wait_until(lambda: all(threaded(fake_slack, r) for r in mentions), limit=60)
        async with sessions() as session:
            await wait_until_empty(session)
        answered = {r.answer_key: threaded(fake_slack, r) for r in mentions}
        # Slack redelivers every one of them (a retry after a timeout looks just the same).
        for request in mentions:
            request.acked = False
        await redeliver(http, server, mentions, fake_slack)
        async with sessions() as session:
            await wait_until_empty(session)
            counts = dict(
                (
                    await session.execute(
                        select(Candidate.name, func.count()).group_by(Candidate.name)
                    )
                ).all()
            )
        for request in mentions:
            assert counts.get(request.name) == 1, (request.name, counts.get(request.name))
            assert threaded(fake_slack, request) == answered[request.answer_key], request.name
            # The add's answer holds a candidate's name: in the DM, and a pointer in the channel.
            assert len(answered[request.answer_key]) >= 1
        assert "Traceback" not in server.log.read_text()
