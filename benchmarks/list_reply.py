"""What one `list` costs in the server's own process, step by step, without any HTTP.

The engine's answer (one transaction: the recruiter, their candidates, the reply built), the
Slack blocks and the Teams cards made of it, and the JSON that goes on the wire, for a
recruiter with 30 candidates in a store of 10,000. Run before and after a change, in turns,
to see what the change bought; the servers' benchmarks (slack_ack.py, teams_list.py) say
what it buys under load. Each step is shown as wall-clock and CPU time (time.process_time,
every thread of the process, so aiosqlite's thread counts too; on a shared machine the CPU
column moves far less), with the statements the engine sent per `list` and, on SQLite, the
hand-offs to aiosqlite's thread that carried them.

    python benchmarks/list_reply.py [--database-url URL] [--repeat 500]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from benchmarks.slack_ack import BUSY, TEAM, seed  # noqa: E402
from bot.channels.slack import blocks  # noqa: E402
from bot.channels.teams.activities import reply_activity  # noqa: E402
from bot.channels.teams.deps import labels_for  # noqa: E402
from bot.coach import Coach  # noqa: E402
from bot.messages import Identity, Inbound  # noqa: E402
from bot.settings import Settings  # noqa: E402
from conversation_guides import GuideBook  # noqa: E402
from storage.database import open_database  # noqa: E402


async def main(options: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="list-reply-"))
    url = options.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    await seed(url, 10_000, 500)
    engine, sessions = await open_database(url)
    coach = Coach(sessions, GuideBook(), Settings(DATABASE_URL=url))
    who = Identity(platform="slack", workspace=TEAM, user=BUSY)
    inbound = Inbound(text="list")
    names = ("engine", "slack blocks", "slack json", "teams cards", "teams json")
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    handoffs = _count_handoffs()
    texts = {language: functools.partial(coach.t, language) for language in ("en", "nb")}
    clocks = (time.perf_counter, time.process_time)
    for n in range(options.repeat + 50):
        marks = [tuple(clock() for clock in clocks)]
        answer = await coach.converse(who, inbound)
        marks.append(tuple(clock() for clock in clocks))
        reply = answer.replies[0]
        body = blocks.reply_blocks(reply, texts[answer.language], answer.language)
        marks.append(tuple(clock() for clock in clocks))
        json.dumps({"text": reply.text, "blocks": body})
        marks.append(tuple(clock() for clock in clocks))
        activity = reply_activity(reply, labels_for(coach, answer.language))
        marks.append(tuple(clock() for clock in clocks))
        json.dumps([attachment.content for attachment in activity.attachments or []])
        marks.append(tuple(clock() for clock in clocks))
        if n == 49:  # the first ones warm caches up
            statements.clear()
            handoffs[0] = 0
        if n >= 50:
            for name, before, after in zip(names, marks[:-1], marks[1:], strict=True):
                wall[name].append(after[0] - before[0])
                cpu[name].append(after[1] - before[1])
    reply_only = await _reply_only(coach, who, options.repeat)
    await engine.dispose()
    runs = options.repeat
    print(f"`list` for a recruiter with 30 candidates ({url.split(':')[0]}), median of {runs}")
    print(f"  {'step':14} {'wall ms':>8} {'CPU ms':>8}  (CPU: mean)")
    for name in names:
        median_wall = statistics.median(wall[name]) * 1000
        median_cpu = statistics.median(cpu[name]) * 1000
        mean_cpu = statistics.fmean(cpu[name]) * 1000
        print(f"  {name:14} {median_wall:8.3f} {median_cpu:8.3f}  ({mean_cpu:.3f})")
    total = sum(statistics.fmean(cpu[name]) for name in names) * 1000
    print(f"  {'all (mean)':14} {'':8} {total:8.3f}")
    median_cpu, mean_cpu = statistics.median(reply_only) * 1000, statistics.fmean(reply_only) * 1000
    print(f"  of the engine, the reply made of the rows read: {median_cpu:.3f} ({mean_cpu:.3f})")
    # Transaction control counted too: SQLite's BEGIN (from our begin hook) is a statement here.
    print(f"  statements per list: {len(statements) / runs:g}", end="")
    if handoffs[0]:
        print(f", aiosqlite thread hand-offs per list: {handoffs[0] / runs:g}", end="")
    print()
    return 0


async def _reply_only(coach: Coach, who: Identity, repeat: int) -> list[float]:
    """CPU seconds of the `list` handler alone, its rows already read: the part of the engine's
    step that formatting and models cost, without the database's noise around it."""
    from bot import commands
    from bot.engine.context import Context
    from storage import queries

    read = queries.list_candidates
    async with coach.sessions() as session:
        recruiter = await queries.find_recruiter(session, who.platform, who.workspace, who.user)
        assert recruiter is not None
        rows = await read(session, recruiter)

        async def already_read(*args: Any, **kwargs: Any) -> list[queries.CandidateSummary]:
            return rows

        queries.list_candidates = already_read  # type: ignore[assignment]
        try:
            ctx = Context(session, who, recruiter, recruiter.language or "en", coach.clock())
            command = commands.parse("list")
            assert not isinstance(command, commands.ParseError)
            times: list[float] = []
            for n in range(repeat + 50):
                started = time.process_time()
                await coach.candidates.list_all(ctx, command)
                if n >= 50:
                    times.append(time.process_time() - started)
        finally:
            queries.list_candidates = read
    return times


def _count_handoffs() -> list[int]:
    """Counts every call aiosqlite hands to its thread (each is a wake-up of that thread and of
    the event loop): the cost of a statement beyond the statement itself."""
    import aiosqlite.core

    count = [0]
    handoff = aiosqlite.core.Connection._execute

    async def counted(self: aiosqlite.core.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        count[0] += 1
        return await handoff(self, fn, *args, **kwargs)

    aiosqlite.core.Connection._execute = counted  # type: ignore[method-assign]
    return count


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--repeat", type=int, default=500)
    sys.exit(asyncio.run(main(parser.parse_args())))
