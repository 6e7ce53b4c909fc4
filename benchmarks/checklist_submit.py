"""The checklist submit against Slack's 3 s: 20 recruiters submitting at once on SQLite.

Runs `python app.py serve` (the real server, its own process, on 127.0.0.1) on a new SQLite
file (or --database-url), with a stand-in for the Slack Web API, and has `--writers`
recruiters each submit `--per-writer` filled-in checklists back to back, signed as Slack
signs a view_submission. The latency is the acknowledgement, which is what Slack waits
3 s for: the answers are saved (or the modal says they are being saved) inside it, and the
call script follows as a DM. Prints the distribution and how many went over 3 s.

    python benchmarks/checklist_submit.py [--writers 20] [--per-writer 25] [--database-url …]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.slack_ack import (  # noqa: E402
    SECRET,
    TEAM,
    TOKEN,
    SlackSide,
    free_port,
    percentile,
    start_process,
    wait_healthy,
)

SLACK_LIMIT = 3.0
ANSWERS = {
    "competence": "Six years of payroll in Visma were relevant, but the role needs someone "
    "who has run the year-end close alone, and the candidate had only assisted with it.",
    "gaps": "The job needs fluent Norwegian in writing for letters to employees; the written "
    "test showed several grammar errors in a short letter, which we could not train quickly.",
    "luxury_problem": "The candidate met every requirement for the role; another applicant "
    "had also led a payroll system migration, which we need in the coming year.",
    "self_presentation": "In the interview the examples were general; a concrete story of a "
    "payroll error found and fixed would have shown the accuracy the CV describes.",
}


async def seed(database_url: str, writers: int, per_writer: int) -> dict[str, list[str]]:
    """One recruiter per writer, each with `per_writer` candidates; their public ids."""
    from storage.database import open_database
    from storage.queries import new_public_id
    from storage.tables import Candidate, Position, Recruiter, Workspace

    engine, sessions = await open_database(database_url)
    now = datetime.now(UTC)
    ids: dict[str, list[str]] = {}
    async with sessions.begin() as session:
        workspace = Workspace(platform="slack", external_id=TEAM, created_at=now)
        session.add(workspace)
        await session.flush()
        position = Position(
            workspace_id=workspace.id, title="Payroll officer", title_key="payroll officer",
            created_at=now,
        )  # fmt: skip
        session.add(position)
        for w in range(writers):
            user = f"UWRITER{w:02d}"
            recruiter = Recruiter(
                workspace_id=workspace.id, external_id=user, language="en",
                language_checked_at=now, created_at=now,
            )  # fmt: skip
            session.add(recruiter)
            await session.flush()
            ids[user] = []
            for n in range(per_writer):
                public_id = new_public_id()
                session.add(
                    Candidate(
                        public_id=public_id, workspace_id=workspace.id,
                        recruiter_id=recruiter.id, position_id=position.id,
                        name=f"Candidate {w}-{n}", internal=False, rejected_at=now,
                        attempts=0, created_at=now,
                    )
                )  # fmt: skip
                ids[user].append(public_id)
    await engine.dispose()
    return ids


def submission(user: str, candidate: str, n: int) -> str:
    values = {k: {"answer": {"type": "plain_text_input", "value": v}} for k, v in ANSWERS.items()}
    payload = {
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0COACH", "trigger_id": f"trigger-{user}-{n}",
        "view": {
            "type": "modal", "callback_id": "checklist", "id": f"V{user}{n}", "hash": "h",
            "private_metadata": json.dumps({"candidate": candidate}),
            "blocks": [{"type": "input", "block_id": "competence"}],
            "state": {"values": values},
        },
    }  # fmt: skip
    return urlencode({"payload": json.dumps(payload)})


async def writer(
    session: aiohttp.ClientSession, base: str, user: str, candidates: list[str]
) -> tuple[list[float], dict[str, int]]:
    verifier = SignatureVerifier(SECRET)
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    for n, candidate in enumerate(candidates):
        body = submission(user, candidate, n)
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": verifier.generate_signature(timestamp=stamp, body=body),
        }
        started = time.perf_counter()
        async with session.post(f"{base}/slack/events", data=body, headers=headers) as response:
            text = await response.text()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            kind = f"http {response.status}"
        elif not text:
            kind = "closed: saved, script follows"
        elif '"update"' in text:
            kind = "closed: still saving, script follows"
        else:
            kind = "inline errors"
        outcomes[kind] = outcomes.get(kind, 0) + 1
    return latencies, outcomes


async def settled(database_url: str) -> tuple[int, int]:
    """Once the server's inbox is empty: completed checklists, and inbox rows left."""
    from sqlalchemy import func, select

    from storage.database import create_engine, make_sessionmaker
    from storage.tables import CallPreparation, InboxItem

    engine = create_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        for _ in range(600):
            async with sessions() as session:
                left = await session.scalar(select(func.count()).select_from(InboxItem))
                saved = await session.scalar(
                    select(func.count())
                    .select_from(CallPreparation)
                    .where(CallPreparation.completed_at.is_not(None))
                )
            if not left:
                break
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()
    return int(saved or 0), int(left or 0)


async def main(options: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="checklist-"))
    database_url = options.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    ids = await seed(database_url, options.writers, options.per_writer)
    side = SlackSide()
    await side.start()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"http://127.0.0.1:{side.port}/api/",
    }
    env.pop("SLACK_APP_TOKEN", None)
    process = start_process(["app.py", "serve", "--host", "127.0.0.1", "--port", str(port)], env)
    base = f"http://127.0.0.1:{port}"
    try:
        connector = aiohttp.TCPConnector(limit=options.writers * 2)
        async with aiohttp.ClientSession(connector=connector) as session:
            await wait_healthy(session, base, process)
            started = time.perf_counter()
            results = await asyncio.gather(
                *(writer(session, base, user, candidates) for user, candidates in ids.items())
            )
            elapsed = time.perf_counter() - started
            saved, left = await settled(database_url)
    finally:
        process.terminate()
        process.wait(timeout=10)
    latencies = sorted(value for result in results for value in result[0])
    outcomes: dict[str, int] = {}
    for _, counts in results:
        for kind, count in counts.items():
            outcomes[kind] = outcomes.get(kind, 0) + count
    over = sum(value > SLACK_LIMIT for value in latencies)
    print(
        f"{len(latencies)} checklist submissions, {options.writers} concurrent writers, "
        f"{database_url.split(':')[0]}, {elapsed:.1f} s ({len(latencies) / elapsed:.0f}/s)"
    )
    print("acknowledgement latency, ms:")
    for label, fraction in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999)):
        print(f"  {label:6}{percentile(latencies, fraction) * 1000:9.1f}")
    print(f"  {'max':6}{latencies[-1] * 1000:9.1f}")
    buckets = [0.1, 0.25, 0.5, 1.0, 2.0, 3.0]
    low = 0.0
    for high in buckets:
        count = sum(low < value <= high for value in latencies)
        print(f"  {low * 1000:6.0f}-{high * 1000:<6.0f} ms {count:6d}")
        low = high
    print(f"  over {SLACK_LIMIT:.0f} s: {over}")
    for kind, count in sorted(outcomes.items()):
        print(f"  {kind}: {count}")
    print(f"checklists saved: {saved} of {len(latencies)}; inbox rows left: {left}")
    return 1 if over or saved != len(latencies) else 0


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--per-writer", type=int, default=25)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    return asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(cli())
