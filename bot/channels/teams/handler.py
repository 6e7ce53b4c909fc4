"""The Teams ActivityHandler: it only dispatches. Each kind of activity is handled in its own
module: members.py (install and greeting), submits.py (card submits), chat_checklist.py (the
checklist walked in the chat), replies.py (every reply out, and privacy); deps.py holds the
coach, the conversation state and sending. activities.py reads and builds activities,
cards.py builds the Adaptive Cards."""

from __future__ import annotations

import logging
from http import HTTPStatus

from botbuilder.core import ActivityHandler, InvokeResponse, Storage, TurnContext
from botbuilder.schema import ChannelAccount

from bot.channels.teams import chat_checklist, members, submits
from bot.channels.teams.activities import (
    delivery_key,
    identity_from,
    is_personal,
    plain_text,
    text_without_mention,
)
from bot.channels.teams.connector import ConnectorFailure, deliver, tune_connector
from bot.channels.teams.deps import Deps
from bot.channels.teams.replies import send_replies
from bot.coach import Coach
from bot.messages import Inbound

log = logging.getLogger(__name__)


class CoachBot(ActivityHandler):
    def __init__(self, coach: Coach, storage: Storage) -> None:
        self.coach = coach
        self.deps = Deps(coach, storage)

    async def on_turn(self, turn_context: TurnContext) -> None:
        tune_connector(turn_context)
        await super().on_turn(turn_context)
        await self.deps.conversation_state.save_changes(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        # The coach's cards use Action.Submit (message activities); no invoke is ours. Unknown
        # ones get "bad request", not botbuilder's 501, which reads as a failure of the bot.
        response = await super().on_invoke_activity(turn_context)
        if response is None or response.status == HTTPStatus.NOT_IMPLEMENTED:
            return InvokeResponse(status=HTTPStatus.BAD_REQUEST)
        return response

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(member.id == bot_id for member in members_added):
            await members.welcome(self.deps, turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await members.welcome(self.deps, turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        who = identity_from(activity)
        if who is None:
            return
        submitted = isinstance(activity.value, dict) and bool(activity.value)
        walk = None if submitted else await chat_checklist.current_walk(self.deps, turn_context)
        # Typed words are a command, which keeps the chat for reminders in its own transaction.
        typed = not submitted and walk is None
        reference = members.reference_of(turn_context)
        await members.remember(self.deps, turn_context, who, reference, stored_with_command=typed)
        if is_personal(activity):
            # In a channel a message does not greet: the welcome came when the bot was added.
            await members.greet_once(self.deps, turn_context, who, known=True)
        key = delivery_key(activity)
        if submitted:
            await submits.on_submit(self.deps, turn_context, who, activity.value, key)
            return
        text = text_without_mention(activity)
        if walk is not None:
            await chat_checklist.answer(self.deps, turn_context, who, walk, text, key)
            return
        inbound = Inbound(text=text, idempotency_key=key, conversation=reference)
        replies = await self.coach.handle(who, inbound)
        await send_replies(self.deps, turn_context, who, replies)


async def on_turn_error(turn_context: TurnContext, error: Exception, coach: Coach) -> None:
    """Log what failed (never the user's words) and say so politely, if the connector lets us."""
    reason = error.reason if isinstance(error, ConnectorFailure) else type(error).__name__
    log.error("teams turn failed: %s", reason, exc_info=not isinstance(error, ConnectorFailure))
    who = identity_from(turn_context.activity)
    language = (await coach.language_for(who)) if who else coach.settings.coach_language
    try:
        message = plain_text(coach.t(language, "teams_error"))
        await deliver(lambda: turn_context.send_activity(message), attempts=1)
    except Exception as failure:  # the connector is down: nothing more we can do in this turn
        log.error("could not report the failure either: %s", type(failure).__name__)
