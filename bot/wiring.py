"""The one composition root: settings, database, guides, the coach, the notifiers per platform
and the web application with each channel mounted. Only app.py calls it; each command of the
command line gets its objects finished from here.

This is the one module outside bot/channels/ that may import a channel. Slack, Teams and the
ATS webhooks are imported inside the functions that need them: the terminal coach starts
without loading their SDKs.
"""

from __future__ import annotations

import gc
import getpass
import logging
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import ats_notices, inbox, pages, reminders, retention, server
from bot.channels.console import (
    Console,
    account_full_name,
    language_from_environment,
    local_zone,
)
from bot.coach import Coach
from bot.concreteness import rules_for, warm_up
from bot.messages import Identity
from bot.notify import Notifier, close_notifiers
from bot.settings import Settings
from conversation_guides import GuideBook
from storage.database import open_database
from storage.errors import DATABASE_ERRORS, describe

if TYPE_CHECKING:
    from bot.channels.slack.installations import Installations

log = logging.getLogger(__name__)


# -- the parts ------------------------------------------------------------------------------


def load_guides() -> GuideBook:
    """The guides and message catalogs, and the svada rules: coaching content too, so a broken
    file stops start-up, not a call. Raises GuideError."""
    guides = GuideBook()
    for language in guides.guides:
        rules_for(language)
    return guides


async def build_coach(
    settings: Settings, guides: GuideBook | None = None
) -> tuple[Coach, AsyncEngine]:
    """The coach on a migrated database; the caller disposes of the engine."""
    guides = guides or load_guides()
    # Lemma dictionaries and CLDR names load once here, not on a recruiter's first answer.
    warm_up()
    engine, sessions = await open_database(settings.database_url, settings.database_pool_size)
    return Coach(sessions, guides, settings), engine


def settle_heap() -> None:
    """Keep what start-up built out of every later garbage collection.

    Start-up leaves millions of objects that live as long as the process (modules, guides,
    simplemma's dictionaries); each full pass of the cycle collector would walk them all
    again, and planning reminders for thousands of recruiters triggers many such passes.
    `gc.freeze` (after a collection, so no garbage is kept for ever) moves them aside once.
    """
    gc.collect()
    gc.freeze()


def build_slack_installations(settings: Settings, coach: Coach) -> Installations | None:
    """OAuth mode: the app's Slack installations on our database, built once here and passed to
    the Slack channel and the notifiers. None in single-workspace mode (SLACK_BOT_TOKEN)."""
    if not settings.slack_oauth:
        return None
    from bot.channels.slack.installations import build
    from bot.channels.slack.notify import web_client
    from storage.encryption import Cipher

    # Settings refuses OAuth mode without these; the asserts tell the type checker so.
    assert settings.coach_encryption_key and settings.slack_client_id
    assert settings.slack_client_secret is not None
    return build(
        coach.sessions,
        Cipher(settings.coach_encryption_key.get_secret_value()),
        settings.slack_client_id,
        settings.slack_client_secret.get_secret_value(),
        web_client(None, settings.slack_api_url),
        settings.slack_token_rotation_minutes,
        coach.clock,
    )


def build_notifiers(
    coach: Coach, installations: Installations | None = None
) -> dict[str, Notifier]:
    """A notifier for each configured platform. With `installations` (Slack OAuth mode) each
    workspace's token comes from there; without, the one SLACK_BOT_TOKEN serves."""
    from bot.channels.slack.notify import SlackNotifier
    from bot.channels.teams.notify import TeamsNotifier

    settings = coach.settings
    tokens = installations.bot_token if installations is not None else None
    notifiers: dict[str, Notifier] = {}
    if settings.slack_bot_token or tokens is not None:
        notifiers["slack"] = SlackNotifier.from_settings(settings, coach.guides, tokens)
    notifiers["teams"] = TeamsNotifier(settings, coach)
    return notifiers


def build_web_app(
    settings: Settings,
    coach: Coach,
    engine: AsyncEngine,
    installations: Installations | None = None,
) -> web.Application:
    """The web application with every configured channel mounted, and the daily purge.

    `installations`: the Slack installations in OAuth mode (`build_slack_installations`).
    """
    from bot.channels.slack import mount_slack
    from bot.channels.teams import mount_teams
    from bot.intake import mount_intake

    def texts(key: str, **values: object) -> str:
        return coach.t(settings.coach_language, key, **values)

    app = server.create_app(engine, texts)
    # The install landing page and what is stored about whom, from the settings in force.
    pages.mount(app, settings, coach.guides)
    # The retention policy runs once a day for as long as the server does.
    app.cleanup_ctx.append(retention.background(engine, coach.sessions, settings, coach.clock))
    if installations is not None or (settings.slack_bot_token and settings.slack_signing_secret):
        mount_slack(app, settings, coach, installations=installations)
    # Always on: with no MICROSOFT_APP_ID it runs without auth, for local testing.
    mount_teams(app, settings, coach, coach.sessions)
    # ATS webhooks: every URL is a workspace's random token, signed with its own secret.
    mount_intake(
        app, settings, coach, installations.bot_token if installations is not None else None
    )
    return app


