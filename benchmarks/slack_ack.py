"""How fast a recruiter sees the answer to `/feedback-call list`, against a bare Bolt app.

Runs `python app.py serve` (the real server, its own process) on a store holding 10,000
candidates, and a bare AsyncApp that only acknowledges (its own process, same aiohttp
adapter), then sends both the same signed slash commands at the same concurrency.
Latency is what the recruiter sees: for the bare app the acknowledgement; for the coach,
whose acknowledgement is empty, the arrival of the answer at the response_url, which this
script serves itself along with a stand-in for the Slack Web API. Everything is 127.0.0.1.

    python benchmarks/slack_ack.py [--requests 3000] [--concurrency 50] [--candidates 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "benchmark-signing-secret"
TOKEN = "xoxb-benchmark-token"
TEAM = "TBENCH"


# -- the bare app: Bolt, the aiohttp adapter, and a listener that only acknowledges ----------


def run_bare_server(port: int, api_url: str) -> None:
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    bolt = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        signing_secret=SECRET,
        process_before_response=False,
    )

    @bolt.command("/feedback-call")
    async def only_ack(ack) -> None:  # type: ignore[no-untyped-def]
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- the store ---------------------------------------------------------------------------


async def seed(database_url: str, candidates: int, recruiters: int) -> None:
    """Candidates spread over recruiters; every profile already cached (the steady state)."""
    from storage.database import open_database
    from storage.queries import new_public_id
    from storage.tables import Candidate, Position, Recruiter, Workspace

    engine, sessions = await open_database(database_url)
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        workspace = Workspace(platform="slack", external_id=TEAM, created_at=now)
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
                external_id=f"U{n:05d}",
                language="nb" if n % 2 else "en",
                language_checked_at=now,
                timezone="Europe/Oslo",
                created_at=now,
            )
            for n in range(recruiters)
        ]
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
                    recruiter_id=people[n % recruiters].id,
                    position_id=positions[n % len(positions)].id,
                    name=f"Candidate {n}",
                    internal=n % 7 == 0,
                    rejected_at=now - timedelta(days=n % 30),
                    outcome="called" if n % 3 == 0 else None,
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


async def load(
    session: aiohttp.ClientSession,
    base: str,
    side: SlackSide,
    label: str,
    requests: int,
    concurrency: int,
    recruiters: int,
    answered_by_ack: bool,
) -> tuple[list[float], float, int]:
    verifier = SignatureVerifier(SECRET)
    latencies: list[float] = []
    failures = 0
    counter = iter(range(requests))

    async def one(n: int) -> None:
        nonlocal failures
        key = f"{label}-{n}"
        body = urlencode(
            {
                "team_id": TEAM,
                "user_id": f"U{n % recruiters:05d}",
                "command": "/feedback-call",
                "text": "list",
                "response_url": f"http://127.0.0.1:{side.port}/respond/{key}",
                "trigger_id": f"trigger-{key}",
            }
        )
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": str(verifier.generate_signature(timestamp=stamp, body=body)),
        }
        arrived: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        side.waiting[key] = arrived
        started = time.perf_counter()
        try:
            async with session.post(f"{base}/slack/events", data=body, headers=headers) as response:
                await response.read()
                acked = time.perf_counter()
                if response.status != 200:
                    failures += 1
                    return
            done = acked if answered_by_ack else await asyncio.wait_for(arrived, 30)
            latencies.append(done - started)
        except (aiohttp.ClientError, TimeoutError):
            failures += 1
        finally:
            side.waiting.pop(key, None)

    async def worker() -> None:
        for n in counter:
            await one(n)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, failures


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def start_process(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def main(options: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="slack-ack-"))
    database_url = options.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    print(f"seeding {options.candidates} candidates over {options.recruiters} recruiters …")
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
    coach_port, bare_port = free_port(), free_port()
    processes = [
        start_process(["app.py", "serve", "--port", str(coach_port)], env),
        start_process([__file__, "--bare-server", str(bare_port), "--api-url", api_url], env),
    ]
    results = {}
    connector = aiohttp.TCPConnector(limit=options.concurrency * 2)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            targets = [
                ("coach", f"http://127.0.0.1:{coach_port}", False),
                ("bare", f"http://127.0.0.1:{bare_port}", True),
            ]
            for (label, base, by_ack), process in zip(targets, processes, strict=True):
                await wait_healthy(session, base, process)
                # Warm up: first auth.test, connection pools, imports on first use.
                await load(
                    session, base, side, f"{label}-warm", 100, 10, options.recruiters, by_ack
                )
                results[label] = await load(
                    session,
                    base,
                    side,
                    label,
                    options.requests,
                    options.concurrency,
                    options.recruiters,
                    by_ack,
                )
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)

    print(
        f"\n{options.requests} signed `/feedback-call list` per server, {options.concurrency} "
        f"concurrent, {options.candidates} candidates stored ({database_url.split(':')[0]})"
    )
    print(f"{'':8}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>10}{'failed':>8}")
    figures = {}
    for label, (latencies, elapsed, failures) in results.items():
        if not latencies:
            print(f"{label:8} no successful requests")
            return 1
        p50, p99 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.99) * 1000
        rate = len(latencies) / elapsed
        figures[label] = (p50, p99, rate)
        print(f"{label:8}{p50:10.1f}{p99:10.1f}{rate:10.0f}{failures:8d}")
    coach, bare = figures["coach"], figures["bare"]
    print(
        f"ratio   p50 {coach[0] / bare[0]:.2f}x   p99 {coach[1] / bare[1]:.2f}x   "
        f"throughput {coach[2] / bare[2]:.2f}x (coach / bare)"
    )
    return 0


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--recruiters", type=int, default=500)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.bare_server:
        run_bare_server(options.bare_server, options.api_url)
        return 0
    return asyncio.run(main(options))


if __name__ == "__main__":
    sys.exit(cli())
