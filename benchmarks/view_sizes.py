"""How big the Slack and Teams answers to `list` are: blocks, actions and bytes.

    python benchmarks/view_sizes.py [--candidates 30]

Runs the real engine on a SQLite file in a temp folder, then the pure Block Kit and Adaptive
Card builders. Every byte is sent to Slack or Teams and parsed by their clients, so fewer
blocks make every answer smaller (and faster to build and to render).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.channels.slack import blocks
from bot.channels.teams import cards
from bot.channels.teams.deps import labels_for
from bot.coach import Coach
from bot.messages import Identity, Inbound
from bot.settings import Settings
from conversation_guides import GuideBook
from storage.database import open_database


async def measure(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        engine, sessions = await open_database(url)
        guides = GuideBook()
        coach = Coach(sessions, guides, Settings(DATABASE_URL=url))
        who = Identity(platform="slack", workspace="T1", user="U1", language="en")
        for number in range(count):
            await coach.handle(who, Inbound(text=f"add Person {number:02d} | Nurse"))
        (listing,) = await coach.handle(who, Inbound(text="list"))

        def t(key: str, **values: object) -> str:
            return guides.text("en", key, **values)

        started = time.perf_counter()
        for _ in range(200):
            slack = blocks.reply_blocks(listing, t, "en")
        slack_ms = (time.perf_counter() - started) / 200 * 1000
        labels = labels_for(coach, "en")
        started = time.perf_counter()
        for _ in range(200):
            teams = [cards.buttons_card(card, labels) for card in listing.cards]
        teams_ms = (time.perf_counter() - started) / 200 * 1000
        slack_actions = sum(len(b.get("elements", [])) for b in slack if b["type"] == "actions")
        teams_actions = sum(len(card.get("actions", [])) for card in teams)
        print(f"list of {count} candidates")
        print(
            f"  Slack: {len(slack)} blocks, {slack_actions} visible actions, "
            f"{len(json.dumps(slack).encode())} bytes, built in {slack_ms:.2f} ms"
        )
        print(
            f"  Teams: {len(teams)} cards, {teams_actions} visible actions, "
            f"{len(json.dumps(teams).encode())} bytes, built in {teams_ms:.2f} ms"
        )
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candidates", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(measure(args.candidates))


if __name__ == "__main__":
    main()
