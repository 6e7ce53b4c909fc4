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
from typing import TYPE_CHECKING, Any, cast

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import blocks, jobs
from bot.channels.slack.notify import API_FAILURES, error_code
from bot.channels.slack.payloads import delivery_key
from bot.inbox import DUPLICATE, Refusal, Ticket
from bot.messages import Identity, Inbound, Reply, is_platform_id

if TYPE_CHECKING:
    from bot.channels.slack.deps import Deps

log = logging.getLogger(__name__)

# <@U123>, <@U123|name>, <!here>, <!channel>, <#C123|general>: Slack's markup for mentions.
MENTION = re.compile(r"<[@!#][^>]*>")
LEADING_MENTIONS = re.compile(r"^(?:\s*<[@!#][^>]*>)+")


def message_parts(job: jobs.MessageJob) -> tuple[str, ...]:
    return ("message", job.team, job.channel, job.ts)


def words_of(text: str) -> str:
    """The grammar words of a message: mentions in front of them go, any later one too."""
    return " ".join(MENTION.sub(" ", LEADING_MENTIONS.sub(" ", text)).split())


# Where the listener middleware leaves the stored request for the listener (Bolt's context).
TICKET = "coach_inbox_ticket"
JOB = "coach_message_job"


class SharedConversations:
    """app_mention and message events, answered without candidate data where others read.

    Bolt acknowledges an event before its listener runs, so the request is written to the
    durable inbox in a listener middleware, which runs before the acknowledgement; a process
    that dies after it leaves the row to another (or to its own restart).
    """

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.coach = deps.coach

    def register(self, app: AsyncApp) -> None:
        self.coach.inbox.register(jobs.MESSAGE, self._message_job)
        app.event("app_mention", middleware=[self.store_mention])(self.on_words)
        app.event("message", middleware=[self.store_message])(self.on_words)
        # Last: any other event is acknowledged (Bolt's default for an unmatched one is 404),
        # and so is a message the middleware found not to be for the coach.
        app.event(re.compile(".*"))(self.on_other)

    async def store_mention(
        self, body: dict[str, Any], event: dict[str, Any], context: Any, next: Any
    ) -> BoltResponse | None:
        return await self.store(body, event, context, next, shared=True)

    async def store_message(
        self, body: dict[str, Any], event: dict[str, Any], context: Any, next: Any
    ) -> BoltResponse | None:
        # Edited, deleted, joined, a bot's own: not a person writing to the coach.
        if event.get("subtype") or event.get("bot_id") or not isinstance(event.get("text"), str):
            return None
        if event.get("channel_type") == "im":
            return await self.store(body, event, context, next, shared=False)
        # In a channel, only words addressed to the coach; the same message's app_mention
        # (if subscribed too) carries the same delivery key, so it is answered once.
        bot_user = getattr(context, "bot_user_id", None) or ""
        if bot_user and f"<@{bot_user}" in event["text"]:
            return await self.store(body, event, context, next, shared=True)
        return None

    async def store(
        self, body: dict[str, Any], event: dict[str, Any], context: Any, next: Any, *, shared: bool
    ) -> BoltResponse | None:
        """Runs before Bolt acknowledges: the request goes to the inbox, then to `on_words`.

        Returning without `next()` hands the event to the catch-all, which acknowledges it."""
        user = event.get("user")
        channel = event.get("channel")
        if not isinstance(channel, str) or not channel or not is_platform_id(user):
            return None
        job = jobs.MessageJob(
            team=str(body.get("team_id") or ""),
            user=str(user),
            channel=channel,
            text=words_of(str(event.get("text") or "")),
            ts=str(event.get("ts") or ""),
            thread_ts=str(event.get("thread_ts") or "") or None,
            shared=shared,
        )
        key = delivery_key("inbox", *message_parts(job)) if job.ts else None
        context[TICKET] = await self.deps.accept(jobs.MESSAGE, key, job)
        context[JOB] = job
        return cast("BoltResponse | None", await next())

    async def on_words(self, context: Any, client: AsyncWebClient) -> None:
        ticket: Ticket | Refusal = context[TICKET]
        job: jobs.MessageJob = context[JOB]
        if isinstance(ticket, Refusal):
            # DUPLICATE: the same message is stored already and its answer will come.
            if ticket is not DUPLICATE:
                text = self.deps.refusal(ticket, job.team, job.user)
                thread = job.thread_ts or job.ts or None
                await self.post(client, job.channel, text, [blocks.section(text)], thread)
            return
        async with ticket.working():
            await self.answer(client, job)

    async def on_other(self) -> None:
        """Acknowledged (by Bolt, before this runs) and ignored."""

    async def _message_job(self, payload: dict[str, Any], recovered: bool) -> None:
        """Words whose process died after the acknowledgement: answered now, done once."""
        job = jobs.MessageJob.model_validate(payload)
        client = await self.deps.client_for(job.team)
        if client is not None:
            await self.answer(client, job, recovered=recovered)

    async def answer(
        self, client: AsyncWebClient, job: jobs.MessageJob, *, recovered: bool = False
    ) -> None:
        # One message is one delivery, whichever of its events (and retries) reaches us.
        key = delivery_key(*message_parts(job)) if job.ts else None
        who = Identity(platform="slack", workspace=job.team, user=job.user)
        answer = await self.coach.converse(
            who,
            Inbound(text=job.text, idempotency_key=key),
            self.deps.profile_source(client),
        )
        # A repeat is the first delivery's business; unless that one's process died before
        # it answered (this row was left unfinished): then the asker hears that it is done.
        if self.deps.is_repeat(answer.replies, answer.language) and not recovered:
            return
        who = who.model_copy(update={"language": answer.language})
        thread = job.thread_ts or job.ts or None
        if job.shared:
            await self.deliver_shared(client, who, job.channel, thread, answer.replies)
        else:
            await self.deliver_private(client, who, answer.replies, job.channel)

    async def deliver_shared(
        self,
        client: AsyncWebClient,
        who: Identity,
        channel: str,
        thread: str | None,
        replies: list[Reply],
    ) -> None:
        """The choke point for a conversation others read: private replies never go there."""
        language = who.language or self.deps.settings.coach_language
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
        language = who.language or self.deps.settings.coach_language
        t = functools.partial(self.coach.t, language)
        delivered = True
        for reply in replies:
            if reply.attachment is not None:
                delivered &= await self.deps.send_file(client, who, reply.attachment, None)
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


def register(app: AsyncApp, deps: Deps) -> None:
    """Last of the Slack listeners: its catch-all acknowledges every event no other took."""
    SharedConversations(deps).register(app)
