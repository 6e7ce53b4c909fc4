"""One aiohttp server: Slack, Teams, the install and privacy pages, GET /healthz."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from aiohttp import web

from bot import ats_notices, inbox, pages, reminders, retention
from bot.bodies import MAX_BODY, limit_bodies
from bot.coach import Coach
from bot.settings import Settings
from storage import health

log = logging.getLogger(__name__)


COACH: web.AppKey[Coach] = web.AppKey("coach", Coach)


async def healthz(request: web.Request) -> web.Response:
    """200 only when the database answers and can take writes; 503 says what is wrong."""
    found = await health.check(request.app[COACH].sessions.kw["bind"])
    if found.status == "ok":
        return web.json_response({"status": "ok", "database": "ok"})
    # The driver's code, never its message (which may quote candidate data).
    log.warning("healthz: database %s (%s)", found.status, found.code)
    body = {"status": "unavailable", "database": found.status, "code": found.code}
    return web.json_response(body, status=503)


def build_app(settings: Settings, coach: Coach, installations: Any = None) -> web.Application:
    """The web application with every configured channel mounted.

    `installations`: the Slack installations in OAuth mode (app.build_slack_installations).
    """
    # Every route, present and future, has its body measured before anything parses it.
    texts = functools.partial(coach.t, settings.coach_language)
    app = web.Application(client_max_size=MAX_BODY, middlewares=[limit_bodies(texts)])
    app[COACH] = coach
    app.router.add_get("/healthz", healthz)
    # The install landing page and what is stored about whom, from the settings in force.
    pages.mount(app, settings, coach.guides)
    # The retention policy runs once a day for as long as the server does.
    app.cleanup_ctx.append(retention.background(coach.sessions, settings, coach.clock))
    if installations is not None or (settings.slack_bot_token and settings.slack_signing_secret):
        from bot.channels.slack import mount_slack

        mount_slack(app, settings, coach, installations=installations)
    from bot.channels.teams import mount_teams

    # Always on: with no MICROSOFT_APP_ID it runs without auth, for local testing.
    mount_teams(app, settings, coach, coach.sessions)
    from bot.intake import mount_intake

    # ATS webhooks: every URL is a workspace's random token, signed with its own secret.
    mount_intake(
        app, settings, coach, installations.bot_token if installations is not None else None
    )
    return app


async def serve(settings: Settings, port: int | None = None, host: str = "0.0.0.0") -> int:
    from app import build_coach, build_slack_installations

    coach, engine = await build_coach(settings)
    installations = build_slack_installations(settings, coach)
    app = build_app(settings, coach, installations)
    # Weekly reminders, sent by whichever server gets there first (claims keep them single).
    tokens = installations.bot_token if installations is not None else None
    app.cleanup_ctx.append(reminders.background(coach, slack_tokens=tokens))
    # Recruiters hear about new candidates from the ATS, batched, at most once an hour.
    app.cleanup_ctx.append(ats_notices.background(coach, slack_tokens=tokens))
    # Requests a process that died had acknowledged are finished here (and ours kept leased).
    app.cleanup_ctx.append(inbox.background(coach.inbox))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host=host, port=port or settings.port)
    await site.start()
    log.info("listening on port %s", port or settings.port)
    socket_mode = None
    try:
        if settings.slack_app_token and settings.slack_bot_token:
            from bot.channels.slack import start_socket_mode

            socket_mode = await start_socket_mode(settings, coach)
            log.info("slack connected over socket mode")
        await asyncio.Event().wait()
    finally:
        if socket_mode is not None:
            await socket_mode.close_async()
        await runner.cleanup()
        await engine.dispose()
    return 0
