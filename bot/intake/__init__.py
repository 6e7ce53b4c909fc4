"""The ATS intake channel: vendor webhooks and CSV files, turned into typed engine requests.

Like Slack and Teams it only translates: a vendor payload becomes a `bot.ats` request, and the
engine decides what it means. It never writes SQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.coach import Coach
from bot.settings import Settings


def mount_intake(
    app: web.Application,
    settings: Settings,
    coach: Coach,
    slack_tokens: Callable[[str], Awaitable[str | None]] | None = None,
) -> None:
    """POST /webhooks/<vendor>/<token> on the server's app. `slack_tokens`: each workspace's
    bot token when the Slack app is installed in many (OAuth)."""
    from bot.intake.webhooks import Webhooks

    Webhooks(settings, coach, slack_tokens).mount(app)
