"""Wiring only: settings, database, guides, channels; and the command line."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.settings import Settings
from conversation_guides import GuideBook, GuideError

log = logging.getLogger("feedback_coach")


async def build_coach(settings: Settings):
    from bot.coach import Coach
    from storage.database import open_database

    guides = GuideBook()
    # The svada rules are coaching content too: a broken file must stop start-up, not a call.
    from bot.concreteness import rules_for

    for language in guides.guides:
        rules_for(language)
    engine, sessions = await open_database(settings.database_url)
    return Coach(sessions, guides, settings), engine


async def run_console(settings: Settings, language: str | None) -> int:
    from bot.channels.console import Console, language_from_environment, local_zone
    from bot.messages import Identity

    coach, engine = await build_coach(settings)
    who = Identity(
        platform="console",
        workspace="local",
        user=getpass.getuser() or "local",
        language=language or language_from_environment(settings.coach_language),
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
    serve = sub.add_parser("serve", help="HTTP server for Slack and Teams")
    serve.add_argument("--port", type=int, help="port (default: $PORT or 3000)")
    remind = sub.add_parser("remind", help="send the weekly reminders that are due, then exit")
    remind.add_argument("--now", action="store_true", help="send every reminder not sent this week")
    sub.add_parser("purge", help="apply the retention policy, then exit")
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
            return asyncio.run(run_console(settings, getattr(args, "lang", None)))
        if command == "serve":
            from bot.server import serve

            return asyncio.run(serve(settings, port=args.port))
        if command == "remind":
            from bot.reminders import run_once

            return asyncio.run(run_once(settings, everyone=args.now))
        if command == "purge":
            from bot.retention import purge_command

            return asyncio.run(purge_command(settings))
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
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
