"""Server mechanics only: the application shell (body limits, GET /healthz) and running it.

What is mounted on it (Slack, Teams, pages, ATS webhooks) and what runs beside it is decided
in bot/wiring.py; this module knows no channel.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bodies import MAX_BODY, Texts, limit_bodies
from storage import health

log = logging.getLogger(__name__)

__all__ = ["MAX_BODY", "create_app", "healthz", "run"]

ENGINE: web.AppKey[AsyncEngine] = web.AppKey("engine", AsyncEngine)


async def healthz(request: web.Request) -> web.Response:
    """200 only when the database answers and can take writes; 503 says what is wrong."""
    found = await health.check(request.app[ENGINE])
    if found.status == "ok":
        return web.json_response({"status": "ok", "database": "ok"})
    # The driver's code, never its message (which may quote candidate data).
    log.warning("healthz: database %s (%s)", found.status, found.code)
    body = {"status": "unavailable", "database": found.status, "code": found.code}
    return web.json_response(body, status=503)


def create_app(engine: AsyncEngine, texts: Texts) -> web.Application:
    """An application with every body measured before anything parses it, and GET /healthz.

    `texts(key)`: a message in the operator's language, for refusing an oversized body."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[limit_bodies(texts)])
    app[ENGINE] = engine
    app.router.add_get("/healthz", healthz)
    return app


ACCESS_LOG_FORMAT = '%a "%r" %s %b %Tf'


async def run(app: web.Application, host: str, port: int) -> None:
    """Serve `app` until cancelled; its cleanup contexts start and stop with it."""
    # One line per request: who, what, the status, the size and the seconds it took. The time
    # of day is already at the head of every log line, and Referer and User-Agent tell nothing
    # of Slack's or Teams' calls; formatting them was a few percent of a `list`.
    runner = web.AppRunner(app, access_log_format=ACCESS_LOG_FORMAT)
    try:
        # Inside the try: a start-up that fails half-way still stops what had started.
        await runner.setup()
        site = web.TCPSite(runner, host=host, port=port)
        await site.start()
        log.info("listening on port %s", port)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
