"""A checklist that cannot be saved inside Slack's 3 s: the modal says it is being saved, and
the script follows as a message. A saved submission never looks failed."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time

from sqlalchemy import text

from tests.support.slack import POSTGRES_URL, Bot
from tests.support.slack_checklist import CONCRETE, open_checklist, preparation, submit

HOLD = 2.6  # longer than the 2 s the coach gives itself, shorter than Slack's 3 s


async def test_a_slow_save_closes_the_modal_politely_and_the_script_follows(bot: Bot) -> None:
    candidate = await bot.add("Kari Nordmann")
    view = await open_checklist(bot, candidate)
    held = asyncio.Event()
    if POSTGRES_URL:

        async def hold() -> None:
            async with bot.sessions.begin() as session:
                await session.execute(text("LOCK TABLE call_preparations IN EXCLUSIVE MODE"))
                held.set()
                await asyncio.sleep(HOLD)

        holder = asyncio.create_task(hold())
    else:
        # Another process's writer holds SQLite's single write lock.
        path = bot.sessions.kw["bind"].url.database
        loop = asyncio.get_running_loop()

        def hold_file() -> None:
            connection = sqlite3.connect(path, isolation_level=None)
            connection.execute("BEGIN IMMEDIATE")
            loop.call_soon_threadsafe(held.set)
            time.sleep(HOLD)
            connection.execute("ROLLBACK")
            connection.close()

        thread = threading.Thread(target=hold_file)
        thread.start()
    await held.wait()
    started = time.monotonic()
    status, body = await submit(bot, view, CONCRETE)
    waited = time.monotonic() - started
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "update"
    assert "saving your answers" in json.dumps(answer["view"])
    # The script follows as a DM once the store lets the save through.
    call = (await bot.fake.wait_for("chat.postMessage"))[-1]
    assert "Your call script for Kari Nordmann" in call.params["text"]
    saved = await preparation(bot, candidate)
    assert saved is not None and saved.completed_at is not None
    if POSTGRES_URL:
        await holder
    else:
        thread.join()
    print(f"acknowledged after {waited:.2f} s")
