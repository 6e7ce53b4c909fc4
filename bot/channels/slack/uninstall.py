"""app_uninstalled and tokens_revoked: the workspace's tokens go at once, its data after the grace.

Slack may send both, in either order, and again (retries): each handler only ever forgets
tokens and keeps the first uninstall time, so any sequence ends in the same state.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext

from bot import retention
from bot.channels.slack.installations import Installations
from bot.coach import Coach
from bot.settings import Settings

log = logging.getLogger(__name__)

EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})


def register(app: AsyncApp, installations: Installations, coach: Coach, settings: Settings) -> None:
    async def removed(context: AsyncBoltContext) -> None:
        # Bolt leaves team_id out for an org-wide install: then the whole org is meant.
        team = None if context.is_enterprise_install else context.team_id
        await installations.uninstalled(context.enterprise_id, team)
        if settings.coach_uninstall_grace_days == 0:
            await retention.erase_now(coach.sessions, settings, coach.clock())

    async def on_app_uninstalled(context: AsyncBoltContext) -> None:
        await removed(context)

    async def on_tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
        given = event.get("tokens")
        tokens: dict[str, Any] = given if isinstance(given, dict) else {}
        if tokens.get("bot"):
            await removed(context)
        elif tokens.get("oauth"):
            await installations.user_tokens_revoked(context.enterprise_id, context.team_id)

    app.event("app_uninstalled")(on_app_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)
