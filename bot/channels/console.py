"""The terminal channel: the grammar at a prompt, the checklist as questions."""

from __future__ import annotations

import asyncio
import locale
import os
from typing import TextIO

from bot.coach import Coach, StepResult
from bot.messages import Form, Identity, Inbound, Language, Reply

QUIT_WORDS = frozenset({"quit", "exit", "avslutt", "q"})


def language_from_environment(default: Language) -> Language:
    """nb for a Norwegian locale (nb, nn, no), else the configured default."""
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(variable, "")
        if value:
            return "nb" if value[:2].lower() in ("nb", "nn", "no") else default
    current = locale.getlocale()[0] or ""
    return "nb" if current[:2].lower() in ("nb", "nn", "no") else default


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
        """Print a reply and walk its checklist; False when input ended."""
        self.say(reply.text)
        if reply.form is None:
            return True
        return await self.walk(reply.form)

    async def walk(self, form: Form) -> bool:
        self.say(form.intro)
        total = len(form.fields)
        for number, field in enumerate(form.fields, start=1):
            self.say("")
            self.say(self.t("console_step", number=number, total=total, title=field.label))
            if field.value:
                self.say(self.t("console_saved", value=field.value))
                continue
            self.say(field.question)
            self.say(self.t("console_tip", tip=field.tip))
            self.say(self.t("console_example", example=field.example))
            if not field.required:
                self.say(self.t("console_optional"))
            while True:
                answer = await self.read("» ")
                if answer is None:
                    self.say(self.t("console_paused", id=form.candidate_id))
                    return False
                result = await self.coach.answer_step(
                    self.who, form.candidate_id, field.key, answer
                )
                while not result.accepted and result.confirmable:
                    # Risky: kept only if they name the requirement it is about.
                    self.say(result.message)
                    self.say(self.t("console_confirm"))
                    requirement = await self.read("» ")
                    if requirement is None:
                        self.say(self.t("console_paused", id=form.candidate_id))
                        return False
                    if not requirement.strip():
                        result = StepResult(False)
                        break
                    result = await self.coach.answer_step(
                        self.who, form.candidate_id, field.key, answer, requirement=requirement
                    )
                if result.accepted:
                    break
                if result.message:
                    self.say(result.message)
        self.say("")
        script = await self.coach.finish(self.who, form.candidate_id)
        self.say(script.text)
        return True

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
