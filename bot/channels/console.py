"""The terminal channel: the grammar at a prompt, the checklist as questions."""

from __future__ import annotations

import asyncio
import locale
import os
import pwd
from typing import TextIO

from bot.coach import Coach, StepResult
from bot.messages import Form, Identity, Inbound, Language, PracticeView, Reply

QUIT_WORDS = frozenset({"quit", "exit", "avslutt", "q"})
YES_WORDS = frozenset({"ja", "j", "yes", "y"})


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
        """Print a reply and walk its checklist or practice call; False when input ended."""
        self.say(reply.text)
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
            if field.start:
                self.say(self.t("console_start", value=field.start))
                self.say(self.t("console_use_start"))
            elif not field.required:
                self.say(self.t("console_optional"))
            while True:
                answer = await self.read("» ")
                if answer is None:
                    self.say(self.t("console_paused", id=form.candidate_id))
                    return False
                if field.start and not answer.strip():
                    # The position's starting point, checked like anything typed.
                    answer = field.start
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
        if form.strongest_question:
            self.say("")
            self.say(form.strongest_question)
            self.say(self.t("console_strongest"))
            answer = await self.read("» ")
            if answer is None:
                self.say(self.t("console_paused", id=form.candidate_id))
                return False
            strongest = answer.strip().casefold() in YES_WORDS
            await self.coach.mark_strongest(self.who, form.candidate_id, strongest)
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
