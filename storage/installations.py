"""Slack installations, OAuth states and uninstalls. Tokens come in and go out encrypted.

Functions take a session and never commit; the caller owns the transaction. An installation
is keyed by (enterprise_id, team_id) with "" for "none": an org-wide install is (E, ""), a
workspace of an Enterprise Grid org that installed on its own is (E, T), a plain one ("", T).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables import SlackInstallation, SlackOAuthState, SlackTeam, Workspace

PLATFORM = "slack"
TOKEN_COLUMNS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")


@dataclass(frozen=True)
class Key:
    enterprise_id: str
    team_id: str

    @classmethod
    def of(
        cls, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> Key:
        # As slack_sdk's own stores do: an org-wide install is found by its enterprise alone.
        if is_enterprise_install or (enterprise_id and not team_id):
            return cls(enterprise_id or "", "")
        return cls(enterprise_id or "", team_id or "")


@dataclass(frozen=True)
class Tokens:
    """Encrypted token columns (Fernet bytes) and their expiry (Unix seconds)."""

    bot_token: bytes | None
    bot_refresh_token: bytes | None
    bot_token_expires_at: int | None
    user_token: bytes | None = None
    user_refresh_token: bytes | None = None
    user_token_expires_at: int | None = None


def _where(key: Key) -> Any:
    return (SlackInstallation.enterprise_id == key.enterprise_id) & (
        SlackInstallation.team_id == key.team_id
    )


async def find(session: AsyncSession, key: Key) -> SlackInstallation | None:
    return await session.scalar(select(SlackInstallation).where(_where(key)))


async def lock(session: AsyncSession, key: Key) -> SlackInstallation | None:
    """The installation, held against every other writer until the transaction ends.

    PostgreSQL: a row lock (SELECT .. FOR UPDATE). SQLite has one writer at a time: a first
    write takes the database's write lock, and the read after it sees the newest commit.
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(SlackInstallation)
            .where(_where(key))
            .values(updated_at=SlackInstallation.updated_at)
            .execution_options(synchronize_session=False)
        )
        return await session.scalar(
            select(SlackInstallation).where(_where(key)).execution_options(populate_existing=True)
        )
    return await session.scalar(
        select(SlackInstallation)
        .where(_where(key))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def save(
    session: AsyncSession,
    key: Key,
    is_enterprise_install: bool,
    details: dict[str, Any],
    tokens: Tokens,
    now: datetime,
) -> SlackInstallation:
    """Insert or replace the installation; an install clears an earlier uninstall."""
    row = await lock(session, key)
    if row is None:
        row = SlackInstallation(
            enterprise_id=key.enterprise_id, team_id=key.team_id, installed_at=now
        )
        session.add(row)
    row.is_enterprise_install = is_enterprise_install
    row.details = details
    set_tokens(row, tokens, now)
    row.uninstalled_at = None
    await session.flush()
    return row


def set_tokens(row: SlackInstallation, tokens: Tokens, now: datetime) -> None:
    row.bot_token = tokens.bot_token
    row.bot_refresh_token = tokens.bot_refresh_token
    row.bot_token_expires_at = tokens.bot_token_expires_at
    row.user_token = tokens.user_token
    row.user_refresh_token = tokens.user_refresh_token
    row.user_token_expires_at = tokens.user_token_expires_at
    row.updated_at = now


async def delete_tokens(
    session: AsyncSession, enterprise_id: str, team_id: str, now: datetime, *, bot: bool = True
) -> int:
    """Forget the tokens of one installation (an org's: team_id ""), and mark it uninstalled.

    Idempotent: the first uninstall's time is kept when the event comes again. `bot=False`
    forgets user tokens only (a user revoked theirs; the app stays installed).
    """
    where = SlackInstallation.enterprise_id == enterprise_id
    if team_id:
        where &= SlackInstallation.team_id == team_id
    else:
        # An org uninstall also ends the installs of the org's workspaces on their own.
        where &= SlackInstallation.enterprise_id != ""
    values: dict[str, Any] = {"user_token": None, "user_refresh_token": None}
    if bot:
        values |= {
            "bot_token": None,
            "bot_refresh_token": None,
            "bot_token_expires_at": None,
            "user_token_expires_at": None,
            "uninstalled_at": func.coalesce(SlackInstallation.uninstalled_at, now),
        }
    result: Any = await session.execute(
        update(SlackInstallation)
        .where(where)
        .values(**values, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


async def delete_all(session: AsyncSession, key: Key) -> None:
    await session.execute(delete(SlackInstallation).where(_where(key)))


# -- which installation serves a workspace ----------------------------------------------------


async def link_team(session: AsyncSession, team_id: str, enterprise_id: str) -> None:
    """Remember that a workspace belongs to an Enterprise Grid org (once; repeats do nothing)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.execute(
        insert(SlackTeam)
        .values(team_id=team_id, enterprise_id=enterprise_id)
        .on_conflict_do_nothing(index_elements=["team_id"])
    )


async def teams_of(session: AsyncSession, enterprise_id: str) -> list[str]:
    return list(
        (
            await session.scalars(
                select(SlackTeam.team_id).where(SlackTeam.enterprise_id == enterprise_id)
            )
        ).all()
    )


async def key_for_workspace(session: AsyncSession, team_id: str) -> Key | None:
    """The installation that serves a workspace: its own install, else its org's."""
    own = await session.scalar(
        select(SlackInstallation.enterprise_id).where(
            SlackInstallation.team_id == team_id, SlackInstallation.bot_token.is_not(None)
        )
    )
    if own is not None:
        return Key(own, team_id)
    enterprise = await session.scalar(
        select(SlackTeam.enterprise_id).where(SlackTeam.team_id == team_id)
    )
    # An org-wide install is also what a workspace's id would be when it is the org's own.
    for candidate in (enterprise, team_id):
        if candidate and await find(session, Key(candidate, "")) is not None:
            return Key(candidate, "")
    return None


# -- the workspaces an uninstall concerns -------------------------------------------------------


async def mark_workspaces(
    session: AsyncSession, external_ids: Collection[str], uninstalled_at: datetime | None
) -> None:
    """Set (an uninstall) or clear (a reinstall) the uninstall mark of these Slack workspaces.

    A reinstall after the data was erased starts over: the erasure mark goes too.
    """
    if not external_ids:
        return
    where = (Workspace.platform == PLATFORM) & Workspace.external_id.in_(sorted(external_ids))
    if uninstalled_at is None:
        values: dict[str, Any] = {"uninstalled_at": None, "erased_at": None}
    else:
        values = {"uninstalled_at": func.coalesce(Workspace.uninstalled_at, uninstalled_at)}
    await session.execute(
        update(Workspace).where(where).values(**values).execution_options(synchronize_session=False)
    )


async def served_by(session: AsyncSession, enterprise_id: str, team_id: str) -> list[str]:
    """The workspace ids (as the store names workspaces) one installation serves."""
    if team_id:
        return [team_id]
    return [enterprise_id, *await teams_of(session, enterprise_id)]


async def installed_elsewhere(session: AsyncSession, team_ids: Sequence[str]) -> set[str]:
    """Of these workspaces, those still served by another live installation."""
    if not team_ids:
        return set()
    rows = await session.scalars(
        select(SlackInstallation.team_id).where(
            SlackInstallation.team_id.in_(sorted(team_ids)),
            SlackInstallation.bot_token.is_not(None),
        )
    )
    return set(rows.all())


# -- OAuth states -------------------------------------------------------------------------------


async def issue_state(
    session: AsyncSession, state: str, expires_at: datetime, now: datetime
) -> None:
    await session.execute(delete(SlackOAuthState).where(SlackOAuthState.expires_at < now))
    session.add(SlackOAuthState(state=state, expires_at=expires_at))


async def consume_state(session: AsyncSession, state: str, now: datetime) -> bool:
    """True once for a state that was issued and has not expired; False ever after."""
    result: Any = await session.execute(
        delete(SlackOAuthState).where(
            SlackOAuthState.state == state, SlackOAuthState.expires_at >= now
        )
    )
    return int(result.rowcount or 0) == 1


async def all_rows(session: AsyncSession) -> list[SlackInstallation]:
    """Every installation, held for writing (re-encryption under a new key)."""
    query = select(SlackInstallation).order_by(SlackInstallation.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return list((await session.scalars(query)).all())