def add_background_work(
    app: web.Application,
    settings: Settings,
    coach: Coach,
    installations: Installations | None = None,
) -> None:
    """What runs beside the web server while it is up: its notifiers, reminders, ATS notices,
    inbox recovery, and Slack over Socket Mode when SLACK_APP_TOKEN is set."""
    notifiers: dict[str, Notifier] = {}

    async def own_notifiers(_: web.Application) -> AsyncIterator[None]:
        # First in, last out: the loops that use them have stopped before they are closed.
        notifiers.update(build_notifiers(coach, installations))
        yield
        await close_notifiers(notifiers)

    app.cleanup_ctx.append(own_notifiers)
    # Weekly reminders, sent by whichever server gets there first (claims keep them single).
    app.cleanup_ctx.append(reminders.background(coach, notifiers))
    # Recruiters hear about new candidates from the ATS, batched, at most once an hour.
    app.cleanup_ctx.append(ats_notices.background(coach, notifiers))
    # Requests a process that died had acknowledged are finished here (and ours kept leased).
    app.cleanup_ctx.append(inbox.background(coach.inbox))
    if settings.slack_app_token and settings.slack_bot_token:
        app.cleanup_ctx.append(_socket_mode(settings, coach))


def _socket_mode(
    settings: Settings, coach: Coach
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(_: web.Application) -> AsyncIterator[None]:
        from bot.channels.slack import start_socket_mode

        handler = await start_socket_mode(settings, coach)
        log.info("slack connected over socket mode")
        yield
        await handler.close_async()

    return context


# -- the commands of the command line -------------------------------------------------------


async def serve(
    settings: Settings, guides: GuideBook, port: int | None = None, host: str = "0.0.0.0"
) -> int:
    coach, engine = await build_coach(settings, guides)
    try:
        installations = build_slack_installations(settings, coach)
        app = build_web_app(settings, coach, engine, installations)
        add_background_work(app, settings, coach, installations)
        settle_heap()
        await server.run(app, host, port or settings.port)
    finally:
        await engine.dispose()
    return 0


async def remind(
    settings: Settings,
    guides: GuideBook,
    everyone: bool = False,
    notifiers: Mapping[str, Notifier] | None = None,
) -> int:
    """`remind [--now]`: send what is due, then exit (0, or 1: database down). `notifiers`
    are the caller's to close; without, this platform's are built and closed here."""
    engine = None
    active: Mapping[str, Notifier] = {}
    try:
        coach, engine = await build_coach(settings, guides)
        if notifiers is None:
            active = build_notifiers(coach, build_slack_installations(settings, coach))
        else:
            active = notifiers
        settle_heap()
        await reminders.run_batch(coach, active, everyone=everyone)
    except DATABASE_ERRORS as error:
        log.error("reminders: database unavailable: %s", describe(error).code)
        return 1
    finally:
        if notifiers is None:
            await close_notifiers(active)
        if engine is not None:
            await engine.dispose()
    return 0


async def purge(settings: Settings, guides: GuideBook, out: TextIO = sys.stdout) -> int:
    """`purge`: apply the retention policy once, say how many, and exit (1: database down)."""
    engine = None
    try:
        engine, sessions = await open_database(settings.database_url, settings.database_pool_size)
        result = await retention.purge(engine, sessions, settings, _now())
    except DATABASE_ERRORS as error:
        log.error("retention: database unavailable: %s", describe(error).code)
        return 1
    finally:
        if engine is not None:
            await engine.dispose()
    print(guides.text(settings.coach_language, "cli_purged", count=result.anonymized), file=out)
    return 0


async def import_csv(
    settings: Settings,
    guides: GuideBook,
    file: str,
    workspace: str | None,
    dry_run: bool,
    out: TextIO = sys.stdout,
) -> int:
    """`import`: exit 0, every row imported (or previewed); 1, some rows were refused (see
    the report); 2, the file or the workspace could not be used; 3, the database is down."""
    from bot.intake.csv_import import Importer

    engine = None
    try:
        engine, sessions = await open_database(settings.database_url, settings.database_pool_size)
        coach = Coach(sessions, guides, settings)
        # OAuth mode: recruiters' e-mails are matched with each installed workspace's token.
        installations = build_slack_installations(settings, coach)
        tokens = installations.bot_token if installations is not None else None
        return await Importer(coach, settings, out, tokens).run(Path(file), workspace, dry_run)
    except DATABASE_ERRORS:
        print(guides.text(settings.coach_language, "database_down"), file=sys.stderr)
        return 3
    finally:
        if engine is not None:
            await engine.dispose()


async def reencrypt(settings: Settings, guides: GuideBook) -> int:
    """After a new key was put first in COACH_ENCRYPTION_KEY: every token under it, so the
    old key can be removed."""
    from storage.encryption import InvalidToken

    language = settings.coach_language
    coach, engine = await build_coach(settings, guides)
    try:
        installations = build_slack_installations(settings, coach)
        if installations is None:
            print(guides.text(language, "cli_reencrypt_nothing"))
            return 0
        count = await installations.reencrypt()
    except InvalidToken:
        print(guides.text(language, "cli_reencrypt_unknown_key"), file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    print(guides.text(language, "cli_reencrypted", count=count))
    return 0


async def console(
    settings: Settings, guides: GuideBook, language: str | None, name: str | None = None
) -> int:
    coach, engine = await build_coach(settings, guides)
    who = Identity(
        platform="console",
        workspace="local",
        user=getpass.getuser() or "local",
        language=language or language_from_environment(settings.coach_language),
        name=name or account_full_name(),
        timezone=local_zone(),
    )
    try:
        await Console(coach, who, sys.stdin, sys.stdout).run()
    finally:
        await engine.dispose()
    return 0


def _now() -> datetime:
    return datetime.now(UTC)
