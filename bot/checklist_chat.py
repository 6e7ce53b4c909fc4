"""The call checklist as a chat, one point at a time (terminal, Teams chat).

Every chat-style channel walks the checklist through this module, so the same words do the
same thing everywhere: `skip`/`hopp over`, `back`/`tilbake`, `stop`/`stopp`, `help`/`hjelp`.
A line that reads as a command of the grammar is not silently stored as an answer: the coach
asks whether it was meant as the command. Saved answers are offered as the default, so
`start` on a prepared candidate is how answers are edited; the script is then rebuilt.

The channel keeps the small `Walk` between turns (the terminal in memory, Teams in its
conversation state, which lives in the database); the answers themselves are stored at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from bot import commands
from bot.coach import Coach
from bot.messages import Form, FormField, Identity, Inbound, Reply

Navigation = Literal["skip", "back", "stop", "help"]

# The navigation words of DESIGN.md, English and Norwegian.
NAVIGATION: dict[str, Navigation] = {
    "skip": "skip",
    "hopp over": "skip",
    "hopp": "skip",
    "back": "back",
    "tilbake": "back",
    "stop": "stop",
    "stopp": "stop",
    "help": "help",
    "hjelp": "help",
    "?": "help",
}
YES = frozenset({"yes", "y", "ja", "j"})
NO = frozenset({"no", "n", "nei"})
_EDGES = re.compile(r"^[\s\"'«»“”]+|[\s.!\"'«»“”]+$")


def navigation_word(text: str) -> Navigation | None:
    """The navigation a line asks for, if it is nothing but one of the words."""
    return NAVIGATION.get(" ".join(_EDGES.sub("", text).casefold().split()))


def _yes_no(text: str) -> bool | None:
    word = _EDGES.sub("", text).casefold()
    return True if word in YES else False if word in NO else None


class Walk(BaseModel):
    """Where a recruiter is in a chat checklist: what a channel keeps between two turns."""

    candidate_id: str
    step: int = 0
    # A command typed mid-checklist, waiting for "yes, run it" or "no, it is my answer".
    asking: str | None = None
    # An answer flagged as risky, waiting for the requirement it is about (empty: drop it).
    confirming: str | None = None
    # Every point answered; waiting for "among the strongest?" (external candidates only).
    deciding_strongest: bool = False


@dataclass
class Turn:
    """What to say after one line: text, replies of a command run meanwhile, the new state."""

    lines: list[str] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    walk: Walk | None = None
    # The call script, when the last point was answered, and whose it is.
    script: Reply | None = None
    candidate_id: str = ""


class ChatChecklist:
    def __init__(self, coach: Coach, who: Identity, language: str) -> None:
        self.coach = coach
        self.who = who
        self.language = language

    def t(self, key: str, **values: object) -> str:
        return self.coach.t(self.language, key, **values)

    async def begin(self, form: Form) -> Turn:
        """The intro and the first point of a checklist a `start` reply carried."""
        turn = Turn(
            lines=[form.intro, self.t("chat_navigation")],
            walk=Walk(candidate_id=form.candidate_id),
        )
        turn.lines += self.prompt(form, 0)
        return turn

    def prompt(self, form: Form, step: int) -> list[str]:
        item = form.fields[step]
        lines = [
            "",
            self.t("console_step", number=step + 1, total=len(form.fields), title=item.label),
            item.question,
            self.t("console_tip", tip=item.tip),
            self.t("console_example", example=item.example),
        ]
        if item.value:
            lines.append(self.t("chat_saved_default", value=item.value))
        elif item.start:
            # What the recruiter wrote once for the whole position: Enter takes it.
            lines += [self.t("console_start", value=item.start), self.t("console_use_start")]
        elif not item.required:
            lines.append(self.t("console_optional"))
        return lines

    def strongest_prompt(self, form: Form) -> list[str]:
        return ["", form.strongest_question or "", self.t("console_strongest")]

    async def _form(self, walk: Walk) -> tuple[Form | None, list[Reply]]:
        """The checklist with what is saved now (answers may have changed since last turn)."""
        replies = await self.coach.handle(self.who, Inbound(text=f"start {walk.candidate_id}"))
        form = next((reply.form for reply in replies if reply.form is not None), None)
        return form, replies

    async def turn(self, walk: Walk, text: str) -> Turn:
        """One line typed while walking the checklist."""
        form, replies = await self._form(walk)
        if form is None:
            # The candidate is gone (erased) or the store is down: say why and leave.
            return Turn(lines=[reply.text for reply in replies])
        if walk.deciding_strongest:
            return await self._strongest(walk, form, text)
        step = min(walk.step, len(form.fields) - 1)
        item = form.fields[step]
        if walk.confirming is not None:
            flagged, walk.confirming = walk.confirming, None
            if not text.strip():
                # Nothing named: the flagged text is dropped, the point asked again.
                return Turn(lines=self.prompt(form, step)[1:], walk=walk)
            return await self._answer(walk, form, step, flagged, requirement=text)
        if walk.asking is not None:
            asked, walk.asking = walk.asking, None
            meant = _yes_no(text)
            if meant is True:
                return await self._run_command(walk, form, step, asked)
            if meant is False:
                return await self._answer(walk, form, step, asked)
        navigation = navigation_word(text)
        if navigation == "help":
            return Turn(lines=self.prompt(form, step)[1:], walk=walk)
        if navigation == "back":
            if step == 0:
                return Turn(lines=[self.t("chat_first_point"), *self.prompt(form, 0)], walk=walk)
            walk.step = step - 1
            return Turn(lines=self.prompt(form, walk.step), walk=walk)
        if navigation == "stop":
            return Turn(lines=[self.t("chat_stopped", id=form.candidate_id)])
        if not text.strip() and item.start and not item.value:
            # The position's starting point, checked like anything typed.
            return await self._answer(walk, form, step, item.start)
        if navigation == "skip" or not text.strip():
            return await self._skip(walk, form, step, item, typed=navigation == "skip")
        if commands.is_command(text):
            walk.asking = text.strip()
            shown = " ".join(text.split())[:80]
            return Turn(lines=[self.t("chat_command_or_answer", text=shown)], walk=walk)
        return await self._answer(walk, form, step, text)

    async def _skip(self, walk: Walk, form: Form, step: int, item: FormField, typed: bool) -> Turn:
        if item.value or not item.required:
            # Nothing stored: a saved answer stays as it is, an optional point stays empty.
            return await self._next(walk, form, step)
        key = "chat_cannot_skip" if typed else "answer_required"
        return Turn(lines=[self.t(key)], walk=walk)

    async def _answer(
        self, walk: Walk, form: Form, step: int, text: str, requirement: str | None = None
    ) -> Turn:
        item = form.fields[step]
        result = await self.coach.answer_step(
            self.who, form.candidate_id, item.key, text, requirement=requirement
        )
        if not result.accepted and result.confirmable:
            # Risky: kept only if they name the requirement of the position it is about.
            walk.confirming = text
            return Turn(lines=[result.message, self.t("console_confirm")], walk=walk)
        if not result.accepted:
            return Turn(lines=[result.message] if result.message else [], walk=walk)
        return await self._next(walk, form, step)

    async def _next(self, walk: Walk, form: Form, step: int) -> Turn:
        if step + 1 < len(form.fields):
            walk.step = step + 1
            return Turn(lines=self.prompt(form, walk.step), walk=walk)
        if form.strongest_question:
            walk.deciding_strongest = True
            return Turn(lines=self.strongest_prompt(form), walk=walk)
        return await self._script(form)

    async def _strongest(self, walk: Walk, form: Form, text: str) -> Turn:
        """The yes/no after the last point; Enter keeps what was marked before."""
        navigation = navigation_word(text)
        if navigation == "stop":
            return Turn(lines=[self.t("chat_stopped", id=form.candidate_id)])
        if navigation == "back":
            walk.deciding_strongest = False
            walk.step = len(form.fields) - 1
            return Turn(lines=self.prompt(form, walk.step), walk=walk)
        if navigation == "help":
            return Turn(lines=self.strongest_prompt(form)[1:], walk=walk)
        if commands.is_command(text):
            # Not a yes or no: the command runs, then the question again.
            turn = await self._run_command(walk, form, len(form.fields) - 1, text)
            if turn.walk is walk:
                turn.lines = ["", self.t("chat_back_to_point"), *self.strongest_prompt(form)[1:]]
            return turn
        strongest = _yes_no(text) if text.strip() else form.strongest
        if strongest is None:
            return Turn(lines=[self.t("console_strongest")], walk=walk)
        await self.coach.mark_strongest(self.who, form.candidate_id, strongest)
        return await self._script(form)

    async def _script(self, form: Form) -> Turn:
        script = await self.coach.finish(self.who, form.candidate_id)
        return Turn(lines=[""], script=script, candidate_id=form.candidate_id)

    async def _run_command(self, walk: Walk, form: Form, step: int, text: str) -> Turn:
        replies = await self.coach.handle(self.who, Inbound(text=text))
        started = next((reply.form for reply in replies if reply.form is not None), None)
        if started is not None:
            # They asked for another checklist (or this one again): walk that one instead.
            turn = await self.begin(started)
            turn.replies = [reply.model_copy(update={"form": None}) for reply in replies]
            return turn
        lines = ["", self.t("chat_back_to_point"), *self.prompt(form, step)[1:]]
        return Turn(lines=lines, replies=replies, walk=walk)
