"""Slack listeners: a payload in, an engine call, Block Kit out. Acknowledge first, then work."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import commands
from bot.channels.slack import blocks, jobs
from bot.channels.slack.events import SharedConversations
from bot.channels.slack.notify import (
    API_FAILURES,
    DEFAULT_TIMEOUT,
    SlackNotifier,
    error_code,
    retry_handlers,
)
from bot.channels.slack.payloads import (
    action_command,
    as_dict,
    delivery_key,
    first_string,
    ids,
    text_of,
)
from bot.channels.slack.practice import PracticeListeners
from bot.coach import Coach, ProfileSource
from bot.inbox import DUPLICATE, Refusal, Ticket
from bot.messages import (
    Attachment,
    Identity,
    Inbound,
    Reply,
    Status,
    is_platform_id,
    language_from_locale,
)
from bot.notify import DeliveryError, Recipient
from bot.settings import Settings

log = logging.getLogger(__name__)

COMMAND = "/feedback-call"
# Slack users rarely change language; asking users.info once a week is plenty.
PROFILE_MAX_AGE = timedelta(days=7)
# Commands that change nothing need no delivery key (and no row in processed_events).
READ_ONLY = frozenset({"help", "list", "report", "pool"})
# Uploading adds one failure of its own: the upload_url answering anything but 200.
FILE_FAILURES = (*API_FAILURES, SlackRequestError)
EXPIRED_TRIGGER = frozenset({"expired_trigger_id", "invalid_trigger_id", "trigger_exchanged"})
# Slack waits 3 s for a view_submission's acknowledgement; the checklist is saved inside this
# and otherwise acknowledged as "still saving" while its inbox job finishes the work.
CHECKLIST_BUDGET = 2.0
# Languages of users seen lately, to refuse in their language without asking the database.
KNOWN_LANGUAGES = 10_000
# Events about the app's removal: they name a workspace, never a user.
UNINSTALL_EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})


class SlackListeners:
    def __init__(self, coach: Coach, settings: Settings, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.coach = coach
        self.settings = settings
        self.timeout = timeout
        # The server's HTTP session for answers at response_url, once it runs; None means one
        # session per call. Web API calls have a session (and connection limit) of their own.
        self.session: aiohttp.ClientSession | None = None
        self.practice = PracticeListeners(self)
        # The Web API client for work taken over from the inbox (set by `register`), and in
        # OAuth mode where each workspace's token comes from (None: the client's own token).
        self.client: AsyncWebClient | None = None
        self.tokens: Callable[[str], Awaitable[str | None]] | None = None
        self.languages: OrderedDict[tuple[str, str], str] = OrderedDict()

    def register(self, app: AsyncApp) -> None:
        self.client = app.client
        inbox = self.coach.inbox
        inbox.register(jobs.COMMAND, self._command_job)
        inbox.register(jobs.BUTTON, self._button_job)
        inbox.register(jobs.CHECKLIST, self._checklist_job)
        app.middleware(self.check_ids)
        app.command(COMMAND)(self.on_command)
        app.action({"type": "block_actions", "action_id": blocks.ADD_BUTTON})(self.on_add_button)
        app.action({"type": "block_actions", "action_id": blocks.ACTION_ID_PATTERN})(self.on_button)
        app.view_submission(blocks.CHECKLIST)(self.on_checklist)
        app.view_submission(blocks.ADD_CANDIDATE)(self.on_add)
        app.view_submission(blocks.SKIP_REASON)(self.on_skip_reason)
        app.event("app_home_opened")(self.on_home)
        self.practice.register(app)
        SharedConversations(self).register(app)
        app.error(self.on_error)

    async def check_ids(self, body: dict[str, Any], next: Any) -> BoltResponse | None:
        """Runs after Bolt's signature check: a team or user id that is not shaped like one
        (missing, not a string, a NUL, too long) is refused before anything reaches the engine."""
        team, user = ids(body)
        if is_platform_id(team) and is_platform_id(user):
            return await next()
        event = as_dict(body.get("event"))
        # The app's removal names a workspace but no user (bot.channels.slack.uninstall); so do
        # other signed events about the app, not a person (a bot's message, an edit): on to
        # their listener, or the catch-all that acknowledges them with 200, since Slack retries
        # a refused event. No listener acts for a person without a user id.
        if is_platform_id(team) and (
            event.get("type") in UNINSTALL_EVENTS
            or (body.get("type") == "event_callback" and "user" not in event and "user" not in body)
        ):
            return await next()
        log.warning("refused a Slack request without a usable team or user id")
        text = self.coach.t(self.settings.coach_language, "bad_identity")
        return BoltResponse(status=400, body=text)

    # -- small helpers ------------------------------------------------------------------

    def language(self, who: Identity) -> str:
        if who.language:
            self._remember_language(who.workspace, who.user, who.language)
        return who.language or self.settings.coach_language

    def _remember_language(self, team: str, user: str, language: str) -> None:
        self.languages[(team, user)] = language
        self.languages.move_to_end((team, user))
        while len(self.languages) > KNOWN_LANGUAGES:
            self.languages.popitem(last=False)

    def known_language(self, team: str, user: str) -> str:
        """Their language as last seen, with no database call (for answers under load)."""
        return self.languages.get((team, user)) or self.settings.coach_language

    def refusal(self, refusal: Refusal, team: str, user: str) -> str:
        """ "Very busy" or "database down": nothing was stored, so nothing else will follow."""
        return self.coach.t(self.known_language(team, user), refusal.value)

    async def client_for(self, team: str) -> AsyncWebClient | None:
        """A Web API client for work taken over from the inbox; None if the app is gone."""
        assert self.client is not None
        if self.tokens is None:
            return self.client
        token = await self.tokens(team)
        if token is None:
            log.warning("inbox: the app is no longer installed in a workspace; work dropped")
            return None
        client = AsyncWebClient(
            token=token,
            base_url=self.client.base_url,
            timeout=self.client.timeout,
            session=self.client.session,
            retry_handlers=self.client.retry_handlers,
        )
        return client

    async def accept(
        self,
        kind: str,
        key: str | None,
        job: jobs.CommandJob | jobs.ButtonJob | jobs.ChecklistJob,
    ) -> Ticket | Refusal:
        """Write the request to the inbox before it is acknowledged."""
        # No trigger id (never from Slack itself): a key of its own, so it is still kept.
        key = key or delivery_key("inbox", kind, uuid.uuid4().hex)
        return await self.coach.inbox.accept(kind, key, job.model_dump(mode="json"))

    def texts(self, language: str) -> blocks.Texts:
        return functools.partial(self.coach.t, language)

    def is_repeat(self, replies: list[Reply], language: str) -> bool:
        """The engine saw this delivery before: the first one already did everything."""
        return len(replies) == 1 and replies[0].status is Status.REPEAT

    def is_database_down(self, reply: Reply, language: str) -> bool:
        return reply.status is Status.UNAVAILABLE

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
        """The user's language, time zone and name as Slack reports them, and the workspace's
        name (auth.test, no extra scope); None when users.info fails."""
        try:
            answer = await client.users_info(user=who.user, include_locale=True)
        except API_FAILURES as error:
            log.warning("users.info failed: %s", error_code(error))
            return None
        data = as_dict(answer.get("user"))
        profile = as_dict(data.get("profile"))
        timezone = data.get("tz")
        name = first_string(
            profile.get("real_name"), data.get("real_name"), profile.get("display_name")
        )
        return Identity.model_validate(
            {
                **who.model_dump(),
                "language": language_from_locale(data.get("locale")),
                "timezone": timezone if isinstance(timezone, str) else None,
                "name": name or None,
                "organisation": await self.team_name(client),
            }
        )

    async def team_name(self, client: AsyncWebClient) -> str | None:
        """The workspace's name, for the call script; None when Slack does not say."""
        try:
            answer = await client.auth_test()
        except API_FAILURES as error:
            log.warning("auth.test failed: %s", error_code(error))
            return None
        team = answer.get("team")
        return team if isinstance(team, str) and team.strip() else None

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
        """Stored in the inbox, then an empty acknowledgement; the answer follows at
        response_url. Refused at once, in the acknowledgement, when busy or the store is down."""
        team, user = ids(command)
        job = jobs.CommandJob(
            team=team,
            user=user,
            text=text_of(command.get("text")),
            response_url=text_of(command.get("response_url")) or None,
            trigger_id=text_of(command.get("trigger_id")) or None,
        )
        key = delivery_key("inbox", "command", team, job.trigger_id) if job.trigger_id else None
        ticket = await self.accept(jobs.COMMAND, key, job)
        if isinstance(ticket, Refusal):
            if ticket is DUPLICATE:
                await ack()  # the same delivery is stored already; its answer will come
            else:
                await ack(text=self.refusal(ticket, team, user), response_type="ephemeral")
            return
        await ack()
        async with ticket.working():
            await self.run_command(client, job)

    async def _command_job(self, payload: dict[str, Any], recovered: bool) -> None:
        job = jobs.CommandJob.model_validate(payload)
        client = await self.client_for(job.team)
        if client is not None:
            await self.run_command(client, job)

    async def run_command(self, client: AsyncWebClient, job: jobs.CommandJob) -> None:
        team, user, text = job.team, job.user, job.text
        response_url, trigger_id = job.response_url, job.trigger_id
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
        if isinstance(parsed, commands.Practice):
            await self.practice.open(client, team, user, trigger_id, text, response_url)
            return
        kind = getattr(parsed, "kind", None)
        key = (
            delivery_key("command", team, trigger_id)
            if trigger_id and kind not in READ_ONLY
            else None
        )
        # One transaction reads the cached profile and runs the command; users.info only if stale.
        who = Identity(platform="slack", workspace=team, user=user)
        answer = await self.coach.converse(
            who, Inbound(text=text, idempotency_key=key), self.profile_source(client)
        )
        who = who.model_copy(update={"language": answer.language})
        for reply in answer.replies:
            if reply.attachment is not None:
                await self.send_file(client, who, reply.attachment, response_url)
                continue
            await self.say(client, user, reply, answer.language, response_url)

    async def send_file(
        self,
        client: AsyncWebClient,
        who: Identity,
        attachment: Attachment,
        response_url: str | None,
    ) -> bool:
        """An export goes to the asker's DM as a file, never pasted where others might see it.

        conversations.open, then files.getUploadURLExternal, a POST of the bytes to the
        upload_url, and files.completeUploadExternal (slack_sdk's files_upload_v2), each with
        the client's bounded 429 retries. If any step fails, the asker hears so and can ask
        again; the engine wrote the audit entry once, when it made the export.
        """
        language = self.language(who)
        name = attachment.filename
        try:
            opened = await client.conversations_open(users=who.user)
            channel = as_dict(opened.get("channel")).get("id")
            await client.files_upload_v2(
                channel=channel,
                content=attachment.content,
                filename=attachment.filename,
                title=attachment.filename,
                initial_comment=self.coach.t(language, "export_file_comment", filename=name),
            )
            text = self.coach.t(language, "export_sent_file", filename=name)
            sent = True
        except FILE_FAILURES as error:
            log.warning("export upload failed: %s", error_code(error))
            text = self.coach.t(language, "export_not_sent", filename=name)
            sent = False
        await self.tell(client, who.user, text, [blocks.section(text)], response_url)
        return sent

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
        start = commands.from_form("start", candidate=ref)
        replies = await self.coach.handle(who, Inbound(text="start", command=start))
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
        """view_submission: stored in the inbox, then saved within Slack's 3 s where possible.

        Inline errors keep the modal open; an accepted checklist closes it and the script is
        DM'd. When saving takes longer than the budget, the modal says the answers are being
        saved and the script (or what needs work) follows as a message: a saved submission
        never looks failed. A process that dies in between leaves the inbox row to another.
        """
        started = time.monotonic()
        team, user = ids(body)
        metadata = blocks.decode_metadata(view.get("private_metadata"))
        delivery = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
        values = as_dict(view.get("state")).get("values")
        # The checkbox is only in an external candidate's checklist; absent means "not asked".
        strongest = (
            blocks.checked(as_dict(values), blocks.STRONGEST)
            if blocks.STRONGEST in as_dict(values)
            else None
        )
        job = jobs.ChecklistJob(
            team=team,
            user=user,
            candidate=metadata.get("candidate", ""),
            answers=blocks.state_values(values),
            strongest=strongest,
            delivery=delivery_key("view", team, user, delivery),
            response_url=metadata.get("response_url"),
        )
        first = blocks.first_input_block(view)
        ticket = await self.accept(jobs.CHECKLIST, delivery_key("inbox", job.delivery), job)
        if isinstance(ticket, Refusal):
            if ticket is DUPLICATE:
                await ack()
            else:
                language = self.known_language(team, user)
                await self.ack_problem(ack, first, language, self.refusal(ticket, team, user))
            return
        async with ticket.working():
            saving = asyncio.ensure_future(self.save_checklist(client, job))
            left = CHECKLIST_BUDGET - (time.monotonic() - started)
            done, _ = await asyncio.wait({saving}, timeout=max(0.0, left))
            if not done:
                language = self.known_language(team, user)
                t = self.texts(language)
                await ack(
                    response_action="update", view=blocks.message_modal(t, t("on_it_checklist"))
                )
                who, reply = await saving
                await self.checklist_by_message(client, job, who, reply)
                return
            who, reply = saving.result()
            language = self.language(who)
            if reply.form is not None and blocks.form_errors(reply.form):
                if blocks.new_inputs(reply.form, view):
                    # A risky answer gets a second field for the requirement it is about.
                    metadata_text = str(view.get("private_metadata") or "")
                    t = self.texts(language)
                    modal = blocks.checklist_modal(reply.form, t, metadata_text)
                    await ack(response_action="update", view=modal)
                    return
                await ack(response_action="errors", errors=blocks.form_errors(reply.form))
                return
            if reply.cards:
                await ack()
                await self.send_script(client, user, reply, language, job.candidate, metadata)
                return
            if self.is_repeat([reply], language):
                await ack()
                return
            # Not found, or the store is down: say so in the modal, which keeps what they typed.
            await self.ack_problem(ack, first, language, reply.text)

    async def ack_problem(self, ack: Any, first: str | None, language: str, text: str) -> None:
        if first:
            await ack(response_action="errors", errors={first: text})
        else:
            await ack(
                response_action="update", view=blocks.message_modal(self.texts(language), text)
            )

    async def save_checklist(
        self, client: AsyncWebClient, job: jobs.ChecklistJob
    ) -> tuple[Identity, Reply]:
        # No users.info here: the answer (errors or not) must go back within 3 s.
        who = await self.identify(client, job.team, job.user, look_up=False)
        reply = await self.coach.submit_checklist(
            who,
            job.candidate,
            job.answers,
            idempotency_key=job.delivery,
            strongest=job.strongest,
        )
        return who, reply

    async def _checklist_job(self, payload: dict[str, Any], recovered: bool) -> None:
        """A submission whose process died: save it (once), then answer by message."""
        job = jobs.ChecklistJob.model_validate(payload)
        client = await self.client_for(job.team)
        if client is None:
            return
        who, reply = await self.save_checklist(client, job)
        if self.is_repeat([reply], self.language(who)):
            # Saved before the process died, the script perhaps not sent: send it now.
            reply = await self.coach.finish(who, job.candidate)
        await self.checklist_by_message(client, job, who, reply)

    async def checklist_by_message(
        self, client: AsyncWebClient, job: jobs.ChecklistJob, who: Identity, reply: Reply
    ) -> None:
        """The outcome of a submission whose modal is already closed."""
        language = self.language(who)
        if reply.cards:
            metadata = {"response_url": job.response_url} if job.response_url else {}
            await self.send_script(client, job.user, reply, language, job.candidate, metadata)
        elif reply.form is not None:
            t = self.texts(language)
            body = blocks.checklist_message(reply.form, t, language, reply.text)
            await self.tell(client, job.user, reply.text, body, job.response_url)
        elif not self.is_repeat([reply], language):
            await self.tell(
                client, job.user, reply.text, [blocks.section(reply.text)], job.response_url
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
        """Every command button or menu option: its value is grammar words, run once per
        delivery."""
        team, user = ids(body)
        job = jobs.ButtonJob(
            team=team,
            user=user,
            command=action_command(action),
            action={
                k: action.get(k)
                for k in ("action_id", "block_id", "action_ts", "value", "selected_option")
            },
            trigger_id=text_of(body.get("trigger_id")) or None,
            response_url=text_of(body.get("response_url")) or None,
            container=as_dict(body.get("container")),
            message=body.get("message") if isinstance(body.get("message"), dict) else None,
            channel=body.get("channel") if isinstance(body.get("channel"), dict) else None,
        )
        delivery = action.get("action_ts") or body.get("trigger_id")
        key = delivery_key("inbox", "action", team, user, delivery) if delivery else None
        ticket = await self.accept(jobs.BUTTON, key, job)
        await ack()
        if isinstance(ticket, Refusal):
            if ticket is not DUPLICATE:
                # A button's acknowledgement shows nothing: say it beside the button.
                text = self.refusal(ticket, team, user)
                await self.tell(client, user, text, [blocks.section(text)], job.response_url)
            return
        async with ticket.working():
            await self.run_button(client, job.body(), job.action)

    async def _button_job(self, payload: dict[str, Any], recovered: bool) -> None:
        job = jobs.ButtonJob.model_validate(payload)
        client = await self.client_for(job.team)
        if client is not None:
            await self.run_button(client, job.body(), job.action)

    async def run_button(
        self, client: AsyncWebClient, body: dict[str, Any], action: dict[str, Any]
    ) -> None:
        command = action_command(action)
        team, user = ids(body)
        hint = blocks.language_of_action(
            text_of(action.get("action_id")), self.settings.coach_language
        )
        response_url = text_of(body.get("response_url")) or None
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
        key = delivery_key("action", team, user, delivery) if delivery else None
        replies = await self.coach.handle(who, Inbound(text=command, idempotency_key=key))
        if self.is_repeat(replies, language):
            return
        for reply in replies:
            if reply.attachment is not None:
                await self.send_file(client, who, reply.attachment, response_url)
        replies = [reply for reply in replies if reply.attachment is None]
        if replies:
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
        container = as_dict(body.get("container"))
        message = body.get("message") if isinstance(body.get("message"), dict) else None
        response_url = text_of(body.get("response_url")) or None
        if self.is_database_down(replies[0], self.language(who)):
            # Nothing was recorded: the buttons stay where they are, and the reason comes
            # beside them, so the recruiter can press again once the store is back.
            await self.tell(client, who.user, text, [blocks.section(text)], response_url)
            return
        if container.get("type") == "view":
            await self.publish_home(client, who, banner=text)
            return
        if message is None or container.get("is_ephemeral"):
            # An ephemeral message cannot be chat.update'd; answer beside it.
            await self.tell(client, who.user, text, [blocks.section(text)], response_url)
            return
        channel = container.get("channel_id") or as_dict(body.get("channel")).get("id")
        shown = message.get("blocks")
        try:
            await client.chat_update(
                channel=channel,
                ts=container.get("message_ts") or message.get("ts"),
                text=blocks.fallback_text(text_of(message.get("text")) or text),
                blocks=blocks.mark_done(
                    shown if isinstance(shown, list) else [], str(action.get("block_id")), text
                ),
            )
        except API_FAILURES as error:
            log.warning("chat.update failed: %s", error_code(error))
            await self.tell(client, who.user, text, [blocks.section(text)], response_url)

    async def ask_skip_reason(
        self, client: AsyncWebClient, body: dict[str, Any], ref: str, language: str
    ) -> None:
        container = as_dict(body.get("container"))
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
            response_url = text_of(body.get("response_url")) or None
            await self.tell(client, user, text, [blocks.section(text)], response_url)

    async def on_skip_reason(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        team, user = ids(body)
        metadata = blocks.decode_metadata(view.get("private_metadata"))
        reason = blocks.state_values(as_dict(view.get("state")).get("values")).get("reason")
        who = await self.identify(client, team, user, look_up=False)
        language = self.language(who)
        delivery = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
        # The reason is one line of free text; the candidate came from the button's own words.
        note = " ".join(commands.clean(reason or "").split()) or None
        command = commands.from_form(
            "log", candidate=metadata.get("candidate", ""), outcome="skipped", note=note
        )
        replies = await self.coach.handle(
            who,
            Inbound(
                text="log skipped (skip-reason modal)",
                command=command,
                idempotency_key=delivery_key("view", team, user, delivery),
            ),
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
        if event.get("tab", "home") != "home" or not is_platform_id(event.get("user")):
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
        values = as_dict(as_dict(view.get("state")).get("values"))
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
        command = commands.from_form(
            "add", name=name, position=position, internal=blocks.checked(values, "internal")
        )
        delivery = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
        replies = await self.coach.handle(
            who,
            Inbound(
                text="add (add-candidate modal)",
                command=command,
                idempotency_key=delivery_key("view", team, user, delivery),
            ),
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
