"""Who is writing: their stored profile (language, time zone), where to reach them, whether
they were greeted, and which platform deliveries were already handled."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from bot import commands
from bot.engine.context import Concept, Profile
from bot.messages import Identity
from storage import greetings, queries
from storage.errors import DATABASE_ERRORS, describe

log = logging.getLogger(__name__)


class Recruiters(Concept):
    """No commands of its own: what channels ask about the person behind a request."""

    async def profile(self, who: Identity, max_age: timedelta) -> Profile | None:
        """The cached language and time zone of a user; None if unknown or the store is down."""
        try:
            async with self.services.sessions() as session:
                recruiter = await queries.find_recruiter(
                    session, who.platform, who.workspace, who.user
                )
        except DATABASE_ERRORS as error:
            log.warning("profile lookup failed: %s", describe(error).code)
            return None
        if recruiter is None:
            return None
        fresh = self.services.fresh(recruiter, max_age)
        return Profile(recruiter.language, recruiter.timezone, fresh)

    async def remember_profile(self, who: Identity) -> None:
        """Store the language and time zone a platform reported for this user, and when."""
        try:
            async with self.services.sessions.begin() as session:
                ctx = await self.services.context(session, who)
                ctx.recruiter.language_checked_at = ctx.now
        except DATABASE_ERRORS as error:
            log.warning("profile not stored: %s", describe(error).code)

    async def remember_conversation(self, who: Identity, reference: dict[str, Any]) -> None:
        """Keep where this user last wrote from, so proactive messages can reach them."""
        try:
            async with self.services.sessions.begin() as session:
                ctx = await self.services.context(session, who)
                queries.set_conversation_reference(ctx.recruiter, reference)
        except DATABASE_ERRORS as error:
            # Not fatal for the conversation at hand: the next message stores it again.
            log.error("could not store conversation reference: %s", describe(error).code)

    async def claim_greeting(self, who: Identity, conversation: str | None = None) -> bool:
        """True once per user (or per shared `conversation`): the caller then sends the welcome.

        Claimed in the database before anything is sent, so two install activities arriving
        together, on one process or two, greet once. If sending then fails, that user is not
        welcomed again: `help` says the same.
        """
        audience = who.user if conversation is None else conversation_key(conversation)
        try:
            async with self.services.sessions.begin() as session:
                return await greetings.claim_greeting(
                    session, who.platform, who.workspace, audience, self.services.clock()
                )
        except DATABASE_ERRORS as error:
            log.error("could not record a greeting: %s", type(error).__name__)
            return False

    async def mark_unreachable(self, who: Identity, reason: str) -> None:
        """The platform says this user can no longer be messaged (bot removed or blocked)."""
        async with self.services.sessions.begin() as session:
            await queries.mark_unreachable(
                session, who.platform, who.workspace, who.user, reason, self.services.clock()
            )

    async def is_pending(self, who: Identity, candidate_id: str) -> bool:
        """Whether this recruiter's candidate still waits for a called, declined or skipped."""
        async with self.services.sessions() as session:
            recruiter = await queries.find_recruiter(session, who.platform, who.workspace, who.user)
            if recruiter is None:
                return False
            candidate = await queries.own_candidate(
                session, recruiter, commands.clean(candidate_id)
            )
            return candidate is not None and candidate.outcome is None

    async def claim(self, key: str) -> bool:
        """Record a platform delivery key; False when that delivery was handled before."""
        try:
            async with self.services.sessions.begin() as session:
                return await queries.claim_event(session, key, self.services.clock())
        except DATABASE_ERRORS:
            # Better to answer a retried line twice than to drop a first one.
            return True


def conversation_key(conversation: str) -> str:
    # Teams channel ids can be long (a thread id with a message id): hashed to fit the key.
    key = f"conversation:{conversation}"
    if len(key) <= 200:
        return key
    return "conversation:" + hashlib.sha256(conversation.encode()).hexdigest()
