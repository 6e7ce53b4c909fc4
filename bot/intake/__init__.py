"""The ATS intake channel: vendor webhooks and CSV files, turned into typed engine requests.

Like Slack and Teams it only translates: a vendor payload becomes a `bot.ats` request, and the
engine decides what it means. It never writes SQL.
"""

from __future__ import annotations

from aiohttp import web

from bot.coach import Coach
from bot.settings import Settings


def mount_intake(app: web.Application, settings: Settings, coach: Coach) -> None:
    """POST /webhooks/<vendor>/<token> on the server's app."""
    from bot.intake.webhooks import Webhooks

    Webhooks(settings, coach).mount(app)
