"""The conversation engine's facade: (who, inbound) -> replies. It knows nothing of Slack or
Teams. The commands themselves live by concept in `bot.engine`; this class wires them into one
table and offers channels the calls they make (the same names as before the split)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import ats, commands
from bot.engine.candidates import Candidates
from bot.engine.checklist import Checklist
from bot.engine.context import (
    Answer,
    Clock,
    Concept,
    Context,
    Handler,
    Profile,
    ProfileSource,
    Services,
    StepResult,
    refused_shareable,
    utcnow,
)
from bot.engine.intake import IntakeAdmin
from bot.engine.outcomes import Outcomes
from bot.engine.positions import Positions
from bot.engine.practice import Practice
from bot.engine.privacy import Privacy
from bot.engine.recruiters import Recruiters
from bot.engine.reminders import Reminders
from bot.inbox import Inbox
from bot.messages import MAX_ANSWER, Button, Identity, Inbound, Reply, Status
from bot.settings import Settings
from conversation_guides import GuideBook
from storage import queries
from storage.errors import DATABASE_ERRORS
from storage.queries import CandidateSummary
from storage.tables import Candidate

log = logging.getLogger(__name__)

__all__ = [
    "DATABASE_ERRORS",
    "MAX_ANSWER",
    "Answer",
    "Coach",
    "Context",
    "Profile",
    "ProfileSource",
    "StepResult",
    "utcnow",
]


class Coach:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        guides: GuideBook,
        settings: Settings,
        clock: Clock = utcnow,
    ) -> None:
        self.services = Services(sessions, guides, settings, clock)
        self.candidates = Candidates(self.services)
        self.checklist = Checklist(self.services)
        self.reminders = Reminders(self.services)
        self.practice = Practice(self.services)
        self.recruiters = Recruiters(self.services)
        concepts: list[Concept] = [
            self.candidates,
            self.checklist,
            Positions(self.services),
            Outcomes(self.services),
            self.reminders,
            Privacy(self.services),
            self.practice,
            IntakeAdmin(self.services),
        ]
        self._handlers: dict[str, Handler] = {}
        for concept in concepts:
            self._handlers.update(concept.handlers())
        # Candidates from an ATS or a CSV file (the intake channel calls it directly, too).
        self.intake = ats.Intake(self.services)
        # Requests acknowledged to a platform and not yet done; channels register their jobs.
        self.inbox = Inbox(
            sessions,
            capacity=settings.coach_inbox_capacity,
            lease=timedelta(seconds=settings.coach_inbox_lease_seconds),
        )

    # The parts the engine runs on, shared with every concept (tests replace the settings).

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.services.sessions

    @property
    def guides(self) -> GuideBook:
        return self.services.guides

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self.services.settings = settings

    @property
    def clock(self) -> Clock:
        return self.services.clock

    def t(self, language: str, key: str, **values: object) -> str:
        return self.services.t(language, key, **values)

    # -- the public surface channels call -------------------------------------------------

    async def handle(self, who: Identity, inbound: Inbound) -> list[Reply]:
        """Answer words in the command grammar."""
        return (await self.converse(who, inbound)).replies

    async def converse(
        self, who: Identity, inbound: Inbound, profile: ProfileSource | None = None
    ) -> Answer:
        """`handle`, with the user's stored profile read in the same transaction as the command.

        With a `profile` source, the platform is asked for the user's language and time zone
        only when the stored ones are unknown or older than its `max_age`. That call is made
        outside any transaction (it may be slow), and the command then runs with its answer.
        """
        parsed = inbound.command or commands.parse(inbound.text)
        reported: Identity | None = None
        try:
            again_if_stale = self.services.again_if_stale
            ctx, replies = await again_if_stale(lambda: self._run(who, parsed, inbound, profile))
            if replies is None:
                assert profile is not None
                reported = await profile.look_up(who)
                ctx, replies = await again_if_stale(
                    lambda: self._run(
                        reported or who, parsed, inbound, checked=reported is not None
                    )
                )
                # Without a profile source the command always runs.
                assert replies is not None
            for job in ctx.after_commit:
                await job()
            return Answer(replies, ctx.language)
        except DATABASE_ERRORS as error:
            if profile is not None and reported is None and not who.language:
                # The store is out of reach, the platform may not be: apologise in their language.
                reported = await profile.look_up(who)
            reply = self.services.database_down(reported or who, error)
            return Answer([reply], (reported or who).language or self.settings.coach_language)

    async def language_for(self, who: Identity) -> str:
        """The language to answer this user in, without changing anything stored."""
        return await self.services.language_for(who)

    async def profile(self, who: Identity, max_age: timedelta) -> Profile | None:
        """The cached language and time zone of a user; None if unknown or the store is down."""
        return await self.recruiters.profile(who, max_age)

    async def remember_profile(self, who: Identity) -> None:
        """Store the language and time zone a platform reported for this user, and when."""
        await self.recruiters.remember_profile(who)

    async def answer_step(
        self,
        who: Identity,
        candidate_id: str,
        step_key: str,
        text: str,
        requirement: str | None = None,
    ) -> StepResult:
        """Store one answer typed at a prompt, unless it must be made concrete first."""
        return await self.checklist.answer_step(who, candidate_id, step_key, text, requirement)

    async def submit_checklist(
        self,
        who: Identity,
        candidate_id: str,
        answers: dict[str, str],
        idempotency_key: str | None = None,
        strongest: bool | None = None,
    ) -> Reply:
        """Store a filled-in checklist; a reply with a form means some fields need work."""
        return await self.checklist.submit(who, candidate_id, answers, idempotency_key, strongest)

    async def finish(self, who: Identity, candidate_id: str) -> Reply:
        """The call script, once every required step has an answer."""
        return await self.checklist.finish(who, candidate_id)

    async def practice_turn(
        self, who: Identity, state: str | None, line: str, stop: bool = False
    ) -> Reply:
        """One line of a practice call: the candidate's answer, or the debrief at the end."""
        return await self.practice.turn(who, state, line, stop=stop)

    async def mark_strongest(self, who: Identity, candidate_id: str, strongest: bool) -> bool:
        """The "among the strongest" mark from a chat-style checklist; False if not stored."""
        return await self.checklist.mark_strongest(who, candidate_id, strongest)

    async def remember_conversation(self, who: Identity, reference: dict[str, Any]) -> None:
        """Keep where this user last wrote from, so proactive messages can reach them."""
        await self.recruiters.remember_conversation(who, reference)

    async def claim_greeting(self, who: Identity, conversation: str | None = None) -> bool:
        """True once per user (or per shared `conversation`): the caller then sends the welcome."""
        return await self.recruiters.claim_greeting(who, conversation)

    async def mark_unreachable(self, who: Identity, reason: str) -> None:
        """The platform says this user can no longer be messaged (bot removed or blocked)."""
        await self.recruiters.mark_unreachable(who, reason)

    async def is_pending(self, who: Identity, candidate_id: str) -> bool:
        """Whether this recruiter's candidate still waits for a called, declined or skipped."""
        return await self.recruiters.is_pending(who, candidate_id)

    async def claim(self, key: str) -> bool:
        """Record a platform delivery key; False when that delivery was handled before."""
        return await self.recruiters.claim(key)

    async def reminder_due_here(self, who: Identity) -> Reply | None:
        """For a channel that cannot send reminders (the terminal): on the recruiter's reminder
        day, from their reminder time, the candidates still waiting; else None."""
        return await self.reminders.due_here(who)

    def outcome_buttons(
        self, language: str, candidate: Candidate | CandidateSummary
    ) -> list[Button]:
        return self.candidates.outcome_buttons(language, candidate)

    async def _run(
        self,
        who: Identity,
        parsed: commands.Command | commands.ParseError,
        inbound: Inbound,
        profile: ProfileSource | None = None,
        checked: bool = False,
    ) -> tuple[Context, list[Reply] | None]:
        """One transaction for one command; no replies when the stored profile must be renewed.

        `checked`: the platform was just asked about this user; remember when.
        """
        async with self.sessions.begin() as session:
            ctx = await self.services.context(session, who)
            if profile is not None and not self.services.fresh(ctx.recruiter, profile.max_age):
                return ctx, None
            if checked:
                ctx.recruiter.language_checked_at = ctx.now
            if inbound.conversation is not None:
                queries.set_conversation_reference(ctx.recruiter, inbound.conversation)
            if isinstance(parsed, commands.ParseError):
                # Usage help; the only word echoed is the unknown verb the user just wrote.
                return ctx, [refused_shareable(self._parse_error(ctx.language, parsed))]
            key = inbound.idempotency_key if parsed.kind not in commands.READ_ONLY else None
            if key and not await queries.claim_event(session, key, ctx.now):
                return ctx, [
                    Reply.shareable(self.t(ctx.language, "already_handled"), Status.REPEAT)
                ]
            handler = self._handlers.get(parsed.kind)
            if handler is None:
                return ctx, [refused_shareable(self.t(ctx.language, "not_available"))]
            return ctx, await handler(ctx, parsed)

    def _parse_error(self, language: str, error: commands.ParseError) -> str:
        if error.suggestion:
            return self.t(
                language,
                "problem_unknown_command_suggest",
                value=error.value,
                suggestion=error.suggestion,
            )
        text = self.t(language, f"problem_{error.problem}", value=error.value)
        if error.usage:
            text += "\n" + self.t(language, error.usage)
        return text
