"""Proactive messages to Teams users, from the conversation reference stored when they wrote."""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference
from msrest.exceptions import DeserializationError

from bot.channels.teams.activities import reply_activity
from bot.channels.teams.connector import (
    BotFrameworkEndpoints,
    ConnectorFailure,
    create_adapter,
    deliver,
    tune_connector,
)
from bot.channels.teams.deps import labels_for
from bot.coach import Coach
from bot.messages import Identity, Reply
from bot.notify import DeliveryError, Recipient
from bot.settings import Settings

log = logging.getLogger(__name__)

# The connector's way of saying the bot was removed, blocked, or the conversation is gone.
GONE = (403, 404)
# The connector refusing the bot's own token: the app's credentials, the same for every user.
APP_REFUSED = (401,)


class TeamsNotifier:
    """bot.notify.Notifier for Teams. A 403/404 also marks the recruiter unreachable;
    a 401 is the app's own credentials, and says nothing about the recruiter."""

    platform = "teams"

    def __init__(
        self,
        settings: Settings,
        coach: Coach,
        *,
        adapter: CloudAdapter | None = None,
        endpoints: BotFrameworkEndpoints | None = None,
    ) -> None:
        self.settings = settings
        self.coach = coach
        self.adapter = adapter or create_adapter(settings, endpoints)

    async def send(self, recipient: Recipient, reply: Reply) -> None:
        if not recipient.conversation_reference:
            raise DeliveryError("no conversation reference: the user has not written to the bot")
        try:
            reference = ConversationReference().deserialize(recipient.conversation_reference)
        except DeserializationError as error:
            raise DeliveryError("stored conversation reference is unreadable") from error
        if not reference.service_url or reference.conversation is None:
            raise DeliveryError("stored conversation reference is incomplete")
        activity = reply_activity(reply, labels_for(self.coach, recipient.language))
        failures: list[ConnectorFailure] = []

        async def send_in_turn(turn_context: TurnContext) -> None:
            tune_connector(turn_context)
            try:
                await deliver(lambda: turn_context.send_activity(activity))
            except ConnectorFailure as failure:
                # Caught here: the adapter's turn-error handler would swallow it otherwise.
                failures.append(failure)

        try:
            await self.adapter.continue_conversation(
                reference, send_in_turn, bot_app_id=self.settings.microsoft_app_id
            )
        except Exception as error:  # building the connector or its credentials failed
            raise DeliveryError(
                f"could not reach the connector: {type(error).__name__}",
                # The app id refused before any call: the same for every recruiter.
                app_wide=isinstance(error, PermissionError),
            ) from error
        if not failures:
            return
        failure = failures[0]
        if failure.status in GONE:
            who = Identity(platform="teams", workspace=recipient.workspace, user=recipient.user)
            reason = f"Teams connector answered {failure.status}"
            await self.coach.mark_unreachable(who, reason)
            raise DeliveryError(reason, gone=True)
        if failure.credentials:
            raise DeliveryError(failure.reason, app_wide=True)
        if failure.status in APP_REFUSED:
            raise DeliveryError(f"Teams connector answered {failure.status}", app_wide=True)
        raise DeliveryError(failure.reason)
