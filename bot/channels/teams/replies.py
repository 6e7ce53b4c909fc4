"""Where every engine reply leaves for Teams, and the one place privacy is decided: shown in
the personal chat, or kept out of a shared conversation and sent to the personal chat."""

from __future__ import annotations

import functools
import logging

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)

from bot.channels.teams import cards, practice_cards
from bot.channels.teams.activities import (
    card_message,
    export_activity,
    is_personal,
    plain_text,
    reply_activity,
    tenant_of,
)
from bot.channels.teams.connector import ConnectorFailure, deliver
from bot.channels.teams.deps import Deps
from bot.messages import Identity, Reply

log = logging.getLogger(__name__)


async def send_replies(
    deps: Deps, turn_context: TurnContext, who: Identity, replies: list[Reply]
) -> None:
    """In the personal chat everything is shown. In a channel or group chat only replies the
    engine marked shareable are; private ones (`Reply.private`: anything about a candidate,
    cards and files included) go to the recruiter's personal chat, and the shared
    conversation hears only where to look.
    """
    language = await deps.coach.language_for(who)
    if is_personal(turn_context.activity):
        for reply in replies:
            sent = await deps.send(turn_context, activity_for(deps, reply, language))
            if reply.form is not None:
                await deps.remember_card(turn_context, reply.form.candidate_id, "checklist", sent)
        return
    labels = deps.labels(language)
    for reply in replies:
        if not reply.private:
            await deps.send(turn_context, reply_activity(reply, labels))
    private = [activity_for(deps, reply, language) for reply in replies if reply.private]
    if private:
        delivered = await send_privately(deps, turn_context, who, private)
        key = "teams_sent_privately" if delivered else "teams_open_personal_chat"
        await deps.send(turn_context, plain_text(deps.coach.t(language, key)))


def activity_for(deps: Deps, reply: Reply, language: str) -> Activity:
    if reply.practice is not None:
        return card_message(practice_cards.practice_card(reply.practice))
    if reply.form is not None:
        return card_message(
            cards.checklist_card(reply.form, deps.labels(language), notice=reply.text)
        )
    if reply.attachment is not None:
        return export_activity(deps.coach, language, reply)
    return reply_activity(reply, deps.labels(language))


async def send_privately(
    deps: Deps, turn_context: TurnContext, who: Identity, activities: list[Activity]
) -> bool:
    """Send into the user's 1:1 chat with the bot, opened through the connector.

    Teams answers a create-conversation for a user who has the bot installed with their
    existing personal chat; for one who has not, it refuses (403), and False is returned.
    """
    source = turn_context.activity
    client = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    sender = source.from_property
    tenant = tenant_of(source) or None
    if client is None or sender is None:
        return False
    member = ChannelAccount(id=sender.id, name=sender.name, aad_object_id=sender.aad_object_id)
    parameters = ConversationParameters(
        is_group=False,
        bot=source.recipient,
        members=[member],
        tenant_id=tenant,
        channel_data={"tenant": {"id": tenant}} if tenant else None,
    )
    try:
        created = await deliver(lambda: client.conversations.create_conversation(parameters))
        conversation = ConversationAccount(
            id=created.id, conversation_type="personal", tenant_id=tenant
        )
        for activity in activities:
            activity.conversation = conversation
            activity.from_property = source.recipient
            activity.recipient = member
            activity.channel_id = source.channel_id
            activity.service_url = source.service_url
            await deliver(
                functools.partial(client.conversations.send_to_conversation, created.id, activity)
            )
    except ConnectorFailure as failure:
        log.warning("could not reach the user's personal chat: %s", failure.reason)
        return False
    # The personal chat is where reminders go too: keep its reference.
    reference = ConversationReference(
        bot=source.recipient,
        user=member,
        conversation=conversation,
        channel_id=source.channel_id,
        service_url=source.service_url,
        locale=source.locale,
    )
    await deps.coach.remember_conversation(who, reference.serialize())
    return True
