"""How fast a Teams `list` is answered, against a bare botbuilder CloudAdapter bot.

Two servers, each its own process, get the same message activities (shaped as Teams sends
them, no authentication: MICROSOFT_APP_ID is empty, as for local testing) at the same
concurrency, in alternating rounds of one run:

- coach: `python app.py serve`, the real server, on a store of 10,000 candidates;
- bare:  botbuilder's CloudAdapter on aiohttp with an ActivityHandler that replies to every
         message with one fixed Adaptive Card of 30 rows (the least a bot answering `list`
         must do).

Both reply through the Bot Connector within the turn; this script plays the connector. The
latency is the POST /api/messages exchange, which ends after the reply was delivered. Two
loads: 500 recruiters (about 20 candidates each) and one busy recruiter with 30.
Everything is 127.0.0.1.

    python benchmarks/teams_list.py [--database-url URL] [--rounds 3] [--round-requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.slack_ack import (  # noqa: E402  (the path above makes the package importable)
    ROWS,
    Server,
    Tally,
    cpu_seconds,
    free_port,
    report,
    resident_kib,
    seed,
    start_process,
    wait_healthy,
)

TENANT = "tenant-bench"
BOT_ID = "28:feedback-coach-bot"
BUSY = "aad-busy"


# -- the bare bot ---------------------------------------------------------------------------


def fixed_card() -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": f"Your candidates ({ROWS})", "weight": "Bolder"}
    ]
    for n in range(ROWS):
        body.append(
            {
                "type": "ColumnSet",
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [
                            {
                                "type": "TextBlock",
                                "text": f"Candidate {n} (k{n:05d}) · Position {n} · 3 days",
                                "wrap": True,
                            }
                        ],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [
                            {
                                "type": "ActionSet",
                                "actions": [
                                    {
                                        "type": "Action.Submit",
                                        "title": "Prepare",
                                        "data": {"command": f"start k{n:05d}"},
                                    }
                                ],
                            }
                        ],
                    },
                ],
            }
        )
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
    }


def run_bare_bot(port: int) -> None:
    from botbuilder.core import ActivityHandler, CardFactory, MessageFactory, TurnContext
    from botbuilder.integration.aiohttp import (
        CloudAdapter,
        ConfigurationBotFrameworkAuthentication,
    )

    class Configuration:
        APP_ID = ""
        APP_PASSWORD = ""
        APP_TYPE = "MultiTenant"
        APP_TENANTID = ""

    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Configuration()))
    card = CardFactory.adaptive_card(fixed_card())

    class FixedBot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext) -> None:
            await turn_context.send_activity(MessageFactory.attachment(card))

    bot = FixedBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- the Bot Connector -----------------------------------------------------------------------


class Connector:
    def __init__(self) -> None:
        self.replies = 0
        self.port = 0

    async def start(self) -> web.AppRunner:
        async def handle(request: web.Request) -> web.Response:
            await request.read()
            self.replies += 1
            return web.json_response({"id": f"reply-{self.replies}"})

        app = web.Application()
        base = "/v3/conversations/{conversation}/activities"
        app.router.add_post(base, handle)
        app.router.add_post(base + "/{activity}", handle)
        app.router.add_put(base + "/{activity}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return runner


def activity(connector: Connector, user: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "timestamp": "2026-11-23T09:00:00.000Z",
        "serviceUrl": f"http://127.0.0.1:{connector.port}/",
        "channelId": "msteams",
        "from": {"id": f"29:{user}", "name": "Rita Recruiter", "aadObjectId": user},
        "conversation": {
            "id": f"a:personal-{user}",
            "conversationType": "personal",
            "tenantId": TENANT,
        },
        "recipient": {"id": BOT_ID, "name": "Feedback Call Coach"},
        "locale": "en-US",
        "entities": [{"type": "clientInfo", "locale": "en-US", "timezone": "Europe/Oslo"}],
        "channelData": {"tenant": {"id": TENANT}},
        "text": "list",
        "textFormat": "plain",
    }


async def load(
    session: aiohttp.ClientSession,
    server: Server,
    connector: Connector,
    requests: int,
    concurrency: int,
    user: Callable[[int], str],
    tally: Tally,
) -> None:
    counter = iter(range(requests))

    async def one(n: int) -> None:
        started = time.perf_counter()
        try:
            async with session.post(
                f"{server.base}/api/messages", json=activity(connector, user(n))
            ) as response:
                await response.read()
                if response.status >= 300:
                    tally.failures += 1
                    return
            tally.latencies.append(time.perf_counter() - started)
        except aiohttp.ClientError:
            tally.failures += 1

    async def worker() -> None:
        for n in counter:
            await one(n)

    started = time.perf_counter()
    cpu = cpu_seconds(server.process)
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    tally.elapsed += time.perf_counter() - started
    tally.cpu += cpu_seconds(server.process) - cpu


async def main(options: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="teams-list-"))
    database_url = options.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    print(f"seeding {options.candidates} candidates over {options.recruiters} recruiters …")
    await seed(
        database_url,
        options.candidates,
        options.recruiters,
        platform="teams",
        workspace_id=TENANT,
        user=lambda n: f"aad-{n:05d}",
        busy_id=BUSY,
        mixed_languages=False,
    )
    connector = Connector()
    runner = await connector.start()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "MICROSOFT_APP_"))
    }
    env["DATABASE_URL"] = database_url
    coach_port, bare_port = free_port(), free_port()
    servers = [
        Server(
            "coach",
            f"http://127.0.0.1:{coach_port}",
            True,
            start_process(["app.py", "serve", "--port", str(coach_port)], env),
        ),
        Server(
            "bare",
            f"http://127.0.0.1:{bare_port}",
            True,
            start_process([__file__, "--bare-bot", str(bare_port)], env),
        ),
    ]
    spread = options.recruiters

    def spread_user(n: int) -> str:
        return f"aad-{n % spread:05d}"

    def busy_user(n: int) -> str:
        return BUSY

    cases = [
        (f"spread: {spread} recruiters, ~20 candidates each", spread_user, options.concurrency),
        (f"busy: one recruiter with {ROWS} candidates sends every request", busy_user, 50),
        (f"unloaded: one request at a time, busy recruiter ({ROWS})", busy_user, 1),
    ]
    memory: list[tuple[str, int]] = []
    sent = 0
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=options.concurrency * 2)
        ) as session:
            for server in servers:
                await wait_healthy(session, server.base, server.process)
            memory.append(("after start", resident_kib(servers[0].process)))
            # Warm up, one message from every recruiter: the first one is greeted.
            for server in servers:
                await load(session, server, connector, spread + 1, 10, spread_user, Tally())
                await load(session, server, connector, 1, 1, busy_user, Tally())
            sent += spread + 1
            for title, user, concurrency in cases:
                concurrency = options.concurrency if concurrency > 1 else 1
                tallies = {server.label: Tally() for server in servers}
                requests = options.round_requests if concurrency > 1 else options.unloaded
                for round_number in range(options.rounds):
                    order = servers if round_number % 2 == 0 else servers[::-1]
                    for server in order:
                        await load(
                            session,
                            server,
                            connector,
                            requests,
                            concurrency,
                            user,
                            tallies[server.label],
                        )
                    sent += requests
                report(title, tallies)
            memory.append((f"after {sent} requests", resident_kib(servers[0].process)))
    finally:
        for server in servers:
            server.process.terminate()
            server.process.wait(timeout=10)
        await runner.cleanup()
    print(
        f"\nall of the above: `list` as a Teams message, {options.candidates} candidates stored "
        f"({database_url.split(':')[0]}), {options.concurrency} concurrent, {options.rounds} "
        f"alternating rounds of {options.round_requests} per server (unloaded: {options.unloaded})"
    )
    print(
        "coach resident memory: "
        + ", ".join(f"{kib / 1024:.1f} MiB {when}" for when, kib in memory)
    )
    return 0


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--round-requests", type=int, default=400)
    parser.add_argument("--unloaded", type=int, default=50, help="requests per unloaded round")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--recruiters", type=int, default=500)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--bare-bot", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.bare_bot:
        run_bare_bot(options.bare_bot)
        return 0
    return asyncio.run(main(options))


if __name__ == "__main__":
    sys.exit(cli())
