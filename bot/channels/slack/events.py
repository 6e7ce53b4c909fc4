"""Slack events that carry words for the coach: an @mention in a channel, a direct message.

A slash command is answered ephemerally (only the asker sees it). An event is not: an answer
posted in a channel is read by everyone in it. So here, and only here, replies are routed by
what the engine says they carry (`Reply.private`): shareable ones are posted where the words
were written, private ones go to the asker's direct messages, and the channel hears only that
the answer was sent there.

Every other signed event (app_uninstalled, tokens_revoked, a bot's message, an edited one, and
whatever the app does not subscribe to) is acknowledged with 200 and ignored: Slack retries a
refused event and in time turns the subscription off.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import blocks
from bot.channels.slack.notify import API_FAILURES, error_code
from bot.messages import Identity, Inbound, Reply, is_platform_id

if TYPE_CHECKING:
    from bot.channels.slack.listeners import SlackListeners

log = logging.getLogger(__name__)

# <@U123>, <@U123|name>, <!here>, <!channel>, <#C123|general>: Slack's markup for mentions.
MENTION = re.compile(r"<[@!#][^>]*>")
LEADING_MENTIONS = re.compile(r"^(?:\s*<[@!#][^>]*>)+")


def words_of(text: str) -> str:
    """The grammar words of a message: mentions in front of them go, any later one too."""
    return " ".join(MENTION.sub(" ", LEADING_MENTIONS.sub(" ", text)).split())


class SharedConversations:
    """app_mention and message events, answered without candidate data where others read."""

    def __init__(self, listeners: SlackListeners) -> None:
        self.listeners = listeners
        self.coach = listeners.coach

    def register(self, app: AsyncApp) -> None:
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        # Last: any other event is acknowledged (Bolt's default for an unmatched one is 404).
        app.event(re.compile(".*"))(self.on_other)

    async def on_mention(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await self.answer(event, body, client, shared=True)

    async def on_message(
        self, event: dict[str, Any], body: dict[str, Any], context: Any, client: AsyncWebClient
    ) -> None:
        # Edited, deleted, joined, a bot's own: not a person writing to the coach.
        if event.get("subtype") or event.get("bot_id") or not isinstance(event.get("text"), str):
            return
        if event.get("channel_type") == "im":
            await self.answer(event, body, client, shared=False)
            return
        # In a channel, only words addressed to the coach; the same message's app_mention
        # (if subscribed too) carries the same delivery key, so it is answered once.
        bot_user = getattr(context, "bot_user_id", None) or ""
        if bot_user and f"<@{bot_user}" in event["text"]:
            await self.answer(event, body, client, shared=True)

    async def on_other(self) -> None:
        """Acknowledged (by Bolt, before this runs) and ignored."""

    async def answer(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, *, shared: bool
    ) -> None:
        team = str(body.get("team_id") or "")
        user = str(event.get("user") or "")
        channel = str(event.get("channel") or "")
        ts = str(event.get("ts") or "")
        if not channel or not is_platform_id(user):
            return
        # One message is one delivery, whichever of its events (and retries) reaches us.
        key = f"slack:message:{team}:{channel}:{ts}" if ts else None
        who = Identity(platform="slack", workspace=team, user=user)
        answer = await self.coach.converse(
            who,
            Inbound(text=words_of(str(event.get("text") or "")), idempotency_key=key),
            self.listeners.profile_source(client),
        )
        if self.listeners.is_repeat(answer.replies, answer.language):
            return
        who = who.model_copy(update={"language": answer.language})
        thread = str(event.get("thread_ts") or ts) or None
        if shared:
            await self.deliver_shared(client, who, channel, thread, answer.replies)
        else:
            await self.deliver_private(client, who, answer.replies, channel)

    async def deliver_shared(
        self,
        client: AsyncWebClient,
        who: Identity,
        channel: str,
        thread: str | None,
        replies: list[Reply],
    ) -> None:
        """The choke point for a conversation others read: private replies never go there."""
        language = who.language or self.listeners.settings.coach_language
        t = functools.partial(self.coach.t, language)
        for reply in replies:
            if not reply.private:
                body = blocks.reply_blocks(reply, t, language)
                await self.post(client, channel, reply.text, body, thread)
        private = [reply for reply in replies if reply.private]
        if not private:
            return
        delivered = await self.deliver_private(client, who, private)
        text = t("slack_sent_privately" if delivered else "slack_dm_failed")
        await self.post(client, channel, text, [blocks.section(text)], thread)

    async def deliver_private(
        self,
        client: AsyncWebClient,
        who: Identity,
        replies: list[Reply],
        channel: str | None = None,
    ) -> bool:
        """Everything to the asker's direct messages (files too); False if Slack refused."""
        language = who.language or self.listeners.settings.coach_language
        t = functools.partial(self.coach.t, language)
        delivered = True
        for reply in replies:
            if reply.attachment is not None:
                delivered &= await self.listeners.send_file(client, who, reply.attachment, None)
                continue
            body = blocks.reply_blocks(reply, t, language)
            delivered &= await self.post(client, channel or who.user, reply.text, body, None)
        return delivered

    async def post(
        self,
        client: AsyncWebClient,
        channel: str,
        text: str,
        body: list[Any],
        thread: str | None,
    ) -> bool:
        try:
            await client.chat_postMessage(
                channel=channel, text=blocks.fallback_text(text), blocks=body, thread_ts=thread
            )
        except API_FAILURES as error:
            log.warning("chat.postMessage failed: %s", error_code(error))
            return False
        return True
