"""SQLAlchemy 2.x typed models: the whole schema of the coach."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Workspace(Base):
    """A Slack team, a Teams tenant, or the local console."""

    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    call_deadline_days: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The app was removed from the workspace (Slack app_uninstalled / tokens_revoked): no
    # reminders go there, and its personal data is erased once the grace period has passed.
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Recruiter(Base):
    __tablename__ = "recruiters"
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    external_id: Mapped[str] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(8))
    language_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    reminder_weekday: Mapped[int] = mapped_column(SmallInteger, default=0)
    reminder_time: Mapped[time] = mapped_column(Time(), default=time(9, 0))
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unreachable_reason: Mapped[str | None] = mapped_column(String(200))
    # Teams proactive messaging needs the last conversation reference the user wrote from.
    conversation_reference: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    workspace: Mapped[Workspace] = relationship()


class Position(Base):
    __tablename__ = "positions"
    __table_args__ = (UniqueConstraint("workspace_id", "title_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    # Case-folded title, so "Nurse" and "nurse" are one position.
    title_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Candidate(Base):
    """A rejected, interviewed applicant. Personal data: name, and everything hanging off it."""

    __tablename__ = "candidates"
    __table_args__ = (
        # A recruiter's candidates in list order, straight from the index. Without it SQLite
        # (no statistics) walks the workspace index: every candidate of the workspace.
        Index("ix_candidates_recruiter_id_rejected_at", "recruiter_id", "rejected_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(12), unique=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    recruiter_id: Mapped[int] = mapped_column(ForeignKey("recruiters.id", ondelete="CASCADE"))
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id", ondelete="CASCADE"))
    # None once anonymised by purge or erase; the row stays so reports stay true.
    name: Mapped[str | None] = mapped_column(String(200))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    rejected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Final outcome (called, declined, skipped); None while the candidate is pending.
    outcome: Mapped[str | None] = mapped_column(String(16), index=True)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    position: Mapped[Position] = relationship()

    @property
    def position_title(self) -> str:
        """As `queries.CandidateSummary` has it, so one line format serves both."""
        return self.position.title


class CallPreparation(Base):
    __tablename__ = "call_preparations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )
    recruiter_id: Mapped[int] = mapped_column(ForeignKey("recruiters.id", ondelete="CASCADE"))
    guide_language: Mapped[str] = mapped_column(String(8))
    guide_version: Mapped[int] = mapped_column(Integer)
    # The preparation a chat-style channel is walking through right now (one per recruiter).
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    # Step key -> the text last flagged as vague there; the same text again is accepted.
    flagged: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Step key -> the recruiter's confirmation that a text the svada check flagged as risky
    # is about the job: {"requirement", "grounds", "by" (recruiter id), "at" (ISO time)}.
    confirmations: Mapped[dict[str, dict[str, Any]] | None] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    answers: Mapped[list[PreparationAnswer]] = relationship(
        cascade="all, delete-orphan", order_by="PreparationAnswer.id"
    )


class PreparationAnswer(Base):
    __tablename__ = "preparation_answers"
    __table_args__ = (UniqueConstraint("preparation_id", "step_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    preparation_id: Mapped[int] = mapped_column(
        ForeignKey("call_preparations.id", ondelete="CASCADE")
    )
    step_key: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CallLog(Base):
    __tablename__ = "call_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    recruiter_id: Mapped[int] = mapped_column(ForeignKey("recruiters.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TalentPoolConsent(Base):
    __tablename__ = "talent_pool_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("recruiters.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[int | None] = mapped_column(
        ForeignKey("recruiters.id", ondelete="SET NULL")
    )


class AuditEvent(Base):
    """Who did what to whose data. Never holds the personal data itself."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    actor_external_id: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    candidate_public_id: Mapped[str | None] = mapped_column(String(12))
    # What the action was about, never personal data: "step=gaps grounds=age".
    detail: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderDelivery(Base):
    """One weekly reminder per recruiter: the unique key is what makes it exactly once."""

    __tablename__ = "reminder_deliveries"
    __table_args__ = (UniqueConstraint("recruiter_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recruiter_id: Mapped[int] = mapped_column(ForeignKey("recruiters.id", ondelete="CASCADE"))
    # ISO week ("2026-W48"), or a snooze marker, that this delivery covers.
    period: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))


class ProcessedEvent(Base):
    """Keys of platform deliveries already handled, so a retried delivery acts once."""

    __tablename__ = "processed_events"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class BotState(Base):
    """botbuilder Storage items (Teams conversation and user state)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    etag: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Greeting(Base):
    """Who has been welcomed: one row per user (personal chat) or shared conversation.

    The primary key makes the greeting exactly once: the first insert wins, on any number of
    server processes, however many install activities arrive at once.
    """

    __tablename__ = "greetings"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(128), primary_key=True)
    # A user id, or "conversation:<id>" for a channel or group chat.
    audience: Mapped[str] = mapped_column(String(255), primary_key=True)
    greeted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SlackInstallation(Base):
    """One Slack workspace's (or Enterprise Grid org's) installation of the app.

    Keyed by enterprise and team ("" where Slack has none, so the unique key holds on every
    backend). Tokens are stored only encrypted (Fernet); `details` holds what is not secret.
    """

    __tablename__ = "slack_installations"
    __table_args__ = (UniqueConstraint("enterprise_id", "team_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[str] = mapped_column(String(32))
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    bot_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    bot_refresh_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Unix seconds, as slack_sdk's Installation has it; None for a token that never expires.
    bot_token_expires_at: Mapped[int | None] = mapped_column(Integer)
    user_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    user_refresh_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    user_token_expires_at: Mapped[int | None] = mapped_column(Integer)
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uninstalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SlackTeam(Base):
    """Which Enterprise Grid org a workspace belongs to, so an org-wide install reaches it."""

    __tablename__ = "slack_teams"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(32), index=True)


class SlackOAuthState(Base):
    """An OAuth state handed out by /slack/install: usable once, by any server process."""

    __tablename__ = "slack_oauth_states"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
