"""Slack installations on our own tables: Bolt's installation and OAuth state stores, token
rotation that two processes can run at once, and what an uninstall does.

Tokens are encrypted (storage.encryption) before they reach the store and decrypted only
here, when a call needs one; they are never logged.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import installations as store
from storage.encryption import Cipher, InvalidToken
from storage.tables import SlackInstallation

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Installation fields that are not secret, kept as they are (`details`).
DETAILS = (
    "app_id",
    "enterprise_name",
    "enterprise_url",
    "team_name",
    "bot_id",
    "bot_user_id",
    "bot_scopes",
    "user_id",
    "user_scopes",
    "token_type",
    "installed_at",
)
STATE_LIFETIME = timedelta(minutes=10)


def _now() -> datetime:
    return datetime.now(UTC)


class Installations(AsyncInstallationStore):
    """Every Slack installation of the app, in our database, tokens encrypted."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cipher: Cipher,
        rotator: AsyncTokenRotator,
        rotation_minutes: int,
        clock: Clock = _now,
    ) -> None:
        self.sessions = sessions
        self.cipher = cipher
        self.rotator = rotator
        self.rotation_minutes = rotation_minutes
        self.clock = clock
        # (enterprise, team) pairs already linked by this process: one write per pair, not
        # one per request. Only a shortcut; the table is what every process reads.
        self._linked: set[tuple[str, str]] = set()

    @property
    def logger(self) -> logging.Logger:
        return log

    # -- from and to rows ----------------------------------------------------------------

    def _tokens(self, item: Installation | Bot) -> store.Tokens:
        encrypt = self.cipher.encrypt
        return store.Tokens(
            bot_token=encrypt(item.bot_token),
            bot_refresh_token=encrypt(item.bot_refresh_token),
            bot_token_expires_at=item.bot_token_expires_at,
            user_token=encrypt(getattr(item, "user_token", None)),
            user_refresh_token=encrypt(getattr(item, "user_refresh_token", None)),
            user_token_expires_at=getattr(item, "user_token_expires_at", None),
        )

    def _readable(self, row: SlackInstallation | None) -> SlackInstallation | None:
        """The row if it has tokens the configured keys open; else None (not installed)."""
        if row is None or row.bot_token is None:
            return None
        try:
            self.cipher.decrypt(row.bot_token)
        except InvalidToken:
            # A key was removed before `python app.py reencrypt` ran. The workspace cannot be
            # served until the key is back; say so without the token or the key.
            log.error(
                "slack: the token of %s opens with no key in COACH_ENCRYPTION_KEY",
                row.team_id or row.enterprise_id,
            )
            return None
        return row

    def _installation(self, row: SlackInstallation) -> Installation:
        details = dict(row.details)
        decrypt = self.cipher.decrypt
        return Installation(
            enterprise_id=row.enterprise_id or None,
            team_id=row.team_id or None,
            is_enterprise_install=row.is_enterprise_install,
            bot_token=decrypt(row.bot_token),
            bot_refresh_token=decrypt(row.bot_refresh_token),
            bot_token_expires_at=row.bot_token_expires_at,
            user_token=decrypt(row.user_token),
            user_refresh_token=decrypt(row.user_refresh_token),
            user_token_expires_at=row.user_token_expires_at,
            user_id=details.pop("user_id", None) or "",
            **details,
        )

    # -- AsyncInstallationStore -----------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        """A new install or reinstall (also a refresh from Bolt): replaces the tokens kept.

        A reinstall clears the uninstall mark of the workspaces it serves, so nothing of
        theirs is erased when the grace period ends.
        """
        key = store.Key.of(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        details = {name: getattr(installation, name) for name in DETAILS}
        now = self.clock()
        async with self.sessions.begin() as session:
            await store.save(
                session,
                key,
                bool(installation.is_enterprise_install),
                details,
                self._tokens(installation),
                now,
            )
            served = await store.served_by(session, key.enterprise_id, key.team_id)
            await store.mark_workspaces(session, served, None)
        log.info("slack: installed in %s", key.team_id or key.enterprise_id)

    async def async_save_bot(self, bot: Bot) -> None:
        key = store.Key.of(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        async with self.sessions.begin() as session:
            row = await store.lock(session, key)
            if row is not None:
                store.set_tokens(row, self._tokens(bot), self.clock())

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        key = store.Key.of(enterprise_id, team_id, is_enterprise_install)
        async with self.sessions() as session:
            row = self._readable(await store.find(session, key))
        if row is None:
            return None
        # One installation per workspace is kept (the latest); it is that user's only if
        # they installed it.
        if user_id is not None and row.details.get("user_id") != user_id:
            return None
        return self._installation(row)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        installation = await self.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return installation.to_bot() if installation is not None else None

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.uninstalled(enterprise_id, team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is None:
            await self.uninstalled(enterprise_id, team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.uninstalled(enterprise_id, team_id)

    # -- uninstall ------------------------------------------------------------------------

    async def uninstalled(self, enterprise_id: str | None, team_id: str | None) -> None:
        """The app was removed (or its bot token revoked): forget the tokens now, stop the
        workspace's reminders, and start its grace period. Again and again is the same."""
        enterprise, team = enterprise_id or "", team_id or ""
        now = self.clock()
        async with self.sessions.begin() as session:
            await store.delete_tokens(session, enterprise, team, now)
            served = await store.served_by(session, enterprise, team)
            # A workspace of an org that also installed on its own keeps that install.
            still = await store.installed_elsewhere(session, served) if not team else set()
            await store.mark_workspaces(session, set(served) - still, now)
        log.info("slack: uninstalled from %s; tokens deleted", team or enterprise)

    async def user_tokens_revoked(self, enterprise_id: str | None, team_id: str | None) -> None:
        async with self.sessions.begin() as session:
            await store.delete_tokens(
                session, enterprise_id or "", team_id or "", self.clock(), bot=False
            )

    # -- rotation -------------------------------------------------------------------------

    def _expiring(self, expires_at: int | None) -> bool:
        return expires_at is not None and expires_at <= time.time() + self.rotation_minutes * 60

    async def rotate(self, installation: Installation) -> Installation | None:
        """Refresh the tokens if they are close to expiry; None when nothing was needed.

        The refresh runs with the row held (a row lock on PostgreSQL, the write lock on
        SQLite), so a second process waits and then finds the token already refreshed
        instead of spending the refresh token again and overwriting the newer one.
        """
        if not (
            self._expiring(installation.bot_token_expires_at)
            or self._expiring(installation.user_token_expires_at)
        ):
            return None
        key = store.Key.of(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        async with self.sessions.begin() as session:
            row = await store.lock(session, key)
            if row is None or row.bot_token is None:
                return None
            current = self._installation(row)
            refreshed = await self.rotator.perform_token_rotation(
                installation=current, minutes_before_expiration=self.rotation_minutes
            )
            if refreshed is None:
                # Someone else refreshed it while we waited for the row.
                return current
            store.set_tokens(row, self._tokens(refreshed), self.clock())
        log.info("slack: refreshed the token of %s", key.team_id or key.enterprise_id)
        return refreshed

    async def bot_token(self, workspace: str) -> str | None:
        """A usable bot token for a workspace, refreshed first when close to expiry.

        For calls made outside a Slack request (reminders, notifications). None when the app
        is not installed there (any more).
        """
        async with self.sessions() as session:
            key = await store.key_for_workspace(session, workspace)
            row = self._readable(await store.find(session, key) if key is not None else None)
        if row is None:
            return None
        installation = self._installation(row)
        refreshed = await self.rotate(installation)
        return (refreshed or installation).bot_token

    async def link(self, enterprise_id: str | None, team_id: str | None) -> None:
        """Remember that a workspace belongs to an org (reminders then find the org's install)."""
        if not enterprise_id or not team_id or (enterprise_id, team_id) in self._linked:
            return
        async with self.sessions.begin() as session:
            await store.link_team(session, team_id, enterprise_id)
        self._linked.add((enterprise_id, team_id))

    async def reencrypt(self) -> int:
        """Write every stored token under the newest key (after a key was added in front)."""
        async with self.sessions.begin() as session:
            rows = await store.all_rows(session)
            for row in rows:
                for column in store.TOKEN_COLUMNS:
                    setattr(row, column, self.cipher.rotate(getattr(row, column)))
        return len(rows)


class StateStore(AsyncOAuthStateStore):
    """OAuth states in the database: any server process may get the redirect, and a state
    works once (a replayed redirect is refused) and for STATE_LIFETIME only."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock = _now) -> None:
        self.sessions = sessions
        self.clock = clock

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        now = self.clock()
        async with self.sessions.begin() as session:
            await store.issue_state(session, state, now + STATE_LIFETIME, now)
        return state

    async def async_consume(self, state: str) -> bool:
        if not state or len(state) > 64:
            return False
        async with self.sessions.begin() as session:
            return await store.consume_state(session, state, self.clock())


class Authorize(AsyncInstallationStoreAuthorize):
    """Bolt's installation-store authorize, with our locked rotation in place of its own,
    and the workspace-to-org link recorded for org-wide installs."""

    def __init__(self, installations: Installations, **kwargs: Any) -> None:
        super().__init__(installation_store=installations, **kwargs)
        self.installations = installations

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **kwargs: Any,
    ) -> AuthorizeResult | None:
        result = await super().__call__(
            context=context,
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            **kwargs,
        )
        if result is not None and context.is_enterprise_install:
            # The org's install serves this workspace: reminders to its people need to know.
            await self.installations.link(enterprise_id, team_id)
        return result

    async def _rotate_and_save_tokens_if_necessary(
        self, installation: Installation | None
    ) -> Installation | None:
        if installation is None:
            return None
        return await self.installations.rotate(installation)


def build(
    sessions: async_sessionmaker[AsyncSession],
    cipher: Cipher,
    client_id: str,
    client_secret: str,
    api: AsyncWebClient,
    rotation_minutes: int,
    clock: Clock = _now,
) -> Installations:
    rotator = AsyncTokenRotator(client_id=client_id, client_secret=client_secret, client=api)
    return Installations(sessions, cipher, rotator, rotation_minutes, clock)
