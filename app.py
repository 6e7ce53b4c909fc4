"""The command line: parses the arguments, then bot/wiring.py builds and runs the command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.settings import Settings
from conversation_guides import LANGUAGES, GuideError


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
    # Imported after the arguments are read: --help and a mistyped command answer at once,
    # without loading the engine first.
    from bot import wiring

    try:
        guides = wiring.load_guides()
    except GuideError as error:
        return _guides_failed(error)
    try:
        settings = Settings()
        if command == "console":
            return asyncio.run(
                wiring.console(
                    settings, guides, getattr(args, "lang", None), getattr(args, "name", None)
                )
            )
        if command == "serve":
            return asyncio.run(wiring.serve(settings, guides, port=args.port, host=args.host))
        if command == "remind":
            return asyncio.run(wiring.remind(settings, guides, everyone=args.now))
        if command == "purge":
            return asyncio.run(wiring.purge(settings, guides))
        if command == "import":
            return asyncio.run(
                wiring.import_csv(settings, guides, args.file, args.workspace, args.dry_run)
            )
        if command == "reencrypt":
            return asyncio.run(wiring.reencrypt(settings, guides))
    except ValidationError as error:
        # A check across fields has no location; only the message then (never the input).
        problems = "; ".join(
            ": ".join(filter(None, (".".join(str(part) for part in e["loc"]), e["msg"])))
            for e in error.errors()
        )
        text = guides.text(_operator_language(), "cli_configuration_invalid", problems=problems)
        print(text, file=sys.stderr)
        return 2
    except GuideError as error:
        return _guides_failed(error)
    except KeyboardInterrupt:
        return 130
    return 0


def _guides_failed(error: GuideError) -> int:
    # The one message that cannot come from the catalogs: they are what failed to load.
    print(f"The coaching guides could not be loaded: {error}", file=sys.stderr)
    return 2


def _operator_language() -> str:
    """COACH_LANGUAGE when it names a language we have, else the default: the settings could
    not be read, and COACH_LANGUAGE may be the one that is wrong."""
    chosen = os.environ.get("COACH_LANGUAGE", "")
    default = Settings.model_fields["coach_language"].default
    return chosen if chosen in LANGUAGES else default


if __name__ == "__main__":
    sys.exit(main())
