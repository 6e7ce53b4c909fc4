"""How fast a recruiter sees the answer to `/feedback-call list`, against four Bolt anchors.

Five servers, each its own process, get the same signed slash commands at the same
concurrency, in alternating rounds of one run (so a busy machine weighs on all alike):

- coach:   `python app.py serve`, the real server, on a store of 10,000 candidates;
- stored:  the least any Bolt app must do to answer `list` from where the coach keeps it:
           Bolt + the aiohttp adapter + SQLAlchemy's asyncio engine on the same store (the
           coach's engine settings), the asker's candidates read in one statement joined to
           who asks, a line and a button per row, answered in the acknowledgement;
- respond: the least any Bolt app must do to answer `list` the way Slack's docs show first:
           Bolt + the aiohttp adapter, `ack()`, then a fixed list of 30 rows posted to the
           response_url with Bolt's own `respond()`;
- in-ack:  the same fixed list, answered in the acknowledgement itself (`ack(text, blocks)`),
           which is how the coach answers a command that only reads;
- bare:    Bolt + the aiohttp adapter, a listener that only acknowledges.

Latency is what the recruiter sees: an acknowledgement that carries blocks is the answer; an
empty one is followed by the answer at the response_url (which this script serves itself,
along with a stand-in for the Slack Web API), except for the bare app, whose empty
acknowledgement is all it does. An acknowledgement with text and no blocks ("very busy")
counts as a failure. Two loads: the 500-recruiter spread (about 20 candidates each) and one
busy recruiter with 30 candidates sending every request; then one request at a time
(unloaded). Last, the coach's resident memory after start and after 10,000 requests.
Everything is 127.0.0.1.

    python benchmarks/slack_ack.py [--database-url URL] [--rounds 3] [--round-requests 600]
                                   [--before CHECKOUT]

With --before, an earlier checkout's coach (`git worktree add /tmp/before <commit>`) runs as a
sixth server on the same store, so a change is measured against what it replaced in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "benchmark-signing-secret"
TOKEN = "xoxb-benchmark-token"
TEAM = "TBENCH"


# -- the anchors: Bolt and its aiohttp adapter, as little as each answer needs -------------

BUSY = "UBUSY"
ROWS = 30
ANCHORS = ("stored", "respond", "in-ack", "bare")


def _bolt(api_url: str):  # type: ignore[no-untyped-def]
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    return AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        signing_secret=SECRET,
        process_before_response=False,
    )


def row_block(line: str, public_id: str) -> dict:
    """One row of a compact list: its line and one button."""
    return {
        "type": "section",
        "text": {"type": "plain_text", "text": line},
        "accessory": {
            "type": "button",
            "text": {"type": "plain_text", "text": "Prepare"},
            "action_id": f"prepare:{public_id}",
            "value": f"start {public_id}",
            "style": "primary",
        },
    }


def fixed_list() -> tuple[str, list[dict]]:
    """30 rows, each a line of text with one button: what a compact list must carry at least."""
    rows = [f"Candidate {n} (k{n:05d}) · Position {n} · 3 days · not called" for n in range(ROWS)]
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "plain_text", "text": f"Your candidates ({ROWS})"}}
    ]
    blocks.extend(row_block(row, f"k{n:05d}") for n, row in enumerate(rows))
    return "\n".join(rows), blocks


def run_anchor_server(port: int, api_url: str, kind: str) -> None:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    bolt = _bolt(api_url)
    text, blocks = fixed_list()

    if kind == "bare":

        @bolt.command("/feedback-call")
        async def only_ack(ack) -> None:  # type: ignore[no-untyped-def]
            await ack()

    elif kind == "stored":
        from sqlalchemy import bindparam, select

        from storage.database import open_database
        from storage.tables import Candidate, Position, Recruiter, Workspace

        # The least a list needs: the asker's candidates, found by who asks, in one statement.
        rows_of = (
            select(Candidate.public_id, Candidate.name, Position.title)
            .join(Recruiter, Recruiter.id == Candidate.recruiter_id)
            .join(Workspace, Workspace.id == Recruiter.workspace_id)
            .join(Position, Position.id == Candidate.position_id)
            .where(
                Workspace.platform == "slack",
                Workspace.external_id == bindparam("team"),
                Recruiter.external_id == bindparam("user"),
                Candidate.name.is_not(None),
            )
            .order_by(Candidate.rejected_at, Candidate.id)
        )
        stores: list[Any] = []

        async def open_store(app: web.Application) -> None:
            stores.extend(await open_database(os.environ["DATABASE_URL"]))

        @bolt.command("/feedback-call")
        async def read_and_answer(ack, command) -> None:  # type: ignore[no-untyped-def]
            async with stores[0].connect() as connection:
                result = await connection.execute(
                    rows_of, {"team": command["team_id"], "user": command["user_id"]}
                )
                rows = result.all()
            lines = [f"{name} ({public_id}) · {title}" for public_id, name, title in rows]
            answer = [row_block(line, row.public_id) for line, row in zip(lines, rows, strict=True)]
            await ack(text="\n".join(lines), blocks=answer, response_type="ephemeral")

    elif kind == "in-ack":

        @bolt.command("/feedback-call")
        async def answer_in_ack(ack) -> None:  # type: ignore[no-untyped-def]
            await ack(text=text, blocks=blocks, response_type="ephemeral")

    else:

        @bolt.command("/feedback-call")
        async def ack_and_respond(ack, respond) -> None:  # type: ignore[no-untyped-def]
            await ack()
            await respond(text=text, blocks=blocks, response_type="ephemeral")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    if kind == "stored":
        app.on_startup.append(open_store)
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- the store ---------------------------------------------------------------------------


async def seed(
    database_url: str,
    candidates: int,
    recruiters: int,
    *,
    platform: str = "slack",
    workspace_id: str = TEAM,
    user: Callable[[int], str] = lambda n: f"U{n:05d}",
    busy_id: str = BUSY,
    mixed_languages: bool = True,
) -> None:
    """Candidates spread over recruiters, 30 for the busy one; every profile already cached.
    The Teams benchmark seeds its tenant through the same function."""
    from storage.database import open_database
    from storage.queries import new_public_id
    from storage.tables import Candidate, Position, Recruiter, Workspace

    engine, sessions = await open_database(database_url)
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        workspace = Workspace(platform=platform, external_id=workspace_id, created_at=now)
        session.add(workspace)
        await session.flush()
        positions = [
            Position(
                workspace_id=workspace.id,
                title=f"Position {n}",
                title_key=f"position {n}",
                created_at=now,
            )
            for n in range(50)
        ]
        people = [
            Recruiter(
                workspace_id=workspace.id,
                external_id=user(n),
                language="nb" if mixed_languages and n % 2 else "en",
                language_checked_at=now,
                timezone="Europe/Oslo",
                created_at=now,
            )
            for n in range(recruiters)
        ]
        busy = Recruiter(
            workspace_id=workspace.id,
            external_id=busy_id,
            language="en",
            language_checked_at=now,
            timezone="Europe/Oslo",
            created_at=now,
        )
        people.append(busy)
        session.add_all(positions + people)
        await session.flush()
        used: set[str] = set()
        rows = []
        for n in range(candidates):
            public_id = new_public_id()
            while public_id in used:
                public_id = new_public_id()
            used.add(public_id)
            rows.append(
                Candidate(
                    public_id=public_id,
                    workspace_id=workspace.id,
                    recruiter_id=(busy if n < ROWS else people[n % recruiters]).id,
                    position_id=positions[n % len(positions)].id,
                    name=f"Candidate {n}",
                    internal=n % 7 == 0,
                    rejected_at=now - timedelta(days=n % 30),
                    outcome="called" if n % 3 == 1 else None,
                    attempts=0,
                    created_at=now,
                )
            )
        session.add_all(rows)
    await engine.dispose()


# -- Slack's side: the Web API stand-in and the response_url ---------------------------------


class SlackSide:
    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.api)
        app.router.add_post("/respond/{key}", self.respond)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "auth.test":
            return web.json_response(
                {"ok": True, "team_id": TEAM, "user_id": "UBOT", "bot_id": "BBOT"}
            )
        if method == "users.info":
            user = request.query.get("user", "")
            return web.json_response(
                {"ok": True, "user": {"id": user, "locale": "en-US", "tz": "Europe/Oslo"}}
            )
        return web.json_response({"ok": True})

    async def respond(self, request: web.Request) -> web.Response:
        await request.read()
        future = self.waiting.get(request.match_info["key"])
        if future is not None and not future.done():
            future.set_result(time.perf_counter())
        return web.Response(text="ok")


# -- the load ---------------------------------------------------------------------------


async def wait_healthy(
    session: aiohttp.ClientSession, base: str, process: subprocess.Popen
) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            async with session.get(f"{base}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


@dataclass
class Server:
    label: str
    base: str
    answered_by_ack: bool
    process: subprocess.Popen


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    failures: int = 0
    # The server's own CPU time (all its threads) spent on these requests: on a machine
    # shared with other work this moves far less than the latencies do.
    cpu: float = 0.0

    def figures(self) -> tuple[float, float, float]:
        ordered = sorted(self.latencies)

        def at(fraction: float) -> float:
            return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

        return at(0.50), at(0.99), len(ordered) / self.elapsed


async def load(
    session: aiohttp.ClientSession,
    server: Server,
    side: SlackSide,
    key: str,
    requests: int,
    concurrency: int,
    user: Callable[[int], str],
    tally: Tally,
) -> None:
    verifier = SignatureVerifier(SECRET)
    counter = iter(range(requests))

    async def one(n: int) -> None:
        name = f"{server.label}-{key}-{n}"
        body = urlencode(
            {
                "team_id": TEAM,
                "user_id": user(n),
                "command": "/feedback-call",
                "text": "list",
                "response_url": f"http://127.0.0.1:{side.port}/respond/{name}",
                "trigger_id": f"trigger-{name}",
            }
        )
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": str(verifier.generate_signature(timestamp=stamp, body=body)),
        }
        arrived: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        side.waiting[name] = arrived
        started = time.perf_counter()
        try:
            async with session.post(
                f"{server.base}/slack/events", data=body, headers=headers
            ) as response:
                body = await response.read()
                acked = time.perf_counter()
                # An acknowledgement with text but no blocks is a refusal ("very busy").
                if response.status != 200 or (body and b'"blocks"' not in body):
                    tally.failures += 1
                    return
            if body or server.answered_by_ack:
                done = acked
            else:
                done = await asyncio.wait_for(arrived, 30)
            tally.latencies.append(done - started)
        except (aiohttp.ClientError, TimeoutError):
            tally.failures += 1
        finally:
            side.waiting.pop(name, None)

    async def worker() -> None:
        for n in counter:
            await one(n)

    started = time.perf_counter()
    cpu = cpu_seconds(server.process)
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    tally.elapsed += time.perf_counter() - started
    tally.cpu += cpu_seconds(server.process) - cpu


def resident_kib(process: subprocess.Popen) -> int:
    """VmRSS of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(process: subprocess.Popen) -> float:
    """User and system time of a process and its threads so far, from /proc (Linux)."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_process(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def report(title: str, tallies: dict[str, Tally]) -> None:
    print(f"\n{title}")
    # The server's CPU column only where the benchmark measured it.
    show_cpu = any(tally.cpu for tally in tallies.values())
    cpu_heading = f"{'cpu ms/req':>12}" if show_cpu else ""
    print(f"{'':9}{'p50 ms':>9}{'p99 ms':>9}{'req/s':>9}{'n':>7}{'failed':>8}{cpu_heading}")
    figures = {}
    for label, tally in tallies.items():
        if not tally.latencies:
            print(f"{label:9} no successful requests")
            continue
        figures[label] = tally.figures()
        p50, p99, rate = figures[label]
        count = len(tally.latencies)
        cpu = f"{tally.cpu * 1000 / max(1, count):12.2f}" if show_cpu else ""
        print(f"{label:9}{p50:9.1f}{p99:9.1f}{rate:9.0f}{count:7d}{tally.failures:8d}{cpu}")
    coach = figures.get("coach")
    before = figures.get("before")
    if coach and before:
        print(
            f"coach/before: throughput {coach[2] / before[2]:5.2f}x,"
            f"  p50 {coach[0] / before[0]:5.2f}x  p99 {coach[1] / before[1]:5.2f}x"
        )
    stored, respond = figures.get("stored"), figures.get("respond")
    if stored and respond:
        # How close any app that reads the list through SQLAlchemy can come to the goal.
        print(f"respond/stored: throughput {respond[2] / stored[2]:5.2f}x")
    for anchor in ANCHORS:
        other = figures.get(anchor)
        if coach and other:
            # The goal reads "coach throughput within 1.5x of the anchor": anchor / coach.
            print(
                f"{anchor:>9}/coach: throughput {other[2] / coach[2]:5.2f}x,"
                f"  coach/{anchor}: p50 {coach[0] / other[0]:5.2f}x"
                f"  p99 {coach[1] / other[1]:5.2f}x"
            )


async def main(options: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="slack-ack-"))
    database_url = options.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    print(
        f"seeding {options.candidates} candidates over {options.recruiters} recruiters "
        f"and one busy one ({ROWS}) …"
    )
    await seed(database_url, options.candidates, options.recruiters)
    side = SlackSide()
    await side.start()
    api_url = f"http://127.0.0.1:{side.port}/api/"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
    }
    env.pop("SLACK_APP_TOKEN", None)
    ports = {label: free_port() for label in ("coach", *ANCHORS)}
    servers = [
        Server(
            "coach",
            f"http://127.0.0.1:{ports['coach']}",
            False,
            start_process(["app.py", "serve", "--port", str(ports["coach"])], env),
        ),
        *(
            Server(
                label,
                f"http://127.0.0.1:{ports[label]}",
                label == "bare",
                start_process(
                    [__file__, "--anchor", label, str(ports[label]), "--api-url", api_url], env
                ),
            )
            for label in ANCHORS
        ),
    ]
    if options.before:
        # An earlier checkout of the coach, on the same store and load, in the same rounds.
        checkout = Path(options.before)
        port = free_port()
        servers.insert(
            1,
            Server(
                "before",
                f"http://127.0.0.1:{port}",
                False,
                start_process(["app.py", "serve", "--port", str(port)], env, cwd=checkout),
            ),
        )
    coach = servers[0]
    spread = options.recruiters

    def spread_user(n: int) -> str:
        return f"U{n % spread:05d}"

    def busy_user(n: int) -> str:
        return BUSY

    cases = [
        (f"spread: {spread} recruiters, ~20 candidates each", spread_user, options.concurrency),
        (
            f"busy: one recruiter with {ROWS} candidates sends every request",
            busy_user,
            options.concurrency,
        ),
        (f"unloaded: one request at a time, busy recruiter ({ROWS})", busy_user, 1),
    ]
    results: list[tuple[str, dict[str, Tally]]] = []
    memory: list[tuple[str, int]] = []
    sent = 0
    connector = aiohttp.TCPConnector(limit=options.concurrency * 2)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            for server in servers:
                await wait_healthy(session, server.base, server.process)
            memory.append(("after start", resident_kib(coach.process)))
            # Warm up: first auth.test, connection pools, imports on first use.
            for server in servers:
                await load(session, server, side, "warm", 200, 10, spread_user, Tally())
            sent += 200
            for title, user, concurrency in cases:
                tallies = {server.label: Tally() for server in servers}
                requests = options.round_requests if concurrency > 1 else options.unloaded
                for round_number in range(options.rounds):
                    # Alternate who goes first, so no server always meets the same neighbour.
                    shift = round_number % len(servers)
                    for server in servers[shift:] + servers[:shift]:
                        await load(
                            session,
                            server,
                            side,
                            f"{title[:4]}{round_number}",
                            requests,
                            concurrency,
                            user,
                            tallies[server.label],
                        )
                    sent += requests
                results.append((title, tallies))
                report(title, tallies)
            memory.append((f"after {sent} requests", resident_kib(coach.process)))
            if sent < options.memory_requests:
                rest = options.memory_requests - sent
                await load(
                    session,
                    coach,
                    side,
                    "memory",
                    rest,
                    options.concurrency,
                    spread_user,
                    Tally(),
                )
                sent += rest
                memory.append((f"after {sent} requests", resident_kib(coach.process)))
    finally:
        for server in servers:
            server.process.terminate()
            server.process.wait(timeout=10)

    print(
        f"\nall of the above: signed `/feedback-call list`, {options.candidates} candidates "
        f"stored ({database_url.split(':')[0]}), {options.rounds} alternating rounds of "
        f"{options.round_requests} per server (unloaded: {options.unloaded})"
    )
    print(
        "coach resident memory: "
        + ", ".join(f"{kib / 1024:.1f} MiB {when}" for when, kib in memory)
    )
    return 0


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--round-requests", type=int, default=600)
    parser.add_argument("--unloaded", type=int, default=100, help="requests per unloaded round")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--recruiters", type=int, default=500)
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument(
        "--before",
        metavar="CHECKOUT",
        help="also run CHECKOUT's coach (an earlier version, e.g. a git worktree) as 'before'",
    )
    parser.add_argument("--anchor", nargs=2, metavar=("KIND", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.anchor:
        kind, port = options.anchor
        run_anchor_server(int(port), options.api_url, kind)
        return 0
    if options.before:
        options.before = str(Path(options.before).resolve())
    return asyncio.run(main(options))


if __name__ == "__main__":
    sys.exit(cli())
