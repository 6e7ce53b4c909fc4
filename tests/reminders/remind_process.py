"""`python app.py remind --now` as a separate process, with the stand-in Slack notifier.

Usage: python -m tests.reminders.remind_process <fake slack url> <start at, unix time>.
Once SlackNotifier is on main, the test can run `python app.py remind --now` itself with
SLACK_BOT_TOKEN and SLACK_API_URL pointing at the fake Slack instead of this script.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time

from bot.reminders import run_once
from bot.settings import Settings
from tests.reminders.fake_slack import StubSlackNotifier


async def main(url: str, start_at: float) -> int:
    # Every process starts at the same moment, imports and all already done.
    await asyncio.sleep(max(0.0, start_at - time.time()))
    notifier = StubSlackNotifier(url)
    try:
        return await run_once(Settings(), everyone=True, notifiers={"slack": notifier})
    finally:
        await notifier.aclose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
    sys.exit(asyncio.run(main(sys.argv[1], float(sys.argv[2]))))
