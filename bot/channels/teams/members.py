"""Install and greeting: the bot added to a chat or installed, a conversation remembered for
reminders, the user's e-mail looked up once, and the welcome said once."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.channels.teams.activities import identity_from, is_personal, plain_text
from bot.channels.teams.connector import ConnectorFailure
from bot.channels.teams.deps import Deps
from bot.messages import Identity

log = logging.getLogger(__name__)


async def welcome(deps: Deps, turn_context: TurnContext) -> None:
    who = identity_from(turn_context.activity)
    if who is None:
        return
    await remember(deps, turn_context, who, reference_of(turn_context))
    await greet_once(deps, turn_context, who)


def reference_of(turn_context: TurnContext) -> dict[str, Any] | None:
    """Where a reminder can reach this user: only a personal chat, since a reminder lists
    candidate names, not for a channel's eyes. Without the message's own id: a reminder
    starts a message of its own, and an unchanged chat is then not written again."""
    if not is_personal(turn_context.activity):
        return None
    reference = TurnContext.get_conversation_reference(turn_context.activity)
    reference.activity_id = None
    serialized: dict[str, Any] = reference.serialize()
    return serialized


async def remember(
    deps: Deps,
    turn_context: TurnContext,
    who: Identity,
    reference: dict[str, Any] | None,
    *,
    stored_with_command: bool = False,
) -> None:
    """Keep the personal chat (`reference_of`) for reminders, unless the command that
    follows stores it in its own transaction, and look the user's e-mail up once."""
    if reference is None:
        return
    if not stored_with_command:
        await deps.coach.remember_conversation(who, reference)
    await capture_email(deps, turn_context, who)


async def capture_email(deps: Deps, turn_context: TurnContext, who: Identity) -> None:
    """The user's work e-mail (or UPN) from the bot framework's member lookup, asked once:
    it is how a recruiter named in the ATS is matched to this Teams user."""
    if await deps.email_checked.get(turn_context, False):
        return
    await deps.email_checked.set(turn_context, True)
    sender = turn_context.activity.from_property
    try:
        member = await TeamsInfo.get_member(turn_context, sender.id)
        email = member.email or member.user_principal_name
        if isinstance(email, str) and "@" in email and len(email) <= 254:
            await deps.coach.intake.remember_email(who, email)
    except Exception as error:  # the lookup is a convenience; the conversation goes on
        log.info("teams member lookup failed: %s", type(error).__name__)


async def greet_once(
    deps: Deps, turn_context: TurnContext, who: Identity, *, known: bool = False
) -> None:
    """The welcome, once per user in their personal chat, once per shared conversation.

    Installing sends conversationUpdate and installationUpdate together, perhaps to two
    processes: the database decides which of them greets. With `known` (an ordinary
    message), a user this process already saw greeted is not asked about again.
    """
    activity = turn_context.activity
    shared = None if is_personal(activity) else activity.conversation.id
    seen = (who.workspace, who.user, shared)
    if known and deps.greeted(seen):
        return
    claimed = await deps.coach.claim_greeting(who, shared)
    deps.remember_greeted(seen)
    if not claimed:
        return
    language = await deps.coach.language_for(who)
    try:
        await deps.send(turn_context, plain_text(deps.coach.t(language, "teams_welcome")))
    except ConnectorFailure as failure:
        # Only the welcome is lost (help says the same); the message itself is still
        # answered, and if the connector is down for that too, the turn reports it.
        log.warning("could not send the welcome: %s", failure.reason)
