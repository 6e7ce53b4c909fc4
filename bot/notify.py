"""How the engine's background jobs reach a recruiter directly (a DM or a proactive message)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, Protocol

from pydantic import BaseModel

from bot.messages import Reply

# Platforms where a bot may only write into a conversation the user opened with it, so a
# proactive message needs the conversation reference stored then (Teams). Without one
# nobody can be reached, this week or any other, until the user writes to the bot.
NEEDS_CONVERSATION_REFERENCE = frozenset({"teams"})


class Recipient(BaseModel):
    """Where a recruiter can be reached, as the store knows them."""

    platform: str
    workspace: str
    user: str
    language: str
    # Teams: the conversation reference stored when the user last wrote to the bot.
    conversation_reference: dict[str, Any] | None = None

    @property
    def addressable(self) -> bool:
        """Could a message be sent at all, before asking the platform?"""
        return (
            self.platform not in NEEDS_CONVERSATION_REFERENCE
            or self.conversation_reference is not None
        )


class DeliveryError(Exception):
    """A message could not be delivered. `gone`: the platform says the user is unreachable.

    `app_wide`: the platform refused the bot itself (a revoked token, bad app credentials),
    so every other send to that platform would fail the same way; it says nothing about
    the user. `retry_after`: the platform is rate limiting and said when to try again (seconds).
    """

    def __init__(
        self,
        reason: str,
        *,
        gone: bool = False,
        app_wide: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.gone = gone
        self.app_wide = app_wide
        self.retry_after = retry_after


class Notifier(Protocol):
    """One per platform; raises DeliveryError when the message did not get through."""

    platform: str

    async def send(self, recipient: Recipient, reply: Reply) -> None: ...


async def close_notifiers(notifiers: Mapping[str, Notifier]) -> None:
    """Close what the notifiers hold open (HTTP sessions), whatever each calls it."""
    for notifier in notifiers.values():
        close: Any = getattr(notifier, "aclose", None) or getattr(notifier, "close", None)
        if close is None:
            continue
        result = close()
        if inspect.isawaitable(result):
            await result
