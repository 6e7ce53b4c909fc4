"""What one `list` costs in the server's own process, step by step, without any HTTP.

The engine's answer (one transaction: the recruiter, their candidates, the reply built), the
Slack blocks and the Teams cards made of it, and the JSON that goes on the wire, for a
recruiter with 30 candidates in a store of 10,000. Run before and after a change, in turns,
to see what the change bought; the servers' benchmarks (slack_ack.py, teams_list.py) say
what it buys under load.

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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
    steps: dict[str, list[float]] = {"engine": [], "slack blocks": [], "slack json": []}
    steps |= {"teams cards": [], "teams json": []}
    texts = {language: functools.partial(coach.t, language) for language in ("en", "nb")}
    for n in range(options.repeat + 50):
        started = time.perf_counter()
        answer = await coach.converse(who, inbound)
        built = time.perf_counter()
        reply = answer.replies[0]
        body = blocks.reply_blocks(reply, texts[answer.language], answer.language)
        blocked = time.perf_counter()
        json.dumps({"text": reply.text, "blocks": body})
        encoded = time.perf_counter()
        activity = reply_activity(reply, labels_for(coach, answer.language))
        carded = time.perf_counter()
        json.dumps([attachment.content for attachment in activity.attachments or []])
        done = time.perf_counter()
        if n >= 50:  # the first ones warm caches up
            steps["engine"].append(built - started)
            steps["slack blocks"].append(blocked - built)
            steps["slack json"].append(encoded - blocked)
            steps["teams cards"].append(carded - encoded)
            steps["teams json"].append(done - carded)
    await engine.dispose()
    print(f"`list` for a recruiter with 30 candidates ({url.split(':')[0]}), median of {n - 49}")
    for step, values in steps.items():
        print(f"  {step:14} {statistics.median(values) * 1000:7.3f} ms")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--repeat", type=int, default=500)
    sys.exit(asyncio.run(main(parser.parse_args())))
