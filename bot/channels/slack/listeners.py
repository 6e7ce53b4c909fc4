"""Slack listeners: a payload in, an engine call, Block Kit out. Acknowledge first, then work."""

from __future__ import annotations

import functools
import logging
from datetime import timedelta
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import commands
from bot.channels.slack import blocks
from bot.channels.slack.notify import (
    API_FAILURES,
    DEFAULT_TIMEOUT,
    SlackNotifier,
    error_code,
    retry_handlers,
)
from bot.coach import Coach, ProfileSource
from bot.messages import Identity, Inbound, Reply
from bot.notify import DeliveryError, Recipient
from bot.settings import Settings

log = logging.getLogger(__name__)

COMMAND = "/feedback-call"
# Slack users rarely change language; asking users.info once a week is plenty.
PROFILE_MAX_AGE = timedelta(days=7)
# Commands that change nothing need no delivery key (and no row in processed_events).
READ_ONLY = frozenset({"help", "list", "report", "pool"})
NORWEGIAN = frozenset({"nb", "no", "nn"})
EXPIRED_TRIGGER = frozenset({"expired_trigger_id", "invalid_trigger_id", "trigger_exchanged"})


def language_from_locale(locale: str | None) -> str | None:
    """nb for a Norwegian Slack locale (nb-NO, no-NO, nn-NO), en for any other, None if unknown."""
    if not locale:
        return None
    return "nb" if locale.replace("_", "-").split("-")[0].lower() in NORWEGIAN else "en"


def ids(body: dict[str, Any]) -> tuple[str, str]:
    """The workspace (team, else enterprise) and user of an interaction or event payload."""
    user = body.get("user") or {}
    team = (
        (body.get("team") or {}).get("id")
        or body.get("team_id")
        or user.get("team_id")
        or (body.get("enterprise") or {}).get("id")
        or body.get("enterprise_id")
        or "unknown"
    )
    user_id = user.get("id") or body.get("user_id") or (body.get("event") or {}).get("user") or ""
    return str(team), str(user_id)


