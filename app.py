"""Wiring only: settings, database, guides, channels; and the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from bot.settings import Settings
from conversation_guides import GuideBook, GuideError

log = logging.getLogger("feedback_coach")


async def build_coach(settings: Settings):
    from bot.coach import Coach
    from storage.database import open_database

    guides = GuideBook()
    # The svada rules are coaching content too: a broken file must stop start-up, not a call.
    from bot.concreteness import rules_for, warm_up

    for language in guides.guides:
        rules_for(language)
    # Lemma dictionaries and CLDR names load once here, not on a recruiter's first answer.
    warm_up()
    engine, sessions = await open_database(settings.database_url)
    return Coach(sessions, guides, settings), engine


def build_slack_installations(settings: Settings, coach: Any) -> Any:
    """OAuth mode: the app's Slack installations on our database, built once here and passed to
    the Slack channel and the notifiers. None in single-workspace mode (SLACK_BOT_TOKEN)."""
    if not settings.slack_oauth:
        return None
    from bot.channels.slack.installations import build
    from bot.channels.slack.notify import web_client
    from storage.encryption import Cipher

    assert settings.coach_encryption_key and settings.slack_client_id  # checked by Settings
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


def slack_bot_tokens(settings: Settings, coach: Any) -> Any:
    """Each workspace's bot token from the installation store (OAuth); None without OAuth."""
    installations = build_slack_installations(settings, coach)
    return installations.bot_token if installations is not None else None


async def run_reencrypt(settings: Settings) -> int:
    """After a new key was put first in COACH_ENCRYPTION_KEY: every token under it, so the
    old key can be removed."""
    from storage.encryption import InvalidToken

    coach, engine = await build_coach(settings)
    try:
        installations = build_slack_installations(settings, coach)
        if installations is None:
            print("Nothing to re-encrypt: Slack OAuth mode (SLACK_CLIENT_ID) is off.")
            return 0
        count = await installations.reencrypt()
    except InvalidToken:
        print(
            "A stored token opens with none of the keys in COACH_ENCRYPTION_KEY: list the key"
            " it was written with after the new one, run this again, then remove the old key.",
            file=sys.stderr,
        )
        return 2
    finally:
        await engine.dispose()
    print(f"Re-encrypted the tokens of {count} Slack installations under the first key.")
    return 0


async def run_console(settings: Settings, language: str | None, name: str | None = None) -> int:
    from bot.channels.console import (
        Console,
        account_full_name,
        language_from_environment,
        local_zone,
    )
    from bot.messages import Identity

    coach, engine = await build_coach(settings)
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


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="feedback-coach",
        description="Feedback Call Coach: prepare and log feedback calls to rejected candidates.",
    )
    sub = root.add_subparsers(dest="command")
    console = sub.add_parser("console", help="the coach in a terminal")
    console.add_argument("--lang", choices=("nb", "en"), help="language (default: your locale)")
    console.add_argument(
        "--name", help="your name in the call script (default: your account's full name)"
    )
    serve = sub.add_parser("serve", help="HTTP server for Slack and Teams")
    serve.add_argument("--port", type=int, help="port (default: $PORT or 3000)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    remind = sub.add_parser("remind", help="send the weekly reminders that are due, then exit")
    remind.add_argument("--now", action="store_true", help="send every reminder not sent this week")
    sub.add_parser("purge", help="apply the retention policy, then exit")
    intake = sub.add_parser("import", help="add rejected candidates from a CSV file")
    intake.add_argument(
        "file", help="CSV: name, position, recruiter e-mail or user id, date, internal"
    )
    intake.add_argument("--workspace", help="the workspace's id (needed when there are several)")
    intake.add_argument(
        "--dry-run", action="store_true", help="show what would happen, store nothing"
    )
    sub.add_parser(
        "reencrypt",
        help="write every stored Slack token under the first COACH_ENCRYPTION_KEY, then exit",
    )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "console"
    # The terminal coach talks to a person on stdout; logs go to stderr only, and only from
    # WARNING up, so no log line lands in the conversation. The services log their progress.
    level = logging.WARNING if command == "console" else logging.INFO
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    # aiosqlite's DEBUG lines quote SQL parameters, i.e. candidate names and notes.
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    try:
        settings = Settings()
        if command == "console":
            return asyncio.run(
                run_console(settings, getattr(args, "lang", None), getattr(args, "name", None))
            )
        if command == "serve":
            from bot.server import serve

            return asyncio.run(serve(settings, port=args.port, host=args.host))
        if command == "remind":
            from bot.reminders import run_once

            return asyncio.run(run_once(settings, everyone=args.now))
        if command == "purge":
            from bot.retention import purge_command

            return asyncio.run(purge_command(settings))
        if command == "import":
            from bot.intake.csv_import import import_command

            return asyncio.run(
                import_command(
                    settings,
                    args.file,
                    args.workspace,
                    args.dry_run,
                    tokens_for=lambda coach: slack_bot_tokens(settings, coach),
                )
            )
        if command == "reencrypt":
            return asyncio.run(run_reencrypt(settings))
    except ValidationError as error:
        # A check across fields has no location; only the message then (never the input).
        problems = "; ".join(
            ": ".join(filter(None, (".".join(str(part) for part in e["loc"]), e["msg"])))
            for e in error.errors()
        )
        print(f"The configuration is not valid: {problems}", file=sys.stderr)
        return 2
    except GuideError as error:
        print(f"The coaching guides could not be loaded: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
