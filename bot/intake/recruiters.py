"""Who the ATS recruiter is here: their work e-mail, matched to a chat user.

First the e-mails the store already knows (a Teams user's UPN captured when they wrote to the
coach, or an earlier Slack lookup); then, in a Slack workspace, Slack's `users.lookupByEmail`
(scope `users:read.email`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.coach import Coach
from bot.messages import Identity, is_platform_id
from bot.settings import Settings

log = logging.getLogger(__name__)

# Slack's answers meaning "no such user here": the candidate waits for an admin instead.
NOT_FOUND = frozenset({"users_not_found", "user_not_found", "invalid_email"})
TIMEOUT = 10


class LookupUnavailable(Exception):
    """The chat platform could not be asked now (down, slow, refusing): try the delivery later."""


# How the bot token of a Slack workspace is found when the app is installed in many (OAuth).
TokenSource = Callable[[str], Awaitable[str | None]]


class Matcher:
    def __init__(
        self, settings: Settings, coach: Coach, slack_tokens: TokenSource | None = None
    ) -> None:
        self.settings = settings
        self.coach = coach
        self.slack_tokens = slack_tokens
        self._slack: AsyncWebClient | None = None

    async def _token(self, workspace: str) -> str | None:
        if self.slack_tokens is not None:
            return await self.slack_tokens(workspace)
        return self.settings.slack_bot_token

    def slack(self) -> AsyncWebClient:
        if self._slack is None:
            base = self.settings.slack_api_url
            self._slack = AsyncWebClient(
                base_url=base if base.endswith("/") else base + "/",
                timeout=TIMEOUT,
                retry_handlers=[
                    AsyncConnectionErrorRetryHandler(max_retry_count=1),
                    AsyncRateLimitErrorRetryHandler(max_retry_count=2),
                ],
            )
        return self._slack

    async def match(
        self, workspace_id: int, platform: str, workspace: str, emails: Sequence[str]
    ) -> tuple[Identity | None, str | None]:
        """The matched user and the e-mail that matched; (None, None) when nobody did."""
        emails = [email.strip() for email in emails if "@" in email][:5]
        if not emails:
            return None, None
        known = await self.coach.intake.known_recruiter(workspace_id, emails)
        if known is not None:
            return known, None
        token = await self._token(workspace) if platform == "slack" else None
        if not token:
            return None, None
        client = self.slack()
        for email in emails:
            try:
                response = await client.users_lookupByEmail(email=email, token=token)
            except SlackApiError as error:
                data = getattr(error.response, "data", None)
                code = data.get("error") if isinstance(data, dict) else None
                if code in NOT_FOUND:
                    continue
                status = getattr(error.response, "status_code", "?")
                raise LookupUnavailable(str(code or f"http_{status}")) from None
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                raise LookupUnavailable(type(error).__name__) from None
            user = response.get("user") or {}
            user_id = user.get("id") if isinstance(user, dict) else None
            if is_platform_id(user_id) and not user.get("deleted") and not user.get("is_bot"):
                return Identity(platform="slack", workspace=workspace, user=user_id), email
        return None, None
