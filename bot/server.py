"""One aiohttp server: Slack, Teams, the install and privacy pages, GET /healthz."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from bot import pages, reminders, retention
from bot.coach import Coach
from bot.settings import Settings

log = logging.getLogger(__name__)

# Slack and Teams payloads are small; anything this large is not from them.
MAX_BODY = 1024 * 1024


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def build_app(settings: Settings, coach: Coach, installations: Any = None) -> web.Application:
    """The web application with every configured channel mounted.

    `installations`: the Slack installations in OAuth mode (app.build_slack_installations).
    """
    app = web.Application(client_max_size=MAX_BODY)
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
    return app


async def serve(settings: Settings, port: int | None = None) -> int:
    from app import build_coach, build_slack_installations

    coach, engine = await build_coach(settings)
    installations = build_slack_installations(settings, coach)
    app = build_app(settings, coach, installations)
    # Weekly reminders, sent by whichever server gets there first (claims keep them single).
    tokens = installations.bot_token if installations is not None else None
    app.cleanup_ctx.append(reminders.background(coach, slack_tokens=tokens))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host="0.0.0.0", port=port or settings.port)
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
