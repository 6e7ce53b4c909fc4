"""The one way the server runs a job again and again: failures logged and survived, cancellation
obeyed, and the task started and stopped with the web application (an aiohttp cleanup context).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


async def repeat(
    job: Callable[[], Awaitable[object]],
    wait: Callable[[], float],
    *,
    failed: str,
    logger: logging.Logger = log,
    sleep: Sleep = asyncio.sleep,
) -> None:
    """Run `job`, then sleep `wait()` seconds, until cancelled. A failure waits for the next
    round; it is logged as `failed` and the exception's type only, since the text of a
    database error can quote candidate data."""
    while True:
        try:
            await job()
        except Exception as error:
            logger.error("%s: %s", failed, type(error).__name__)
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            # Cancelled during a database call that did not pass it on: stop all the same.
            raise asyncio.CancelledError
        await sleep(wait())


def while_serving(
    loop: Callable[[], Coroutine[Any, Any, None]],
) -> Callable[[Any], AsyncIterator[None]]:
    """An aiohttp cleanup context: `loop()` runs as a task from start-up until clean-up."""

    async def context(_: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(loop())
        yield
        task.cancel()
        # Wait for it to unwind: a task cancelled mid-query still holds a connection.
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
