"""What finding (and decrypting) a workspace's Slack token costs before each message sent
outside a Slack request, in OAuth mode with many workspaces installed.

    python benchmarks/slack_tokens.py                       # a SQLite file in a temp folder
    python benchmarks/slack_tokens.py --database-url postgresql+asyncpg://postgres@127.0.0.1/db

Tokens are fresh here (no refresh): this is the price every reminder pays, in time and in
queries. On PostgreSQL the database must be empty (the tables are created and left there).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from sqlalchemy import event

from bot.channels.slack.installations import Installations
from storage.database import create_engine, make_sessionmaker, migrate
from storage.encryption import Cipher


async def measure(url: str, workspaces: int, lookups: int) -> dict[str, Any]:
    engine = create_engine(url)
    await migrate(engine)
    queries = 0

    def seen(*_: Any) -> None:
        nonlocal queries
        queries += 1

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    installations = Installations(
        make_sessionmaker(engine),
        Cipher(Fernet.generate_key().decode()),
        AsyncTokenRotator(client_id="id", client_secret="secret"),
        rotation_minutes=120,
        clock=lambda: datetime.now(UTC),
    )
    expires = int(time.time()) + 12 * 3600
    started = time.perf_counter()
    for n in range(workspaces):
        await installations.async_save(
            Installation(
                team_id=f"T{n:07d}",
                user_id="UINSTALLER",
                bot_token=f"xoxe.xoxb-{n}-" + "a" * 48,
                bot_refresh_token=f"xoxe-{n}-" + "b" * 48,
                bot_token_expires_at=expires,
                bot_id="B1",
                bot_user_id="U1",
            )
        )
    install_seconds = time.perf_counter() - started
    timings = []
    before = queries
    for n in range(lookups):
        team = f"T{(n * 7919) % workspaces:07d}"
        start = time.perf_counter()
        token = await installations.bot_token(team)
        timings.append(time.perf_counter() - start)
        assert token is not None and token.startswith("xoxe.xoxb-")
    per_lookup = (queries - before) / lookups
    await engine.dispose()
    return {
        "workspaces": workspaces,
        "install_ms_each": 1000 * install_seconds / workspaces,
        "lookup_ms_median": 1000 * statistics.median(timings),
        "lookup_ms_p95": 1000 * sorted(timings)[int(0.95 * len(timings))],
        "queries_per_lookup": per_lookup,
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a SQLite temp file)")
    parser.add_argument("--workspaces", type=int, nargs="+", default=[100, 2_000])
    parser.add_argument("--lookups", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for size in args.workspaces:
            url = args.database_url or f"sqlite+aiosqlite:///{folder}/tokens-{size}.sqlite3"
            result = await measure(url, size, args.lookups)
            print(
                f"{result['workspaces']:>6} workspaces: install {result['install_ms_each']:.2f} ms"
                f" each; token lookup median {result['lookup_ms_median']:.2f} ms,"
                f" p95 {result['lookup_ms_p95']:.2f} ms,"
                f" {result['queries_per_lookup']:.1f} queries"
            )
            if args.database_url:
                break
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
