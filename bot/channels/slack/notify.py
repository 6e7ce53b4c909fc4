"""Direct messages to recruiters (call scripts, reminders), and the Web API client they use."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import blocks
from bot.messages import Reply
from bot.notify import DeliveryError, Recipient
from conversation_guides import GuideBook

log = logging.getLogger(__name__)

# The SDKs log whole request bodies at DEBUG, and those carry candidate names and notes.
# Their loggers stay at INFO or above, whatever the root logger is set to.
SDK_LOGGERS = ("slack_sdk", "slack_bolt")
# Errors about the user (chat.postMessage to a user id, conversations.open): they cannot be
# reached by DM at all, not worth retrying next week.
GONE_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "user_not_visible",
        "cannot_dm_bot",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
    }
)
# Errors about the app itself (Slack's common errors: the token, its scopes, the workspace's
# rules for apps). They say nothing about the user, and every other DM would fail alike.
APP_ERRORS = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "account_inactive",  # the bot token's user or workspace was deleted
        "token_revoked",
        "token_expired",
        "team_access_not_granted",
        "missing_scope",
        "not_allowed_token_type",
        "no_permission",
        "access_denied",
        "accesslimited",
        "ekm_access_denied",
        "enterprise_is_restricted",
        "org_login_required",
        "two_factor_setup_required",
        "messages_tab_disabled",  # the app's own Messages tab is off: no DM reaches anyone
    }
)
# How long an answer from Slack may take; a trigger_id is dead after 3 s anyway.
DEFAULT_TIMEOUT = 10.0
MAX_RETRY_AFTER = 30
# Failures of the Web API we expect and handle: Slack's own error answers, HTTP trouble, slowness.
API_FAILURES: tuple[type[BaseException], ...] = (
    SlackApiError,
    aiohttp.ClientError,
    asyncio.TimeoutError,
    OSError,
)
# Refreshing a rotated token fails in one way more.
TOKEN_FAILURES: tuple[type[BaseException], ...] = (SlackTokenRotationError, *API_FAILURES)


def quiet_sdk_loggers() -> None:
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        # Only when nobody chose a level: whoever sets one on purpose keeps it.
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


class BoundedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Waits out a 429's Retry-After, but only a short one: a long wait helps nobody in chat."""

    def __init__(self, max_retry_count: int = 2, max_wait: int = MAX_RETRY_AFTER) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        for name, values in response.headers.items():
            if name.lower() == "retry-after":
                try:
                    return int(values[0]) <= self.max_wait
                except (ValueError, IndexError):
                    return False
        return True


def retry_handlers() -> list[AsyncRetryHandler]:
    return [
        AsyncConnectionErrorRetryHandler(max_retry_count=1),
        BoundedRateLimitRetryHandler(),
    ]


def web_client(
    token: str | None, base_url: str, timeout: float = DEFAULT_TIMEOUT
) -> AsyncWebClient:
    """Every Web API call goes to base_url (SLACK_API_URL), with bounded 429 retries."""
    quiet_sdk_loggers()
    if not base_url.endswith("/"):
        base_url += "/"
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,  # type: ignore[arg-type]  # aiohttp takes fractions of seconds
        retry_handlers=retry_handlers(),
        logger=logging.getLogger("slack_sdk.web.async_client"),
    )


def error_code(error: BaseException) -> str:
    """A short reason fit for logs and the store: Slack's error code or the exception type."""
    if isinstance(error, SlackApiError):
        response: Any = error.response
        # A 500 with a plain-text body has no "error" field (and .get() would fail on it).
        data = getattr(response, "data", None)
        code = data.get("error") if isinstance(data, dict) else None
        status = getattr(response, "status_code", None)
        return str(code or f"http_{status}")
    return type(error).__name__


# Where a workspace's bot token comes from when the app is installed in many (OAuth): fresh
# (refreshed when close to expiry), or None when the app is not installed there any more.
TokenSource = Callable[[str], Awaitable[str | None]]
NOT_INSTALLED = "not_installed"


class SlackNotifier:
    """`bot.notify.Notifier` for Slack: a DM from the bot to the recruiter.

    With `tokens`, every send asks for the recipient's workspace's token first (OAuth mode:
    one token per workspace, rotated); without, the client's own token serves (one workspace).
    """

    platform = "slack"

    def __init__(
        self, client: AsyncWebClient, guides: GuideBook, tokens: TokenSource | None = None
    ) -> None:
        self.client = client
        self.guides = guides
        self.tokens = tokens
        # A refused token concerns one workspace only when each has its own (bot.reminders).
        self.credentials_per_workspace = tokens is not None

    @classmethod
    def from_settings(
        cls, settings: Any, guides: GuideBook, tokens: TokenSource | None = None
    ) -> SlackNotifier:
        token = None if tokens is not None else settings.slack_bot_token
        return cls(web_client(token, settings.slack_api_url), guides, tokens)

    async def _token(self, workspace: str) -> dict[str, Any]:
        """The token argument for this workspace's call; DeliveryError when there is none."""
        if self.tokens is None:
            return {}
        try:
            token = await self.tokens(workspace)
        except TOKEN_FAILURES as error:
            inner = error.api_error if isinstance(error, SlackTokenRotationError) else error
            reason = error_code(inner)
            log.warning("slack token refresh for %s failed: %s", workspace, reason)
            # Only this workspace: the next run tries again (a 5xx) or it was revoked.
            raise DeliveryError(reason, app_wide=True) from None
        if token is None:
            raise DeliveryError(NOT_INSTALLED, app_wide=True)
        return {"token": token}

    async def send(self, recipient: Recipient, reply: Reply) -> None:
        language = recipient.language if recipient.language in ("nb", "en") else "en"

        def t(key: str, **values: object) -> str:
            return self.guides.text(language, key, **values)

        token = await self._token(recipient.workspace)
        try:
            # A user id as channel opens (or reuses) the app's DM with that user.
            await self.client.chat_postMessage(
                channel=recipient.user,
                text=blocks.fallback_text(reply.text),
                blocks=blocks.reply_blocks(reply, t, language),
                **token,
            )
        except API_FAILURES as error:
            reason = error_code(error)
            log.warning("slack DM to %s failed: %s", recipient.user, reason)
            raise DeliveryError(
                reason, gone=reason in GONE_ERRORS, app_wide=reason in APP_ERRORS
            ) from None