class SlackListeners:
    def __init__(self, coach: Coach, settings: Settings, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.coach = coach
        self.settings = settings
        self.timeout = timeout
        # The server's shared HTTP session, once it runs; None means one session per call.
        self.session: aiohttp.ClientSession | None = None

    def register(self, app: AsyncApp) -> None:
        app.command(COMMAND)(self.on_command)
        app.action({"type": "block_actions", "action_id": blocks.ADD_BUTTON})(self.on_add_button)
        app.action({"type": "block_actions", "action_id": blocks.ACTION_ID_PATTERN})(self.on_button)
        app.view_submission(blocks.CHECKLIST)(self.on_checklist)
        app.view_submission(blocks.ADD_CANDIDATE)(self.on_add)
        app.view_submission(blocks.SKIP_REASON)(self.on_skip_reason)
        app.event("app_home_opened")(self.on_home)
        app.error(self.on_error)

    # -- small helpers ------------------------------------------------------------------

    def language(self, who: Identity) -> str:
        return who.language or self.settings.coach_language

    def texts(self, language: str) -> blocks.Texts:
        return functools.partial(self.coach.t, language)

    def is_repeat(self, replies: list[Reply], language: str) -> bool:
        """The engine saw this delivery before: the first one already did everything."""
        return [r.text for r in replies] == [self.coach.t(language, "already_handled")]

    def is_database_down(self, reply: Reply, language: str) -> bool:
        return reply.text == self.coach.t(language, "database_down")

    async def identify(
        self, client: AsyncWebClient, team: str, user: str, *, look_up: bool = True
    ) -> Identity:
        """Who is talking, with language and time zone from users.info, cached in the store."""
        base = Identity(platform="slack", workspace=team, user=user)
        profile = await self.coach.profile(base, PROFILE_MAX_AGE)
        if look_up and (profile is None or not profile.fresh):
            who = await self.users_info(client, base)
            if who is not None:
                await self.coach.remember_profile(who)
                return who
        language = profile.language if profile else None
        return base.model_copy(update={"language": language if language in ("nb", "en") else None})

    async def users_info(self, client: AsyncWebClient, who: Identity) -> Identity | None:
        """The user's language and time zone as Slack reports them; None when Slack fails."""
        try:
            answer = await client.users_info(user=who.user, include_locale=True)
        except API_FAILURES as error:
            log.warning("users.info failed: %s", error_code(error))
            return None
        data = answer.get("user") or {}
        timezone = data.get("tz")
        return who.model_copy(
            update={
                "language": language_from_locale(data.get("locale")),
                "timezone": timezone if isinstance(timezone, str) else None,
            }
        )

    def profile_source(self, client: AsyncWebClient) -> ProfileSource:
        """For the engine: users.info, asked only when the stored profile is stale."""
        return ProfileSource(functools.partial(self.users_info, client), PROFILE_MAX_AGE)

    async def post_response(self, response_url: str | None, text: str, body: list[Any]) -> bool:
        """An ephemeral message through the response_url of a command or message action."""
        if not response_url:
            return False
        client = AsyncWebhookClient(
            response_url,
            timeout=self.timeout,  # type: ignore[arg-type]
            session=self.session,
            retry_handlers=retry_handlers(),
        )
        try:
            response = await client.send(
                text=blocks.fallback_text(text),
                blocks=body,
                response_type="ephemeral",
                replace_original=False,
            )
        except API_FAILURES as error:
            log.warning("response_url failed: %s", error_code(error))
            return False
        if response.status_code != 200:
            log.warning("response_url answered %s", response.status_code)
            return False
        return True

    async def tell(
        self,
        client: AsyncWebClient,
        user: str,
        text: str,
        body: list[Any],
        response_url: str | None,
    ) -> None:
        """Ephemeral where the request came from; else a DM."""
        if await self.post_response(response_url, text, body):
            return
        try:
            await client.chat_postMessage(
                channel=user, text=blocks.fallback_text(text), blocks=body
            )
        except API_FAILURES as error:
            log.warning("chat.postMessage failed: %s", error_code(error))

    async def say(
        self, client: AsyncWebClient, user: str, reply: Reply, language: str, url: str | None
    ) -> None:
        body = blocks.reply_blocks(reply, self.texts(language), language)
        await self.tell(client, user, reply.text, body, url)

    # -- /feedback-call ---------------------------------------------------------------------

    async def on_command(self, ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        # Empty acknowledgement at once; the answer follows through the response_url.
        await ack()
        team, user = str(command.get("team_id") or "unknown"), str(command.get("user_id") or "")
        text = str(command.get("text") or "")
        response_url = command.get("response_url")
        trigger_id = command.get("trigger_id")
        parsed = commands.parse(text)
        if isinstance(parsed, commands.Start):
            await self.open_checklist(
                client,
                team,
                user,
                trigger_id,
                parsed.candidate,
                self.settings.coach_language,
                response_url,
            )
            return
        kind = getattr(parsed, "kind", None)
        key = f"slack:command:{team}:{trigger_id}" if trigger_id and kind not in READ_ONLY else None
        # One transaction reads the cached profile and runs the command; users.info only if stale.
        answer = await self.coach.converse(
            Identity(platform="slack", workspace=team, user=user),
            Inbound(text=text, idempotency_key=key),
            self.profile_source(client),
        )
        for reply in answer.replies:
            await self.say(client, user, reply, answer.language, response_url)

    # -- the checklist modal -------------------------------------------------------------

    async def open_checklist(
        self,
        client: AsyncWebClient,
        team: str,
        user: str,
        trigger_id: str | None,
        ref: str,
        hint_language: str,
        response_url: str | None,
    ) -> None:
        """views.open first (the trigger_id dies after 3 s), then fill it in with views.update."""
        view_id: str | None = None
        problem = "slack_api_failed"
        if trigger_id:
            try:
                loading = blocks.loading_modal(self.texts(hint_language))
                opened = await client.views_open(trigger_id=trigger_id, view=loading)
                view_id = (opened.get("view") or {}).get("id")
            except API_FAILURES as error:
                code = error_code(error)
                log.warning("views.open failed: %s", code)
                if code in EXPIRED_TRIGGER:
                    problem = "slack_trigger_expired"
        who = await self.identify(client, team, user)
        language = self.language(who)
        t = self.texts(language)
        replies = await self.coach.handle(who, Inbound(text=f"start {ref}"))
        reply = next((r for r in replies if r.form), replies[0])
        if view_id:
            if reply.form:
                metadata = blocks.encode_metadata(
                    reply.form.candidate_id, response_url=response_url
                )
                view = blocks.checklist_modal(reply.form, t, metadata)
            else:
                view = blocks.message_modal(t, reply.text)
            try:
                await client.views_update(view_id=view_id, view=view)
                return
            except API_FAILURES as error:
                log.warning("views.update failed: %s", error_code(error))
        if reply.form:
            body = blocks.checklist_message(reply.form, t, language, t(problem))
            await self.tell(client, user, t(problem), body, response_url)
        else:
            await self.say(client, user, reply, language, response_url)

    async def on_checklist(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """view_submission: inline errors keep the modal open; a script closes it and is DM'd."""
        team, user = ids(body)
        metadata = blocks.decode_metadata(view.get("private_metadata") or "")
        candidate = metadata.get("candidate", "")
        answers = blocks.state_values((view.get("state") or {}).get("values") or {})
        # No users.info here: the answer (errors or not) must go back within 3 s.
        who = await self.identify(client, team, user, look_up=False)
        language = self.language(who)
        delivery = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
        reply = await self.coach.submit_checklist(
            who, candidate, answers, idempotency_key=f"slack:view:{team}:{user}:{delivery}"
        )
        if reply.form is not None and blocks.form_errors(reply.form):
            await ack(response_action="errors", errors=blocks.form_errors(reply.form))
            return
        if reply.cards:
            await ack()
            await self.send_script(client, user, reply, language, candidate, metadata)
            return
        if self.is_repeat([reply], language):
            await ack()
            return
        # Not found, or the store is down: say so in the modal, which keeps what they typed.
        first = blocks.first_input_block(view)
        if first:
            await ack(response_action="errors", errors={first: reply.text})
        else:
            await ack(
                response_action="update",
                view=blocks.message_modal(self.texts(language), reply.text),
            )

    async def send_script(
        self,
        client: AsyncWebClient,
        user: str,
        reply: Reply,
        language: str,
        candidate: str,
        metadata: dict[str, str],
    ) -> None:
        notifier = SlackNotifier(client, self.coach.guides)
        recipient = Recipient(platform="slack", workspace="", user=user, language=language)
        try:
            await notifier.send(recipient, reply)
        except DeliveryError:
            # The answers are stored; tell them how to get the script once Slack is back.
            text = self.coach.t(language, "slack_script_not_delivered", id=candidate)
            await self.post_response(metadata.get("response_url"), text, [blocks.section(text)])

    # -- buttons ------------------------------------------------------------------------

    async def on_button(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Every command button: its value is grammar words, run once per delivery."""
        await ack()
        command = str(action.get("value") or "")
        team, user = ids(body)
        hint = blocks.language_of_action(
            str(action.get("action_id") or ""), self.settings.coach_language
        )
        response_url = body.get("response_url")
        parsed = commands.parse(command)
        if isinstance(parsed, commands.Start):
            await self.open_checklist(
                client, team, user, body.get("trigger_id"), parsed.candidate, hint, response_url
            )
            return
        if isinstance(parsed, commands.Log) and parsed.outcome == "skipped" and not parsed.note:
            await self.ask_skip_reason(client, body, parsed.candidate, hint)
            return
        who = await self.identify(client, team, user)
        language = self.language(who)
        delivery = action.get("action_ts") or body.get("trigger_id")
        key = f"slack:action:{team}:{user}:{delivery}" if delivery else None
        replies = await self.coach.handle(who, Inbound(text=command, idempotency_key=key))
        if self.is_repeat(replies, language):
            return
        await self.show_outcome(client, body, action, replies, who)

    async def show_outcome(
        self,
        client: AsyncWebClient,
        body: dict[str, Any],
        action: dict[str, Any],
        replies: list[Reply],
        who: Identity,
    ) -> None:
        """Where the button was: the Home tab is redrawn, a message is updated in place."""
        text = "\n\n".join(reply.text for reply in replies)
        container = body.get("container") or {}
        message = body.get("message")
        if container.get("type") == "view":
            await self.publish_home(client, who, banner=text)
            return
        if message is None or container.get("is_ephemeral"):
            # An ephemeral message cannot be chat.update'd; answer beside it.
            await self.tell(
                client, who.user, text, [blocks.section(text)], body.get("response_url")
            )
            return
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        try:
            await client.chat_update(
                channel=channel,
                ts=container.get("message_ts") or message.get("ts"),
                text=blocks.fallback_text(message.get("text") or text),
                blocks=blocks.mark_done(
                    message.get("blocks") or [], str(action.get("block_id")), text
                ),
            )
        except API_FAILURES as error:
            log.warning("chat.update failed: %s", error_code(error))
            await self.tell(
                client, who.user, text, [blocks.section(text)], body.get("response_url")
            )

    async def ask_skip_reason(
        self, client: AsyncWebClient, body: dict[str, Any], ref: str, language: str
    ) -> None:
        container = body.get("container") or {}
        source = "home" if container.get("type") == "view" else "message"
        metadata = blocks.encode_metadata(ref, source=source)
        try:
            await client.views_open(
                trigger_id=body.get("trigger_id"),
                view=blocks.skip_reason_modal(self.texts(language), metadata),
            )
        except API_FAILURES as error:
            log.warning("views.open failed: %s", error_code(error))
            text = self.coach.t(language, "slack_api_failed")
            _, user = ids(body)
            await self.tell(client, user, text, [blocks.section(text)], body.get("response_url"))

    async def on_skip_reason(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team, user = ids(body)
        metadata = blocks.decode_metadata(view.get("private_metadata") or "")
        reason = blocks.state_values((view.get("state") or {}).get("values") or {}).get("reason")
        who = await self.identify(client, team, user, look_up=False)
        language = self.language(who)
        delivery = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
        command = f"log {metadata.get('candidate', '')} skipped {(reason or '').strip()}"
        replies = await self.coach.handle(
            who,
            Inbound(text=command, idempotency_key=f"slack:view:{team}:{user}:{delivery}"),
        )
        if self.is_repeat(replies, language):
            await ack()
            return
        text = "\n\n".join(reply.text for reply in replies)
        if self.is_database_down(replies[0], language):
            await ack(response_action="errors", errors={"reason": text})
            return
        await ack(response_action="update", view=blocks.message_modal(self.texts(language), text))
        if metadata.get("source") == "home":
            await self.publish_home(client, who, banner=text)

    # -- App Home -----------------------------------------------------------------------

    async def on_home(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab", "home") != "home":
            return
        team, _ = ids(body)
        who = await self.identify(client, team, str(event.get("user") or ""))
        await self.publish_home(client, who)

    async def publish_home(
        self, client: AsyncWebClient, who: Identity, banner: str | None = None
    ) -> None:
        language = self.language(who)
        t = self.texts(language)
        reply = (await self.coach.handle(who, Inbound(text="list")))[0]
        if self.is_database_down(reply, language):
            heading = reply.text
        elif reply.cards:
            heading = t("help_pending", count=len(reply.cards))
        else:
            heading = t("help_nothing_pending")
        view = blocks.home_view(t, language, reply.cards, heading, banner)
        try:
            await client.views_publish(user_id=who.user, view=view)
        except API_FAILURES as error:
            log.warning("views.publish failed: %s", error_code(error))

    async def on_add_button(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        value = str(action.get("value") or "")
        language = value if value in ("nb", "en") else self.settings.coach_language
        try:
            await client.views_open(
                trigger_id=body.get("trigger_id"),
                view=blocks.add_candidate_modal(self.texts(language)),
            )
        except API_FAILURES as error:
            log.warning("views.open failed: %s", error_code(error))
            text = self.coach.t(language, "slack_api_failed")
            _, user = ids(body)
            await self.tell(client, user, text, [blocks.section(text)], None)

    async def on_add(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team, user = ids(body)
        values = (view.get("state") or {}).get("values") or {}
        answers = blocks.state_values(values)
        name = " ".join((answers.get("name") or "").split())
        position = " ".join((answers.get("position") or "").split())
        who = await self.identify(client, team, user, look_up=False)
        language = self.language(who)
        # The grammar separates name and position with |, so neither may contain one.
        errors = {
            key: self.coach.t(language, "slack_add_no_bar")
            for key, value in (("name", name), ("position", position))
            if "|" in value
        }
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        command = f"add {name} | {position}" + (
            " | internal" if blocks.checked(values, "internal") else ""
        )
        delivery = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
        replies = await self.coach.handle(
            who, Inbound(text=command, idempotency_key=f"slack:view:{team}:{user}:{delivery}")
        )
        if self.is_repeat(replies, language):
            await ack()
            return
        if not replies[0].cards:
            await ack(response_action="errors", errors={"name": replies[0].text})
            return
        await ack()
        await self.publish_home(client, who, banner=replies[0].text)

    # -- errors -------------------------------------------------------------------------

    async def on_error(self, error: Exception) -> None:
        # Only the type: an exception's text can quote the payload, i.e. candidate data.
        log.error("slack listener failed: %s", type(error).__name__)


def register(
    app: AsyncApp, coach: Coach, settings: Settings, timeout: float = DEFAULT_TIMEOUT
) -> SlackListeners:
    listeners = SlackListeners(coach, settings, timeout)
    listeners.register(app)
    return listeners
