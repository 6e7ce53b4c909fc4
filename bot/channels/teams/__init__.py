"""Microsoft Teams: the only package that imports botbuilder.

`mount_teams` adds POST /api/messages to the shared aiohttp app. Authentication comes from
MICROSOFT_APP_* (an empty app id turns it off, for local testing).
"""

from __future__ import annotations

import logging
from functools import partial

from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams.activities import ActivityShape, identity_from, routable
from bot.channels.teams.connector import BotFrameworkEndpoints, create_adapter
from bot.channels.teams.handler import CoachBot, on_turn_error
from bot.channels.teams.notify import TeamsNotifier
from bot.channels.teams.state import DatabaseStorage
from bot.coach import Coach
from bot.settings import Settings
from storage.bot_state import BotStateStore

__all__ = ["BotFrameworkEndpoints", "TeamsNotifier", "mount_teams"]

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
# Activities that act for a user: without a usable tenant and user id they are refused.
NEEDS_SENDER = frozenset({"message", "invoke", "conversationUpdate", "installationUpdate"})


def mount_teams(
    app: web.Application,
    settings: Settings,
    coach: Coach,
    state: BotStateStore | async_sessionmaker[AsyncSession],
    *,
    endpoints: BotFrameworkEndpoints | None = None,
) -> None:
    """Add POST /api/messages, handled by botbuilder's CloudAdapter and the coach."""
    store = state if isinstance(state, BotStateStore) else BotStateStore(state, coach.clock)
    adapter = create_adapter(settings, endpoints)
    adapter.on_turn_error = partial(on_turn_error, coach=coach)
    bot = CoachBot(coach, DatabaseStorage(store))

    async def messages(request: web.Request) -> web.StreamResponse:
        if request.content_type != "application/json":
            return web.Response(status=415)
        try:
            body = await request.json()
            ActivityShape.model_validate(body)  # a ValidationError is a ValueError
            activity = Activity().deserialize(body)
        except (ValueError, DeserializationError):
            activity = None
        if activity is None or not activity.type:
            return web.Response(status=400)
        auth_header = request.headers.get("Authorization") or None
        try:
            authenticated = await adapter.bot_framework_authentication.authenticate_request(
                activity, auth_header
            )
        except Exception as error:  # a bad token fails in many ways (PyJWT, lookups): all 401
            log.warning("refused a Teams request: %s", type(error).__name__)
            return web.Response(status=401)
        if activity.type in NEEDS_SENDER and not routable(activity):
            log.warning("refused a Teams activity without channel, conversation or service url")
            text = coach.t(settings.coach_language, "bad_request")
            return web.json_response({"error": text}, status=400)
        if activity.type in NEEDS_SENDER and identity_from(activity) is None:
            # Checked after authentication, so a forged request still only learns "401".
            log.warning("refused a Teams activity without a usable tenant or user id")
            text = coach.t(settings.coach_language, "bad_identity")
            return web.json_response({"error": text}, status=400)
        response = await adapter.process_activity(authenticated, activity, bot.on_turn)
        if response is not None:
            return web.json_response(data=serializer_helper(response.body), status=response.status)
        return web.Response(status=201)

    app.router.add_post(MESSAGES_PATH, messages)
