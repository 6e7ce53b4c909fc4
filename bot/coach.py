"""The conversation engine: (who, inbound) -> replies. It knows nothing of Slack or Teams."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import ats, ats_admin, commands, confirmation, privacy, reminders, script
from bot.concreteness import Assessment, assess
from bot.inbox import Inbox
from bot.messages import Button, Card, Form, FormField, Identity, Inbound, Reply, Status
from bot.practice_commands import PracticeCommands
from bot.settings import Settings
from conversation_guides import GuideBook
from conversation_guides.schema import Guide, Step
from storage import greetings, queries
from storage import practice as practice_store
from storage.errors import DATABASE_ERRORS, PROBLEMS, describe
from storage.queries import CandidateSummary
from storage.tables import CallPreparation, Candidate, Position, Recruiter, Workspace

log = logging.getLogger(__name__)

MAX_ANSWER = 3000
__all__ = ["DATABASE_ERRORS", "Coach"]
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    """One request's view of the world: its session, the recruiter, and their language."""

    session: AsyncSession
    who: Identity
    recruiter: Recruiter
    language: str
    now: datetime
    # Work that must wait until the transaction is committed (compacting after an erasure).
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


@dataclass(frozen=True)
class Profile:
    """What the store remembers of a user's platform profile (language and time zone)."""

    language: str | None
    timezone: str | None
    # True when the platform was asked recently enough that asking again is not needed.
    fresh: bool


@dataclass(frozen=True)
class ProfileSource:
    """How a channel asks its platform for a user's language and time zone, and how often.

    `look_up` returns the identity with what the platform reported, or None when it failed;
    it does not raise.
    """

    look_up: Callable[[Identity], Awaitable[Identity | None]]
    max_age: timedelta


@dataclass(frozen=True)
class Answer:
    """The replies to a command, and the language they are in (for the channel's own labels)."""

    replies: list[Reply]
    language: str


@dataclass(frozen=True)
class StepResult:
    """What became of one answer typed at a chat-style prompt."""

    accepted: bool
    message: str = ""
    # Flagged as risky: the recruiter may keep it by naming the requirement it is about.
    confirmable: bool = False


