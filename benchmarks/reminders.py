"""How long finding who is due and building their reminders takes, and in how many queries.

    python benchmarks/reminders.py                          # SQLite files in a temp folder
    python benchmarks/reminders.py --database-url postgresql+asyncpg://postgres@127.0.0.1/db

On PostgreSQL everything goes into a schema of its own (dropped afterwards), so the
database's own tables are left alone. The query count must not grow with the recruiters.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.coach import Coach
from bot.concreteness import warm_up
from bot.messages import Reply
from bot.notify import Recipient
from bot.reminders import plan, run_batch
from bot.settings import Settings
from bot.wiring import settle_heap
from conversation_guides import GuideBook
from storage.database import create_engine, make_sessionmaker, migrate
from storage.tables import Candidate, Position, Recruiter, Workspace

SCHEMA = "bench_reminders"
# Monday 09:30 in Oslo: the busiest minute of the week for a Norwegian customer base.
NOW = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
ZONES = ["Europe/Oslo"] * 8 + ["UTC", "America/New_York"]


class QueryCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        self.count += 1


class NullNotifier:
    """Accepts every message: measures our side of sending, not Slack's."""

    platform = "slack"

    async def send(self, recipient: Recipient, reply: Reply) -> None:
        return None


async def fill(engine: AsyncEngine, recruiters: int, per_recruiter: int) -> None:
    """Bulk rows with core executemany inserts; the engine's own code paths are not needed."""
    rng = random.Random(recruiters)
    created = NOW - timedelta(days=120)
    workspaces = max(1, recruiters // 100)
    positions_per_workspace = 5
    async with engine.begin() as connection:
        await connection.execute(
            insert(Workspace),
            [
                {
                    "id": w + 1,
                    "platform": "slack",
                    "external_id": f"T{w:05d}",
                    "created_at": created,
                }
                for w in range(workspaces)
            ],
        )
        await connection.execute(
            insert(Position),
            [
                {
                    "id": w * positions_per_workspace + p + 1,
                    "workspace_id": w + 1,
                    "title": f"Position {p}",
                    "title_key": f"position {p}",
                    "created_at": created,
                }
                for w in range(workspaces)
                for p in range(positions_per_workspace)
            ],
        )
        await connection.execute(
            insert(Recruiter),
            [
                {
                    "id": r + 1,
                    "workspace_id": r % workspaces + 1,
                    "external_id": f"U{r:07d}",
                    "language": "nb" if r % 2 else "en",
                    "timezone": ZONES[r % len(ZONES)],
                    "reminder_weekday": 0,
                    "reminder_time": clock_time(9, 0),
                    "reminders_enabled": r % 20 != 0,
                    "created_at": created,
                }
                for r in range(recruiters)
            ],
        )
        batch: list[dict[str, Any]] = []
        number = 0
        for r in range(recruiters):
            workspace = r % workspaces
            for _ in range(per_recruiter):
                number += 1
                rejected = NOW - timedelta(minutes=rng.randrange(60 * 24 * 60))
                called = rng.random() < 0.4
                batch.append(
                    {
                        "id": number,
                        "public_id": f"b{number:07d}",
                        "workspace_id": workspace + 1,
                        "recruiter_id": r + 1,
                        "position_id": workspace * positions_per_workspace
                        + rng.randrange(positions_per_workspace)
                        + 1,
                        "name": f"Candidate {number}",
                        "internal": rng.random() < 0.1,
                        "rejected_at": rejected,
                        "outcome": "called" if called else None,
                        "outcome_at": NOW if called else None,
                        "attempts": 0,
                        "created_at": rejected,
                    }
                )
                if len(batch) == 20_000:
                    await connection.execute(insert(Candidate), batch)
                    batch = []
        if batch:
            await connection.execute(insert(Candidate), batch)
        if connection.dialect.name == "postgresql":
            await connection.execute(text("ANALYZE"))


async def measure(url: str, recruiters: int, per_recruiter: int, send: bool) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if url.startswith("postgresql"):
        options["connect_args"] = {"server_settings": {"search_path": SCHEMA}}
        admin = create_engine(url)
        async with admin.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
            await connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        await admin.dispose()
    engine = create_engine(url, **options)
    try:
        await migrate(engine)
        started = time.perf_counter()
        await fill(engine, recruiters, per_recruiter)
        filled = time.perf_counter() - started
        settings = Settings(DATABASE_URL=url, COACH_REMINDER_PACE_SECONDS=0)
        coach = Coach(make_sessionmaker(engine), GuideBook(), settings, clock=lambda: NOW)
        counter = QueryCounter(engine)
        warm_up()  # as `remind` starts: the svada dictionaries are in the heap too
        await plan(coach, NOW)  # warm up: connection, statement caches
        figures: dict[str, Any] = {"recruiters": recruiters, "fill_s": filled}
        # `remind` freezes what start-up built (bot.wiring.settle_heap) before planning; timed
        # with and without, alternating, the better of two runs each.
        for _ in range(2):
            for frozen in (False, True):
                if frozen:
                    settle_heap()
                suffix = "_frozen" if frozen else ""
                for label, everyone in (("due", False), ("now", True)):
                    counter.count = 0
                    started, cpu = time.perf_counter(), time.process_time()
                    planned = await plan(coach, NOW, everyone=everyone)
                    # Built one by one, as the sender does just before each send.
                    cards = sum(len(item.build(coach).cards) for item in planned)
                    spent = time.perf_counter() - started
                    cpu = time.process_time() - cpu
                    key = f"{label}{suffix}_s"
                    figures[key] = min(spent, figures.get(key, spent))
                    figures[key + "_cpu"] = min(cpu, figures.get(key + "_cpu", cpu))
                    figures[f"{label}_queries"] = counter.count
                    figures[f"{label}_messages"] = len(planned)
                    figures[f"{label}_cards"] = cards
                    del planned
                gc.unfreeze()
        if send:
            counter.count = 0
            started = time.perf_counter()
            summary = await run_batch(coach, {"slack": NullNotifier()}, pace=0)
            figures["send_s"] = time.perf_counter() - started
            figures["send_sent"] = summary.sent
            figures["send_queries_per_reminder"] = counter.count / max(1, summary.sent)
        return figures
    finally:
        if url.startswith("postgresql"):
            async with engine.begin() as connection:
                await connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        await engine.dispose()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite temp files)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--candidates-per-recruiter", type=int, default=20)
    parser.add_argument("--send", action="store_true", help="also send through a null notifier")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / f'bench{size}.db'}"
            results.append(await measure(url, size, args.candidates_per_recruiter, args.send))
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{backend}, {args.candidates_per_recruiter} candidates per recruiter (40% called)")
    for r in results:
        candidates = r["recruiters"] * args.candidates_per_recruiter
        print(
            f"{r['recruiters']:>7,} recruiters, {candidates:>9,} candidates"
            f" (bulk insert {r['fill_s']:.1f} s)"
        )
        for label, title in (("due", "due at Monday 09:30 Oslo"), ("now", "--now (everyone)")):
            print(
                f"    {title:<26} {r[f'{label}_messages']:>6,} messages,"
                f" {r[f'{label}_cards']:>7,} cards in {r[f'{label}_s'] * 1000:>7.0f} ms"
                f" (CPU {r[f'{label}_s_cpu'] * 1000:.0f} ms;"
                f" frozen {r[f'{label}_frozen_s'] * 1000:.0f} ms,"
                f" CPU {r[f'{label}_frozen_s_cpu'] * 1000:.0f} ms),"
                f" {r[f'{label}_queries']} SQL queries"
            )
        if "send_s" in r:
            print(
                f"    sending (null notifier)    {r['send_sent']:>6,} sent in {r['send_s']:.1f} s,"
                f" {r['send_queries_per_reminder']:.1f} SQL queries per reminder"
            )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
