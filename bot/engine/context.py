"""What every concept of the engine shares: the request's Context, the Services it runs on,
and the helpers each concept needs (own candidate lookup, preparation, time zones, texts)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import commands
from bot.messages import Identity, Reply, Status
from bot.settings import Settings
from conversation_guides import GuideBook
from conversation_guides.schema import Guide
from storage import queries
from storage.errors import DATABASE_ERRORS, PROBLEMS, worth_running_again
from storage.tables import CallPreparation, Candidate, Recruiter, Workspace

log = logging.getLogger(__name__)

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Clock = Callable[[], datetime]
T = TypeVar("T")
# How often a transaction is begun again when another process's write got in its way
# (several servers on one SQLite file), and the pause before each new try, growing.
STALE_SNAPSHOT_TRIES = 5
STALE_SNAPSHOT_PAUSE = 0.02


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


Handler = Callable[[Context, commands.Command], Awaitable[list[Reply]]]


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


class Runtime(Protocol):
    """What engine-level services (reminders, ATS intake) need of the engine: the store, the
    guides, the settings and the clock. `Services` is one; so is the `Coach` facade."""

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def guides(self) -> GuideBook: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    def t(self, language: str, key: str, **values: object) -> str: ...


@dataclass
class Services:
    """The parts every concept runs on, handed to each instead of the coach itself."""

    sessions: async_sessionmaker[AsyncSession]
    guides: GuideBook
    settings: Settings
    clock: Clock = utcnow

    def t(self, language: str, key: str, **values: object) -> str:
        return self.guides.text(language, key, **values)

    def is_admin(self, ctx: Context) -> bool:
        return self.settings.is_admin(ctx.who.workspace, ctx.who.user)

    def fresh(self, recruiter: Recruiter, max_age: timedelta) -> bool:
        """Whether the platform was asked about this user recently enough."""
        checked = recruiter.language_checked_at
        return checked is not None and self.clock() - checked < max_age

    async def again_if_stale(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """One transaction, run again from the start when SQLite refused it only because
        another server process wrote meanwhile (see `storage.errors.worth_running_again`)."""
        for tries in range(1, STALE_SNAPSHOT_TRIES + 1):
            try:
                return await attempt()
            except DATABASE_ERRORS as error:
                if tries == STALE_SNAPSHOT_TRIES or not worth_running_again(error):
                    raise
                log.info("database: another process is writing; running it again")
            # A moment for the other process's transaction to end.
            await asyncio.sleep(STALE_SNAPSHOT_PAUSE * tries)
        raise AssertionError("unreachable")

    def database_down(self, who: Identity, error: BaseException) -> Reply:
        """The one answer when the store is out of reach: logged by code, said politely."""
        # The exception text may quote SQL parameters, i.e. candidate data: log only its code.
        problem = PROBLEMS.explain(error)
        PROBLEMS.record(problem)
        log.error("database %s: %s", problem.kind, problem.code)
        language = who.language or self.settings.coach_language
        return Reply.shareable(self.t(language, "database_down"), Status.UNAVAILABLE)

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

    async def context(self, session: AsyncSession, who: Identity) -> Context:
        """The recruiter behind `who`, with what their platform just reported stored."""
        now = self.clock()
        recruiter = await queries.recruiter_for(session, who.platform, who.workspace, who.user, now)
        if who.language and recruiter.language != who.language:
            recruiter.language = who.language
        if who.timezone and who.timezone != recruiter.timezone and valid_zone(who.timezone):
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


class Concept:
    """One area of the engine: its commands (`handlers`), answering through `services`."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def handlers(self) -> dict[str, Handler]:
        return {}

    def t(self, language: str, key: str, **values: object) -> str:
        return self.services.t(language, key, **values)

    def refused(self, text: str, candidate: Candidate | None = None) -> Reply:
        """A command understood and refused: nothing changed (private, as it may name someone)."""
        return Reply(
            text=text,
            status=Status.REFUSED,
            candidate_id=candidate.public_id if candidate is not None else None,
        )


def refused_shareable(text: str) -> Reply:
    """A refusal that names nobody (usage help, admins only)."""
    return Reply.shareable(text, Status.REFUSED)


async def own_candidate(ctx: Context, candidate_id: str) -> Candidate | None:
    """By id only: ids come from our own forms. Cleaned, since a form payload may carry a
    lone surrogate that no database driver can encode."""
    return await queries.own_candidate(ctx.session, ctx.recruiter, commands.clean(candidate_id))


async def preparation(ctx: Context, candidate: Candidate, guide: Guide) -> CallPreparation:
    return await queries.get_or_create_preparation(
        ctx.session, candidate, ctx.recruiter, ctx.language, guide.version, ctx.now
    )


@lru_cache(maxsize=1024)
def zone(name: str | None) -> ZoneInfo:
    """The recruiter's zone; an unknown name falls back to UTC rather than losing a moment."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def day_text(language: str, day: date) -> str:
    return day.strftime("%d.%m.%Y") if language == "nb" else day.isoformat()


def date_text(ctx: Context, moment: datetime) -> str:
    return day_text(ctx.language, moment.astimezone(zone(ctx.recruiter.timezone)).date())
