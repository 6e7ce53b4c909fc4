"""The terminal channel: the grammar at a prompt, the checklist as questions."""

from __future__ import annotations

import asyncio
import locale
import os
import pwd
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.checklist_chat import ChatChecklist, Turn, Walk
from bot.coach import Coach
from bot.messages import (
    Form,
    Identity,
    Inbound,
    Language,
    PracticeView,
    Reply,
    language_from_locale,
)

QUIT_WORDS = frozenset({"quit", "exit", "avslutt", "q"})


def account_full_name() -> str | None:
    """The OS account's full name (the first field of its GECOS entry), if it has one."""
    try:
        gecos = pwd.getpwuid(os.getuid()).pw_gecos
    except (KeyError, OSError):
        return None
    name = gecos.split(",")[0].strip()
    return name or None


def language_from_environment(default: Language) -> Language:
    """nb for a Norwegian locale (nb, nn, no), else the configured default."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(variable, "")
        if value:
            return language_from_locale(value, default) or default
    return language_from_locale(locale.getlocale()[0], default) or default


def local_zone() -> str | None:
    """The machine's time zone by its IANA name (TZ, else /etc/localtime's link), if known."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if not name:
            continue
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return name
    return None


class Console:
    def __init__(self, coach: Coach, who: Identity, stdin: TextIO, stdout: TextIO) -> None:
        self.coach = coach
        self.who = who
        self.stdin = stdin
        self.stdout = stdout
        self.language = who.language or coach.settings.coach_language
        self.interactive = stdin.isatty()

    async def run(self) -> None:
        self.say(self.t("console_welcome"))
        # The terminal cannot message anyone: on the reminder day it shows who is waiting.
        due = await self.coach.reminder_due_here(self.who)
        if due is not None:
            self.say(due.text)
        while True:
            line = await self.read("> ")
            if line is None or line.strip().casefold() in QUIT_WORDS:
                self.say(self.t("console_bye"))
                return
            if not line.strip():
                continue
            for reply in await self.coach.handle(self.who, Inbound(text=line)):
                if not await self.show(reply):
                    self.say(self.t("console_bye"))
                    return

    async def show(self, reply: Reply) -> bool:
        """Print a reply, ask its yes/no question, walk its checklist or practice call.

        False when input ended.
        """
        self.say(reply.text)
        if reply.confirm is not None:
            self.say(self.t("confirm_yes_no"))
            answer = await self.read("» ")
            if answer is None:
                return False
            if answer.strip().casefold() in ("yes", "y", "ja", "j"):
                yes = Inbound(text=reply.confirm.command)
                for follow in await self.coach.handle(self.who, yes):
                    if not await self.show(follow):
                        return False
            else:
                self.say(self.t("confirm_no"))
        if reply.practice is not None and not reply.practice.done:
            return await self.practise(reply.practice)
        if reply.form is None:
            return True
        return await self.walk(reply.form)

    async def practise(self, view: PracticeView) -> bool:
        """Plain turns: the recruiter's line, the candidate's answer, until the debrief.

        The practice state stays in this loop's memory; nothing typed here is stored.
        """
        state = view.state
        you = view.lines[0].label if view.lines and view.lines[0].speaker == "recruiter" else ""
        prompt = f"{you or self.t('practice_you')}> "
        while True:
            line = await self.read(prompt)
            if line is None:
                return False
            reply = await self.coach.practice_turn(self.who, state, line)
            self.say(reply.text)
            if reply.practice is None or reply.practice.done:
                return True
            state = reply.practice.state

    async def walk(self, form: Form) -> bool:
        """The checklist one point at a time; saved answers are the defaults (Enter keeps)."""
        checklist = ChatChecklist(self.coach, self.who, self.language)
        turn = await checklist.begin(form)
        walk = self.play(turn)
        while walk is not None:
            answer = await self.read("» ")
            if answer is None:
                self.say(self.t("console_paused", id=walk.candidate_id))
                return False
            if answer.strip().casefold() in QUIT_WORDS:
                # Everything answered is stored already; leaving is safe.
                self.say(self.t("console_paused", id=walk.candidate_id))
                return False
            turn = await checklist.turn(walk, answer)
            walk = self.play(turn)
        return True

    def play(self, turn: Turn) -> Walk | None:
        """Print what a checklist turn says; the state to carry on with, if any."""
        for reply in turn.replies:
            self.say(reply.text)
        for line in turn.lines:
            self.say(line)
        if turn.script is not None:
            self.say(turn.script.text)
        return turn.walk

    async def read(self, prompt: str) -> str | None:
        if self.interactive:
            self.stdout.write(prompt)
            self.stdout.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        return line.rstrip("\n") if line else None

    def say(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def t(self, key: str, **values: object) -> str:
        return self.coach.t(self.language, key, **values)
