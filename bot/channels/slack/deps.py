"""The Slack channel's shared dependencies and helpers; each listener module registers itself
with `register(app, deps)`."""

from __future__ import annotations

import functools
import logging
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
from slack_bolt import BoltResponse
from slack_sdk.errors import SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.channels.slack import blocks, jobs
from bot.channels.slack.notify import API_FAILURES, DEFAULT_TIMEOUT, error_code, retry_handlers
from bot.channels.slack.payloads import as_dict, delivery_key, first_string, ids
from bot.coach import Coach, ProfileSource
from bot.inbox import Refusal, Ticket
from bot.messages import Attachment, Identity, Reply, Status, is_platform_id, language_from_locale
from bot.settings import Settings

log = logging.getLogger(__name__)

# Slack users rarely change language; asking users.info once a week is plenty.
PROFILE_MAX_AGE = timedelta(days=7)
# Uploading adds one failure of its own: the upload_url answering anything but 200.
FILE_FAILURES: tuple[type[BaseException], ...] = (*API_FAILURES, SlackRequestError)
# Languages of users seen lately, to refuse in their language without asking the database.
KNOWN_LANGUAGES = 10_000
# Events about the app's removal: they name a workspace, never a user.
UNINSTALL_EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})
# Where the request's arrival (the event loop's clock) is kept in Bolt's context: the time
# left before Slack gives up on the acknowledgement counts from there.
ARRIVED_AT = "coach_arrived_at"


class Deps:
    """What every Slack listener module shares: the coach, settings, HTTP sessions, and the
    small helpers (who is asking, in which language, answering them, the inbox)."""

    def __init__(self, coach: Coach, settings: Settings, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.coach = coach
        self.settings = settings
        self.timeout = timeout
        # The server's HTTP session for answers at response_url, once it runs; None means one
        # session per call. Web API calls have a session (and connection limit) of their own.
        self.session: aiohttp.ClientSession | None = None
        # The Web API client for work taken over from the inbox (set by `register`), and in
        # OAuth mode where each workspace's token comes from (None: the client's own token).
        self.client: AsyncWebClient | None = None
        self.tokens: Callable[[str], Awaitable[str | None]] | None = None
        self.languages: OrderedDict[tuple[str, str], str] = OrderedDict()

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
        job: jobs.CommandJob | jobs.ButtonJob | jobs.ChecklistJob | jobs.MessageJob,
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

    async def on_error(self, error: Exception) -> None:
        # Only the type: an exception's text can quote the payload, i.e. candidate data.
        log.error("slack listener failed: %s", type(error).__name__)
