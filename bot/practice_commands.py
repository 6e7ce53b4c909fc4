"""`practice <candidate>` (nb `øv`): the engine side of a practice call.

The role-play itself is `bot.practice` (pure). This module reads what it needs (the
recruiter's prepared points, the position, the guide's must-say lines), hands each line to the
rehearsal, and stores only that a practice happened, when and its scores. What the recruiter
types travels in the practice state the channel keeps (see `PracticeView.state`): it is never
written to the database and never logged.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot import commands
from bot.messages import Identity, PracticeLine, PracticeView, Reply
from bot.practice import (
    PracticeSetup,
    PracticeState,
    Rehearsal,
    pack,
    scenario_for,
    unpack,
)
from conversation_guides.practice import SCENARIO_ORDER
from storage import practice as store
from storage import queries
from storage.tables import Candidate

if TYPE_CHECKING:
    from bot.coach import Coach, Context

Handler = Callable[["Context", commands.Command], Awaitable[list[Reply]]]
# A line longer than this is not something anyone says in one breath on the phone.
MAX_LINE = 1000
MAX_SEED = 999_999


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED + 1)


def new_run_key() -> str:
    return secrets.token_urlsafe(12)


class PracticeCommands:
    def __init__(self, coach: Coach) -> None:
        self.coach = coach
        # Replaceable in tests; a seed decides the scenario (when not named) and every line.
        self.seeds: Callable[[], int] = new_seed

    def handlers(self) -> dict[str, Handler]:
        return {"practice": self.start}

    def t(self, language: str, key: str, **values: object) -> str:
        return self.coach.t(language, key, **values)

    # -- starting -----------------------------------------------------------------------

    async def start(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Practice)
        candidate, problem = await self.coach._resolve(ctx, command.candidate)
        if candidate is None:
            return [problem]
        language = ctx.language
        guide = self.coach.guides.practice(language)
        seed = command.seed if command.seed is not None else self.seeds()
        scenario = scenario_for(guide, command.scenario, seed)
        if scenario is None:
            choices = ", ".join(guide.scenarios[key].words[0] for key in SCENARIO_ORDER)
            text = self.t(
                language, "practice_unknown_scenario", value=command.scenario, choices=choices
            )
            return [Reply(text=text)]
        # Every seed names its scenario (seed % 6), so "øv <ref> | <seed>" repeats it exactly.
        seed = seed - seed % len(SCENARIO_ORDER) + SCENARIO_ORDER.index(scenario)
        setup = await self._setup(ctx, candidate, language, scenario, seed)
        if setup is None:
            text = self.t(
                language, "practice_not_prepared", name=candidate.name, id=candidate.public_id
            )
            return [Reply(text=text)]
        state, first = Rehearsal(guide).begin(setup, new_run_key())
        intro = self.t(
            language,
            "practice_intro",
            name=candidate.name,
            first_name=setup.first_name,
            position=setup.position,
        )
        view = self._view(setup, state, intro=intro)
        return [Reply(text=f"{intro}\n\n{setup.first_name}: {first}", practice=view)]

    async def _setup(
        self, ctx: Context, candidate: Candidate, language: str, scenario: str, seed: int
    ) -> PracticeSetup | None:
        """The recruiter's own preparation; None until every required point is answered."""
        guide = self.coach.guides.guide(language)
        preparation = await queries.get_preparation(ctx.session, candidate)
        saved = {a.step_key: a.text for a in preparation.answers} if preparation else {}
        steps = guide.steps_for(candidate.internal)
        if not saved or any(step.required and not saved.get(step.key) for step in steps):
            return None
        return PracticeSetup(
            language=language,  # type: ignore[arg-type]
            candidate_name=candidate.name or "",
            candidate_ref=candidate.public_id,
            position=candidate.position.title,
            points={step.key: saved[step.key] for step in steps if saved.get(step.key)},
            must_say=self.coach.guides.script(language).must_say(candidate.internal),
            pool_months=self.coach.settings.coach_talent_pool_months,
            scenario=scenario,  # type: ignore[arg-type]
            seed=seed,
        )

    # -- one line at a time -------------------------------------------------------------

    async def turn(self, who: Identity, token: str | None, line: str, stop: bool = False) -> Reply:
        """The candidate's answer to one recruiter line, or the debrief when the call ends.

        `stop`: the recruiter pressed a button to end the practice (as typing stop does).
        """
        state = unpack(token)
        if state is None:
            language = await self.coach.language_for(who)
            return Reply(text=self.t(language, "practice_expired"))
        language = state.lang
        guide = self.coach.guides.practice(language)
        line = guide.detect.stop[0] if stop else commands.clean(line or "")
        try:
            async with self.coach.sessions.begin() as session:
                ctx = await self.coach._context(session, who)
                candidate = await self.coach._own_candidate(ctx, state.ref)
                if candidate is None:
                    return Reply(text=self.t(language, "not_found", ref=state.ref))
                setup = await self._setup(ctx, candidate, language, state.scenario, state.seed)
                if setup is None:
                    text = self.t(
                        language,
                        "practice_not_prepared",
                        name=candidate.name,
                        id=candidate.public_id,
                    )
                    return Reply(text=text)
                if not line or len(line) > MAX_LINE:
                    key = "practice_empty" if not line else "practice_too_long"
                    notice = self.t(language, key, name=setup.first_name, limit=MAX_LINE)
                    return Reply(text=notice, practice=self._view(setup, state, intro=notice))
                rehearsal = Rehearsal(guide)
                result = rehearsal.step(setup, state, line)
                if result.debrief is None:
                    assert result.candidate is not None
                    view = self._view(setup, result.state)
                    return Reply(text=f"{setup.first_name}: {result.candidate}", practice=view)
                debrief = result.debrief
                await store.record_run(
                    session,
                    ctx.recruiter,
                    candidate,
                    state.run,
                    scenario=state.scenario,
                    language=language,
                    exchanges=debrief.exchanges,
                    passed=debrief.passed,
                    checked=debrief.checked,
                    results=debrief.results,
                    now=ctx.now,
                )
                text = debrief.text
                if result.candidate:
                    text = f"{setup.first_name}: {result.candidate}\n\n{text}"
                view = self._view(setup, result.state, intro=text, done=True)
                return Reply(text=text, practice=view)
        except self._database_errors() as error:
            return self.coach._database_down(who, error)

    def _database_errors(self) -> tuple[type[BaseException], ...]:
        from bot.coach import DATABASE_ERRORS

        return DATABASE_ERRORS

    def _view(
        self, setup: PracticeSetup, state: PracticeState, intro: str = "", done: bool = False
    ) -> PracticeView:
        language = setup.language
        you = self.t(language, "practice_you")
        lines = [
            PracticeLine(
                speaker="recruiter" if line.who == "r" else "candidate",
                label=you if line.who == "r" else setup.first_name,
                text=line.text,
            )
            for line in state.history
        ]
        return PracticeView(
            candidate_id=setup.candidate_ref,
            title=self.t(language, "practice_title", name=setup.first_name),
            intro=intro,
            lines=lines,
            prompt=self.t(language, "practice_prompt", name=setup.first_name),
            say_label=self.t(language, "practice_say"),
            stop_label=self.t(language, "practice_stop"),
            state="" if done else pack(state),
            done=done,
        )
