"""One whole conversation as data, played through every channel: the engine, the terminal,
Slack and Teams each bring a driver (say a line, get the answer's text) and the same table.

A channel that drifts from the others (a command it drops, words it changes) fails here.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

from bot.channels.console import Console
from bot.coach import Coach
from bot.messages import Identity, Inbound

# (what the recruiter writes, what the coach's answer contains), in this order.
CONVERSATION: list[tuple[str, str]] = [
    ("help", "Nobody is waiting for a call from you right now."),
    # The slash command's name may lead, as recruiters used to Slack write it anywhere.
    ("feedback-call add Kari Nordmann | Nurse", "Added Kari Nordmann ("),
    ("add Ola Hansen | Nurse | internal", "internal applicant, for the Nurse position"),
    ("list", "Your candidates (2), oldest first:"),
    ("log Ola no-answer", "Logged: no answer from Ola Hansen (try 1)."),
    ("log Ola skipped", "Please say why you skip this call"),
    ("log Ola skipped we meet in person on Monday", "Logged: Ola Hansen – skipped."),
    ("log Kari called", "Logged: Kari Nordmann – called."),
    ("log Kari called", "Kari Nordmann is already logged as called. Nothing was changed."),
    ("log Kari declined", "Kari Nordmann is logged as called. Change it to did not want feedback?"),
    ("report", "Nurse: 1 called, 0 declined, 1 skipped, 0 waiting – 50% of 2 reached"),
    ("report Nurse", "Nurse: 1 called"),
    ("remind fri 14:30", "every Friday at 14:30 (Europe/Oslo)"),
    ("remind off", "Weekly reminders are off."),
    ("log Nobody called", "I can't find “Nobody” among your candidates."),
    ("dance", "I don't know the command “dance”."),
    ("frobnicate", "I don't know the command “frobnicate”"),
    ("add just a name", "Try: add Kari Nordmann | Sales manager"),
    ("log Ola", "What happened?"),
    ("remind fri 25:00", "Give the time as HH:MM"),
]

# Said in a chat or after /feedback-call with nothing else: the help (a terminal skips a
# blank line instead, so this row is for Slack and Teams).
EMPTY = ("", "I help you give rejected candidates")

Say = Callable[[str], Awaitable[str]]


async def play(say: Say, conversation: list[tuple[str, str]] = CONVERSATION) -> None:
    for said, expected in conversation:
        answer = await say(said)
        assert expected in answer, (said, answer)


def engine_driver(coach: Coach, who: Identity) -> Say:
    """The engine itself: what every channel hands on, and the replies it gets back."""

    async def say(text: str) -> str:
        replies = await coach.handle(who, Inbound(text=text))
        return "\n".join(reply.text for reply in replies)

    return say


def terminal_driver(coach: Coach, who: Identity) -> Say:
    """The terminal channel (bot.channels.console), one typed line per session, as piped in."""

    async def say(text: str) -> str:
        out = io.StringIO()
        await Console(coach, who, io.StringIO(text + "\n"), out).run()
        lines = out.getvalue().splitlines()
        language = who.language or coach.settings.coach_language
        # Between the welcome and the goodbye: the answer to the line.
        assert lines[0] == coach.t(language, "console_welcome"), lines
        assert lines[-1] == coach.t(language, "console_bye"), lines
        return "\n".join(lines[1:-1])

    return say