class Coach:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        guides: GuideBook,
        settings: Settings,
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.guides = guides
        self.settings = settings
        self.clock = clock
        self._handlers: dict[str, Callable[[Context, commands.Command], Awaitable[list[Reply]]]] = {
            "help": self._help,
            "add": self._add,
            "list": self._list,
            "start": self._start,
            "log": self._log,
            "report": self._report,
            "remind": self._remind,
            "snooze": lambda ctx, command: reminders.snooze(self, ctx, command),
            "position": self._position,
        }
        self._handlers.update(privacy.Privacy(self).handlers())
        self.practice = PracticeCommands(self)
        self._handlers.update(self.practice.handlers())
        # Candidates from an ATS or a CSV file (the intake channel calls it directly, too).
        self.intake = ats.Intake(self)
        self._handlers.update(ats_admin.IntakeAdmin(self).handlers())
        # Requests acknowledged to a platform and not yet done; channels register their jobs.
        self.inbox = Inbox(
            sessions,
            capacity=settings.coach_inbox_capacity,
            lease=timedelta(seconds=settings.coach_inbox_lease_seconds),
        )

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
            ctx, replies = await self._run(who, parsed, inbound, profile)
            if replies is None:
                assert profile is not None
                reported = await profile.look_up(who)
                ctx, replies = await self._run(
                    reported or who, parsed, inbound, checked=reported is not None
                )
            for job in ctx.after_commit:
                await job()
            return Answer(replies, ctx.language)
        except DATABASE_ERRORS as error:
            if profile is not None and reported is None and not who.language:
                # The store is out of reach, the platform may not be: apologise in their language.
                reported = await profile.look_up(who)
            reply = self._database_down(reported or who, error)
            return Answer([reply], (reported or who).language or self.settings.coach_language)

    async def language_for(self, who: Identity) -> str:
        """The language to answer this user in, without changing anything stored."""
        if who.language:
            return who.language
        try:
            async with self.sessions() as session:
                recruiter = await queries.find_recruiter(
                    session, who.platform, who.workspace, who.user
                )
                if recruiter is not None and recruiter.language:
                    return recruiter.language
        except DATABASE_ERRORS:
            pass
        return self.settings.coach_language

    async def profile(self, who: Identity, max_age: timedelta) -> Profile | None:
        """The cached language and time zone of a user; None if unknown or the store is down."""
        try:
            async with self.sessions() as session:
                recruiter = await queries.find_recruiter(
                    session, who.platform, who.workspace, who.user
                )
        except DATABASE_ERRORS as error:
            log.warning("profile lookup failed: %s", describe(error).code)
            return None
        if recruiter is None:
            return None
        return Profile(recruiter.language, recruiter.timezone, self._fresh(recruiter, max_age))

    async def remember_profile(self, who: Identity) -> None:
        """Store the language and time zone a platform reported for this user, and when."""
        try:
            async with self.sessions.begin() as session:
                ctx = await self._context(session, who)
                ctx.recruiter.language_checked_at = ctx.now
        except DATABASE_ERRORS as error:
            log.warning("profile not stored: %s", describe(error).code)

    async def answer_step(
        self,
        who: Identity,
        candidate_id: str,
        step_key: str,
        text: str,
        requirement: str | None = None,
    ) -> StepResult:
        """Store one answer typed at a prompt, unless it must be made concrete first.

        `requirement`: for a text flagged as risky, which requirement of the position the
        recruiter confirms it is about; the only way such a text is kept.
        """
        try:
            async with self.sessions.begin() as session:
                ctx = await self._context(session, who)
                candidate = await self._own_candidate(ctx, candidate_id)
                if candidate is None:
                    return StepResult(False, self.t(ctx.language, "not_found", ref=candidate_id))
                guide = self.guides.guide(ctx.language)
                steps = guide.steps_for(candidate.internal)
                step = next((s for s in steps if s.key == step_key), None)
                if step is None:
                    # A step key from a form payload; nothing trusts it until it is one of ours.
                    return StepResult(False, self.t(ctx.language, "problem_unknown_step"))
                preparation = await self._preparation(ctx, candidate, guide)
                text = commands.clean(text)
                wanted = commands.clean(requirement or "")
                verdict = self._check_answer(ctx.language, preparation, step, text, wanted)
                if verdict.error:
                    message = verdict.requirement_error or verdict.error
                    return StepResult(False, message, confirmable=verdict.confirmable)
                queries.set_answer(preparation, step.key, text, ctx.now)
                self._confirmed(ctx, candidate, preparation, step.key, wanted, verdict)
                return StepResult(True)
        except DATABASE_ERRORS as error:
            return StepResult(False, self._database_down(who, error).text)

    async def submit_checklist(
        self,
        who: Identity,
        candidate_id: str,
        answers: dict[str, str],
        idempotency_key: str | None = None,
        strongest: bool | None = None,
    ) -> Reply:
        """Store a filled-in checklist; a reply with a form means some fields need work.

        With an `idempotency_key` seen before (a platform re-delivering the same submission),
        nothing changes: the fields that still need work come back as before, and a checklist
        that was accepted answers `already_handled`. Otherwise a retried delivery would count
        as "the same text again" and accept a flagged vague answer.

        `strongest`: the recruiter's "among the strongest" mark (external candidates only);
        None leaves what is stored.
        """
        try:
            async with self.sessions.begin() as session:
                ctx = await self._context(session, who)
                candidate = await self._own_candidate(ctx, candidate_id)
                if candidate is None:
                    return Reply(text=self.t(ctx.language, "not_found", ref=candidate_id))
                guide = self.guides.guide(ctx.language)
                preparation = await self._preparation(ctx, candidate, guide)
                repeated = bool(idempotency_key) and not await queries.claim_event(
                    session, str(idempotency_key), ctx.now
                )
                if strongest is not None and not candidate.internal:
                    preparation.strongest = strongest
                saved = {answer.step_key: answer.text for answer in preparation.answers}
                errors: dict[str, str] = {}
                # Risky steps get a second field: which requirement the text is about.
                confirmable: dict[str, str | None] = {}
                for step in guide.steps_for(candidate.internal):
                    text = commands.clean(answers.get(step.key) or "")
                    wanted = commands.clean(answers.get(confirmation.field_key(step.key)) or "")
                    if repeated:
                        # Judge as the first delivery did: a vague text only passed if stored.
                        if saved.get(step.key, "") != text or (step.required and not text):
                            verdict = self._check_answer_again(ctx.language, step, text)
                            if verdict.error:
                                errors[step.key] = verdict.error
                            if verdict.confirmable:
                                confirmable[step.key] = None
                        continue
                    verdict = self._check_answer(ctx.language, preparation, step, text, wanted)
                    if verdict.confirmable and verdict.error:
                        confirmable[step.key] = verdict.requirement_error
                    if verdict.error:
                        errors[step.key] = verdict.error
                    else:
                        queries.set_answer(preparation, step.key, text, ctx.now)
                        self._confirmed(ctx, candidate, preparation, step.key, wanted, verdict)
                if errors:
                    form = await self._form(ctx, candidate, preparation, guide)
                    fields = []
                    for field in form.fields:
                        field.error = errors.get(field.key)
                        field.value = (answers.get(field.key) or field.value).strip()
                        fields.append(field)
                        if field.key in confirmable:
                            key = confirmation.field_key(field.key)
                            fields.append(
                                confirmation.form_field(
                                    self.t,
                                    ctx.language,
                                    field.key,
                                    (answers.get(key) or "").strip(),
                                    confirmable[field.key],
                                )
                            )
                    form.fields = fields
                    return Reply(text=self.t(ctx.language, "checklist_needs_work"), form=form)
                if repeated:
                    return Reply.shareable(self.t(ctx.language, "already_handled"), Status.REPEAT)
                return await self._finish(ctx, candidate, preparation, guide)
        except DATABASE_ERRORS as error:
            return self._database_down(who, error)

    async def finish(self, who: Identity, candidate_id: str) -> Reply:
        """The call script, once every required step has an answer."""
        try:
            async with self.sessions.begin() as session:
                ctx = await self._context(session, who)
                candidate = await self._own_candidate(ctx, candidate_id)
                if candidate is None:
                    return Reply(text=self.t(ctx.language, "not_found", ref=candidate_id))
                guide = self.guides.guide(ctx.language)
                preparation = await self._preparation(ctx, candidate, guide)
                return await self._finish(ctx, candidate, preparation, guide)
        except DATABASE_ERRORS as error:
            return self._database_down(who, error)

    async def practice_turn(
        self, who: Identity, state: str | None, line: str, stop: bool = False
    ) -> Reply:
        """One line of a practice call: the candidate's answer, or the debrief at the end."""
        return await self.practice.turn(who, state, line, stop=stop)

    async def mark_strongest(self, who: Identity, candidate_id: str, strongest: bool) -> bool:
        """The "among the strongest" mark from a chat-style checklist; False if not stored."""
        try:
            async with self.sessions.begin() as session:
                ctx = await self._context(session, who)
                candidate = await self._own_candidate(ctx, candidate_id)
                if candidate is None or candidate.internal:
                    return False
                guide = self.guides.guide(ctx.language)
                preparation = await self._preparation(ctx, candidate, guide)
                preparation.strongest = strongest
                return True
        except DATABASE_ERRORS as error:
            self._database_down(who, error)
            return False

    async def remember_conversation(self, who: Identity, reference: dict[str, Any]) -> None:
        """Keep where this user last wrote from, so proactive messages can reach them."""
        try:
            async with self.sessions.begin() as session:
                ctx = await self._context(session, who)
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
        audience = who.user if conversation is None else _conversation_key(conversation)
        try:
            async with self.sessions.begin() as session:
                return await greetings.claim_greeting(
                    session, who.platform, who.workspace, audience, self.clock()
                )
        except DATABASE_ERRORS as error:
            log.error("could not record a greeting: %s", type(error).__name__)
            return False

    async def mark_unreachable(self, who: Identity, reason: str) -> None:
        """The platform says this user can no longer be messaged (bot removed or blocked)."""
        async with self.sessions.begin() as session:
            await queries.mark_unreachable(
                session, who.platform, who.workspace, who.user, reason, self.clock()
            )

    async def is_pending(self, who: Identity, candidate_id: str) -> bool:
        """Whether this recruiter's candidate still waits for a called, declined or skipped."""
        async with self.sessions() as session:
            recruiter = await queries.find_recruiter(session, who.platform, who.workspace, who.user)
            if recruiter is None:
                return False
            candidate = await queries.own_candidate(
                session, recruiter, commands.clean(candidate_id)
            )
            return candidate is not None and candidate.outcome is None

    def t(self, language: str, key: str, **values: object) -> str:
        return self.guides.text(language, key, **values)

    async def claim(self, key: str) -> bool:
        """Record a platform delivery key; False when that delivery was handled before."""
        try:
            async with self.sessions.begin() as session:
                return await queries.claim_event(session, key, self.clock())
        except DATABASE_ERRORS:
            # Better to answer a retried line twice than to drop a first one.
            return True

    async def reminder_due_here(self, who: Identity) -> Reply | None:
        """For a channel that cannot send reminders (the terminal): on the recruiter's reminder
        day, from their reminder time, the candidates still waiting; else None."""
        try:
            async with self.sessions() as session:
                recruiter = await queries.find_recruiter(
                    session, who.platform, who.workspace, who.user
                )
                if recruiter is None or not recruiter.reminders_enabled:
                    return None
                local = self.clock().astimezone(_zone(who.timezone or recruiter.timezone))
                if local.weekday() != recruiter.reminder_weekday or (
                    local.time() < recruiter.reminder_time
                ):
                    return None
                pending = await queries.list_candidates(session, recruiter, pending_only=True)
                if not pending:
                    return None
                ctx = Context(
                    session,
                    who,
                    recruiter,
                    recruiter.language or self.settings.coach_language,
                    self.clock(),
                )
                lines = [self._candidate_line(ctx, c) for c in pending]
        except DATABASE_ERRORS:
            return None
        text = self.t(ctx.language, "reminder_here", count=len(pending)) + "\n" + "\n".join(lines)
        return Reply(text=text)

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
            ctx = await self._context(session, who)
            if profile is not None and not self._fresh(ctx.recruiter, profile.max_age):
                return ctx, None
            if checked:
                ctx.recruiter.language_checked_at = ctx.now
            if isinstance(parsed, commands.ParseError):
                # Usage help; the only word echoed is the unknown verb the user just wrote.
                return ctx, [Reply.shareable(self._parse_error(ctx.language, parsed))]
            if inbound.idempotency_key and not await queries.claim_event(
                session, inbound.idempotency_key, ctx.now
            ):
                return ctx, [
                    Reply.shareable(self.t(ctx.language, "already_handled"), Status.REPEAT)
                ]
            handler = self._handlers.get(parsed.kind)
            if handler is None:
                return ctx, [Reply.shareable(self.t(ctx.language, "not_available"))]
            return ctx, await handler(ctx, parsed)

    def _fresh(self, recruiter: Recruiter, max_age: timedelta) -> bool:
        """Whether the platform was asked about this user recently enough."""
        checked = recruiter.language_checked_at
        return checked is not None and self.clock() - checked < max_age

    # -- commands -----------------------------------------------------------------------

    async def _help(self, ctx: Context, command: commands.Command) -> list[Reply]:
        pending = await queries.list_candidates(ctx.session, ctx.recruiter, pending_only=True)
        text = self.t(ctx.language, "help")
        if pending:
            # The waiting candidates' names make the help private.
            lines = [self._candidate_line(ctx, c) for c in pending]
            text += "\n\n" + self.t(ctx.language, "help_pending", count=len(pending))
            text += "\n" + "\n".join(lines)
            text += "\n\n" + self.t(ctx.language, "help_practice")
            return [Reply(text=text)]
        text += "\n\n" + self.t(ctx.language, "help_nothing_pending")
        text += "\n\n" + self.t(ctx.language, "help_practice")
        return [Reply.shareable(text)]

    async def _add(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Add)
        rejected_at, problem = self._rejection_moment(ctx, command.rejected_on)
        if rejected_at is None:
            return [Reply(text=problem)]
        position = await queries.get_or_create_position(
            ctx.session, ctx.recruiter.workspace_id, command.position, ctx.now
        )
        if not command.confirmed:
            namesakes = await queries.pending_namesakes(
                ctx.session, ctx.recruiter, command.name, position
            )
            if namesakes:
                # A second row for the same person halves their report figures; ask first.
                first = namesakes[0]
                text = self.t(
                    ctx.language,
                    "add_duplicate",
                    name=first.name,
                    id=first.public_id,
                    position=position.title,
                )
                yes = Button(
                    label=self.t(ctx.language, "button_add_anyway"),
                    command="confirm " + _add_words(command),
                    style="primary",
                )
                return [Reply(text=text, confirm=yes)]
        candidate = await queries.add_candidate(
            ctx.session,
            ctx.recruiter,
            position,
            command.name,
            command.internal,
            ctx.now,
            rejected_at=rejected_at,
        )
        key = "added_internal" if command.internal else "added"
        text = self.t(
            ctx.language, key, name=candidate.name, id=candidate.public_id, position=position.title
        )
        if command.rejected_on is not None:
            text += " " + self.t(
                ctx.language, "added_rejected_on", date=self._date_text(ctx, rejected_at)
            )
        card = Card(
            title=candidate.name or "",
            lines=[position.title],
            buttons=[
                Button(
                    label=self.t(ctx.language, "button_prepare"),
                    command=f"start {candidate.public_id}",
                    style="primary",
                )
            ],
        )
        return [Reply(text=text, cards=[card])]

    def _rejection_moment(
        self, ctx: Context, typed: commands.DayOfYear | None
    ) -> tuple[datetime | None, str]:
        """When the candidate was told no, from a typed date in the recruiter's time zone;
        or why that date cannot be right. Deadlines, reminders and retention count from it."""
        if typed is None:
            return ctx.now, ""
        zone = _zone(ctx.recruiter.timezone)
        local_now = ctx.now.astimezone(zone)
        today = local_now.date()
        day = typed.resolve(today)
        if day is None:
            return None, self.t(ctx.language, "problem_bad_date") + "\n" + self.t(
                ctx.language, "usage_add"
            )
        shown = self._day_text(ctx.language, day)
        if day > today:
            return None, self.t(ctx.language, "date_in_future", date=shown)
        if day < today - timedelta(days=365):
            return None, self.t(ctx.language, "date_too_old", date=shown)
        # The time of day of now, so "days since rejection" is the plain count of days.
        moment = datetime.combine(day, local_now.timetz().replace(tzinfo=None), tzinfo=zone)
        return moment.astimezone(UTC), ""

    def _date_text(self, ctx: Context, moment: datetime) -> str:
        return self._day_text(ctx.language, moment.astimezone(_zone(ctx.recruiter.timezone)).date())

    def _day_text(self, language: str, day: date) -> str:
        return day.strftime("%d.%m.%Y") if language == "nb" else day.isoformat()

    async def _list(self, ctx: Context, command: commands.Command) -> list[Reply]:
        candidates = await queries.list_candidates(ctx.session, ctx.recruiter)
        if not candidates:
            return [Reply(text=self.t(ctx.language, "list_empty"))]
        lines = [self._candidate_line(ctx, c) for c in candidates]
        cards = [self._candidate_card(ctx, c) for c in candidates if c.outcome is None]
        header = self.t(ctx.language, "list_header", count=len(candidates))
        text = header + "\n" + "\n".join(lines)
        done = len(candidates) - len(cards)
        # Channels that show the cards show this instead of the text: one row per candidate.
        heading = header
        if done:
            heading += "\n" + self.t(ctx.language, "list_done_elsewhere", count=done)
        return [Reply(text=text, cards=cards, heading=heading)]

    async def _start(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Start)
        candidate, problem = await self._resolve(ctx, command.candidate)
        if candidate is None:
            return [problem]
        guide = self.guides.guide(ctx.language)
        preparation = await self._preparation(ctx, candidate, guide)
        form = await self._form(ctx, candidate, preparation, guide)
        resumed = any(field.value for field in form.fields)
        if preparation.completed_at is not None:
            key = "start_edit"
        else:
            key = "start_resume" if resumed else "start_intro"
        text = self.t(ctx.language, key, name=candidate.name, position=candidate.position.title)
        note = await queries.last_note(ctx.session, candidate)
        if note or candidate.attempts:
            text += "\n" + self.t(
                ctx.language, "start_history", attempts=candidate.attempts, note=note or "–"
            )
        return [Reply(text=text, form=form)]

    async def _log(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Log)
        candidate, problem = await self._resolve(ctx, command.candidate)
        if candidate is None:
            return [problem]
        if command.outcome == "skipped" and not command.note:
            return [Reply(text=self.t(ctx.language, "skip_needs_reason", id=candidate.public_id))]
        if candidate.outcome is not None:
            outcome = self.t(ctx.language, f"outcome_{candidate.outcome}")
            if candidate.outcome == command.outcome:
                return [
                    Reply(
                        text=self.t(
                            ctx.language, "already_logged", name=candidate.name, outcome=outcome
                        )
                    )
                ]
            new = self.t(ctx.language, f"outcome_{command.outcome}")
            if not command.confirmed:
                words = f"confirm log {candidate.public_id} {command.outcome}"
                yes = Button(
                    label=self.t(ctx.language, "button_correct", outcome=new),
                    command=f"{words} {command.note}" if command.note else words,
                    style="primary",
                )
                text = self.t(
                    ctx.language, "correct_ask", name=candidate.name, old=outcome, new=new
                )
                return [Reply(text=text, confirm=yes)]
            await queries.add_call_log(
                ctx.session, candidate, ctx.recruiter, command.outcome, command.note, ctx.now
            )
            text = self.t(ctx.language, "corrected", name=candidate.name, old=outcome, new=new)
            return [Reply(text=text)]
        await queries.add_call_log(
            ctx.session, candidate, ctx.recruiter, command.outcome, command.note, ctx.now
        )
        if command.outcome == "no-answer":
            text = self.t(
                ctx.language, "logged_no_answer", name=candidate.name, attempts=candidate.attempts
            )
        else:
            outcome = self.t(ctx.language, f"outcome_{command.outcome}")
            text = self.t(ctx.language, "logged", name=candidate.name, outcome=outcome)
        return [Reply(text=text)]

    async def _report(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Report)
        admin = self.settings.is_admin(ctx.who.workspace, ctx.who.user)
        rows = await queries.report(
            ctx.session,
            ctx.recruiter.workspace_id,
            None if admin else ctx.recruiter.id,
            command.position,
        )
        practised = await practice_store.summary(ctx.session, ctx.recruiter)
        practice_line = (
            "\n"
            + self.t(
                ctx.language,
                "report_practice",
                count=practised.count,
                date=practised.last_at.strftime("%d.%m.%Y"),
                passed=practised.last_passed,
                checked=practised.last_checked,
            )
            if practised
            else ""
        )
        if not rows:
            return [Reply(text=self.t(ctx.language, "report_empty") + practice_line)]
        header = self.t(ctx.language, "report_header_workspace" if admin else "report_header")
        lines = [
            self.t(
                ctx.language,
                "report_row",
                position=row.position,
                called=row.called,
                declined=row.declined,
                skipped=row.skipped,
                pending=row.pending,
                total=row.total,
                rate=round(100 * (row.called + row.declined) / row.total),
            )
            for row in rows
        ]
        return [Reply(text=header + "\n" + "\n".join(lines) + practice_line)]

    async def _position(self, ctx: Context, command: commands.Command) -> list[Reply]:
        """What decided for a whole position, written once: where every checklist starts."""
        assert isinstance(command, commands.PositionDecisions)
        given = {"gaps": command.requirements, "luxury_problem": command.strengths}
        if not any(given.values()):
            # Only looking: a mistyped title must not create a position.
            found = await queries.find_position(
                ctx.session, ctx.recruiter.workspace_id, command.title
            )
            if found is None or not (found.decided_requirements or found.decided_strengths):
                title = found.title if found else command.title
                text = self.t(ctx.language, "position_empty", position=title)
                return [Reply(text=text + "\n" + self.t(ctx.language, "usage_position"))]
            return [Reply(text=self._position_text(ctx.language, found, "position_show"))]
        notes: list[str] = []
        for key, text in given.items():
            if not text:
                continue
            assessment = assess(text, ctx.language, key)
            if assessment.risky:
                # Nothing is stored: every candidate's checklist would start from it.
                reasons = " ".join(assessment.reasons)
                return [
                    Reply(
                        text=self.t(
                            ctx.language,
                            "answer_risky",
                            reasons=reasons,
                            suggestion=assessment.suggestion,
                        )
                    )
                ]
            if assessment.vague:
                notes.append(" ".join(assessment.reasons))
        position = await queries.get_or_create_position(
            ctx.session, ctx.recruiter.workspace_id, command.title, ctx.now
        )
        if command.requirements:
            position.decided_requirements = command.requirements
        if command.strengths:
            position.decided_strengths = command.strengths
        position.decided_at = ctx.now
        text = self._position_text(ctx.language, position, "position_saved")
        if notes:
            text += "\n" + self.t(ctx.language, "position_saved_vague", reasons=" ".join(notes))
        return [Reply(text=text)]

    def _position_text(self, language: str, position: Position, key: str) -> str:
        none = self.t(language, "position_nothing_yet")
        return self.t(
            language,
            key,
            position=position.title,
            requirements=position.decided_requirements or none,
            strengths=position.decided_strengths or none,
        )

    async def _remind(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Remind)
        recruiter = ctx.recruiter
        if command.off:
            recruiter.reminders_enabled = False
            return [Reply.shareable(self.t(ctx.language, "remind_off"))]
        assert command.weekday is not None and command.at is not None
        recruiter.reminders_enabled = True
        recruiter.reminder_weekday = command.weekday
        recruiter.reminder_time = command.at
        day = self.t(ctx.language, f"day_{WEEKDAY_KEYS[command.weekday]}")
        # The terminal sends nothing by itself: say so, instead of promising a message.
        key = "remind_set_console" if ctx.who.platform == "console" else "remind_set"
        text = self.t(
            ctx.language,
            key,
            day=day,
            time=command.at.strftime("%H:%M"),
            timezone=recruiter.timezone,
        )
        return [Reply.shareable(text)]

    # -- helpers ------------------------------------------------------------------------

    async def _context(self, session: AsyncSession, who: Identity) -> Context:
        now = self.clock()
        recruiter = await queries.recruiter_for(session, who.platform, who.workspace, who.user, now)
        if who.language and recruiter.language != who.language:
            recruiter.language = who.language
        if who.timezone and who.timezone != recruiter.timezone and _valid_zone(who.timezone):
            recruiter.timezone = who.timezone
        if who.name and who.name != recruiter.display_name:
            recruiter.display_name = who.name
        if who.organisation:
            workspace = await session.get(Workspace, recruiter.workspace_id)
            if workspace is not None and workspace.organisation != who.organisation:
                workspace.organisation = who.organisation
        if recruiter.unreachable_at is not None:
            # They wrote to us, so they are back: weekly reminders may reach them again.
            recruiter.unreachable_at = None
            recruiter.unreachable_reason = None
        language = recruiter.language or self.settings.coach_language
        return Context(session, who, recruiter, language, now)

    async def _resolve(self, ctx: Context, ref: str) -> tuple[Candidate | None, Reply]:
        found = await queries.find_candidates(ctx.session, ctx.recruiter, ref)
        pending = [c for c in found if c.outcome is None]
        if len(found) > 1 and len(pending) == 1:
            # A name shared with someone already called most likely means the one still waiting.
            found = pending
        if len(found) == 1:
            return found[0], Reply(text="")
        if not found:
            return None, Reply(text=self.t(ctx.language, "not_found", ref=ref))
        lines = [self._candidate_line(ctx, c) for c in found]
        text = self.t(ctx.language, "ambiguous", ref=ref) + "\n" + "\n".join(lines)
        return None, Reply(text=text)

    async def _own_candidate(self, ctx: Context, candidate_id: str) -> Candidate | None:
        """By id only: ids come from our own forms. Cleaned, since a form payload may carry a
        lone surrogate that no database driver can encode."""
        return await queries.own_candidate(ctx.session, ctx.recruiter, commands.clean(candidate_id))

    async def _preparation(
        self, ctx: Context, candidate: Candidate, guide: Guide
    ) -> CallPreparation:
        return await queries.get_or_create_preparation(
            ctx.session, candidate, ctx.recruiter, ctx.language, guide.version, ctx.now
        )

    def _check_answer(
        self,
        language: str,
        preparation: CallPreparation,
        step: Step,
        text: str,
        requirement: str = "",
    ) -> confirmation.Verdict:
        """No error when the answer may be stored; otherwise the coaching message why not."""
        if not text:
            required = self.t(language, "answer_required") if step.required else None
            return confirmation.Verdict(error=required)
        if len(text) > MAX_ANSWER:
            return confirmation.Verdict(self.t(language, "answer_too_long", limit=MAX_ANSWER))
        assessment = assess(text, language, step.key)
        confirmed: tuple[str, ...] = ()
        if assessment.risky:
            # Never kept by sending it again: only with the requirement it is about, named.
            error = self._risky_message(language, assessment)
            if not requirement:
                return confirmation.Verdict(error, confirmable=True)
            problem = confirmation.requirement_problem(self.t, language, requirement, text)
            if problem:
                return confirmation.Verdict(error, confirmable=True, requirement_error=problem)
            confirmed = tuple(assessment.grounds)
        nudge = self._nudge(language, text, assessment)
        if nudge and (preparation.flagged or {}).get(step.key) != text:
            # Once: the same text sent again is the recruiter's considered choice, and kept.
            queries.set_flagged(preparation, step.key, text)
            if confirmed and assessment.vague:
                # Confirmed as about the job, but still vague: coach it like any vague text.
                # A confirmed text that is also vague keeps its confirmation field for the retry.
                error = self.t(language, "confirm_still_vague", suggestion=assessment.suggestion)
                return confirmation.Verdict(error, confirmable=True)
            return confirmation.Verdict(nudge)
        queries.set_flagged(preparation, step.key, None)
        return confirmation.Verdict(confirmed=confirmed)

    def _nudge(self, language: str, text: str, assessment: Any) -> str | None:
        """What to say about a vague answer, or one written about the candidate, not to them."""
        about = script.third_person(text, self.guides.script(language).third_person)
        if assessment.vague:
            reasons = " ".join(assessment.reasons)
            message = self.t(
                language, "answer_vague", reasons=reasons, suggestion=assessment.suggestion
            )
            return message + (" " + self.t(language, "answer_third_person_also") if about else "")
        if about:
            return self.t(language, "answer_third_person")
        return None

    def _risky_message(self, language: str, assessment: Assessment) -> str:
        reasons = " ".join(assessment.reasons)
        risky = self.t(language, "answer_risky", reasons=reasons, suggestion=assessment.suggestion)
        return f"{risky} {self.t(language, 'confirm_offer')}"

    def _confirmed(
        self,
        ctx: Context,
        candidate: Candidate,
        preparation: CallPreparation,
        step_key: str,
        requirement: str,
        verdict: confirmation.Verdict,
    ) -> None:
        if verdict.confirmed:
            confirmation.record(
                ctx.session,
                ctx.recruiter,
                ctx.who.user,
                candidate,
                preparation,
                step_key,
                requirement,
                verdict.confirmed,
                ctx.now,
            )

    def _check_answer_again(self, language: str, step: Step, text: str) -> confirmation.Verdict:
        """`_check_answer` for a re-delivered submission: the same verdict, nothing stored."""
        if not text:
            required = self.t(language, "answer_required") if step.required else None
            return confirmation.Verdict(error=required)
        if len(text) > MAX_ANSWER:
            return confirmation.Verdict(self.t(language, "answer_too_long", limit=MAX_ANSWER))
        assessment = assess(text, language, step.key)
        if assessment.risky:
            return confirmation.Verdict(self._risky_message(language, assessment), True)
        nudge = self._nudge(language, text, assessment)
        return confirmation.Verdict(nudge) if nudge else confirmation.Verdict()

    async def _form(
        self, ctx: Context, candidate: Candidate, preparation: CallPreparation, guide: Guide
    ) -> Form:
        language = ctx.language
        saved = {answer.step_key: answer.text for answer in preparation.answers}
        position = candidate.position
        # What was written once for the position is where these two answers start.
        starts = {
            "gaps": position.decided_requirements or "",
            "luxury_problem": position.decided_strengths or "",
        }
        fields = [
            FormField(
                key=step.key,
                label=step.title,
                question=step.question,
                tip=step.tip,
                example=step.concrete_example,
                required=step.required,
                value=saved.get(step.key, ""),
                start=starts.get(step.key, ""),
            )
            for step in guide.steps_for(candidate.internal)
        ]
        first = script.first_name(candidate.name or "")
        return Form(
            strongest_question=None
            if candidate.internal
            else self.t(language, "strongest_question", name=first),
            strongest_label=self.t(language, "strongest_option"),
            strongest=bool(preparation.strongest),
            candidate_id=candidate.public_id,
            title=guide.title,
            intro=self.t(
                language, "form_intro", name=candidate.name, position=candidate.position.title
            )
            + " "
            + guide.intro,
            fields=fields,
            submit_label=self.t(language, "button_make_script"),
        )

    async def _finish(
        self, ctx: Context, candidate: Candidate, preparation: CallPreparation, guide: Guide
    ) -> Reply:
        saved = {answer.step_key: answer.text for answer in preparation.answers}
        missing = [
            step.title
            for step in guide.steps_for(candidate.internal)
            if step.required and not saved.get(step.key)
        ]
        if missing:
            return Reply(text=self.t(ctx.language, "script_missing", steps=", ".join(missing)))
        preparation.completed_at = preparation.completed_at or ctx.now
        workspace = await ctx.session.get(Workspace, ctx.recruiter.workspace_id)
        organisation = (workspace.organisation if workspace else None) or (
            self.settings.coach_organisation or None
        )
        facts = script.CallFacts(
            candidate_name=candidate.name or "",
            candidate_id=candidate.public_id,
            position=candidate.position.title,
            internal=candidate.internal,
            answers={
                step.key: saved[step.key]
                for step in guide.steps_for(candidate.internal)
                if saved.get(step.key)
            },
            strongest=bool(preparation.strongest) and not candidate.internal,
            speaker=ctx.recruiter.display_name,
            organisation=organisation,
            talent_pool_months=self.settings.coach_talent_pool_months,
        )
        lines = script.build(self.guides.script(ctx.language), facts)
        title = self.t(ctx.language, "script_title", name=candidate.name)
        buttons = self.outcome_buttons(ctx.language, candidate)
        if candidate.internal:
            # No talent pool for a colleague: they are already with us.
            buttons = [b for b in buttons if not b.command.startswith("consent ")]
        card = Card(title=title, script=lines, buttons=buttons)
        # The card holds title and script: channels showing it show the title once.
        return Reply(text=title + "\n\n" + script.as_text(lines), cards=[card], heading="")

    def outcome_buttons(
        self, language: str, candidate: Candidate | CandidateSummary
    ) -> list[Button]:
        return [Button(**data) for data in self._outcome_buttons(language, candidate.public_id)]

    def _outcome_buttons(self, language: str, ref: str) -> list[dict[str, str]]:
        label = self.guides.text
        return [
            {
                "label": label(language, "button_called"),
                "command": f"log {ref} called",
                "style": "primary",
            },
            {"label": label(language, "button_no_answer"), "command": f"log {ref} no-answer"},
            {"label": label(language, "button_declined"), "command": f"log {ref} declined"},
            {
                "label": label(language, "button_skipped"),
                "command": f"log {ref} skipped",
                "style": "danger",
            },
            {"label": label(language, "button_consent"), "command": f"consent {ref}"},
        ]

    def _candidate_line(self, ctx: Context, candidate: Candidate | CandidateSummary) -> str:
        key = "candidate_line_internal" if candidate.internal else "candidate_line"
        line = self.t(
            ctx.language,
            key,
            name=candidate.name,
            id=candidate.public_id,
            position=candidate.position_title,
            days=self._days(ctx, candidate),
            status=self._status(ctx, candidate),
        )
        note = getattr(candidate, "last_note", None)
        if note:
            line += "\n  " + self.t(ctx.language, "candidate_note", note=note)
        return line

    def _days(self, ctx: Context, candidate: Candidate | CandidateSummary) -> int:
        return max(0, (ctx.now - candidate.rejected_at).days)

    def _status(self, ctx: Context, candidate: Candidate | CandidateSummary) -> str:
        if candidate.outcome is None:
            return self.t(ctx.language, "status_pending", attempts=candidate.attempts)
        return self.t(ctx.language, f"outcome_{candidate.outcome}")

    def _candidate_card(self, ctx: Context, candidate: CandidateSummary) -> Card:
        """One row: name as the title; position, days and status; the last note. The first
        button is the next step (Prepare, or Called once prepared), the rest go in a menu."""
        row = self.t(
            ctx.language,
            "candidate_row_internal" if candidate.internal else "candidate_row",
            position=candidate.position_title,
            days=self._days(ctx, candidate),
            status=self._status(ctx, candidate),
        )
        lines = [row]
        if candidate.last_note:
            lines.append(self.t(ctx.language, "candidate_note", note=candidate.last_note))
        ref = candidate.public_id
        prepare = Button(
            label=self.t(ctx.language, "button_prepare"), command=f"start {ref}", style="primary"
        )
        outcomes = self.outcome_buttons(ctx.language, candidate)
        if candidate.prepared:
            edit = Button(label=self.t(ctx.language, "button_edit"), command=f"start {ref}")
            buttons = [outcomes[0], *outcomes[1:4], edit, outcomes[4]]
        else:
            # "Called" before the call is prepared is not offered; declining needs no script.
            buttons = [prepare, outcomes[2], outcomes[3]]
        return Card(title=candidate.name, lines=lines, buttons=buttons)

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

    def _database_down(self, who: Identity, error: BaseException) -> Reply:
        # The exception text may quote SQL parameters, i.e. candidate data: log only its code.
        problem = PROBLEMS.explain(error)
        PROBLEMS.record(problem)
        log.error("database %s: %s", problem.kind, problem.code)
        language = who.language or self.settings.coach_language
        return Reply.shareable(self.t(language, "database_down"), Status.UNAVAILABLE)


def _conversation_key(conversation: str) -> str:
    # Teams channel ids can be long (a thread id with a message id): hashed to fit the key.
    key = f"conversation:{conversation}"
    if len(key) <= 200:
        return key
    return "conversation:" + hashlib.sha256(conversation.encode()).hexdigest()


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _add_words(command: commands.Add) -> str:
    """An `add` as grammar words again (for the yes-button after asking about a namesake)."""
    parts = [command.name, command.position]
    if command.internal:
        parts.append("internal")
    if command.rejected_on is not None:
        day = command.rejected_on
        parts.append(f"{day.day}.{day.month}.{day.year}" if day.year else f"{day.day}.{day.month}.")
    return "add " + " | ".join(parts)


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
