"""`practice <candidate>` (nb `øv`): the engine side of a practice call.

The role-play itself is `bot.practice` (pure). This module reads what it needs (the
recruiter's prepared points, the position, the guide's must-say lines), hands each line to the
rehearsal, and stores only that a practice happened, when and its scores. What the recruiter
types travels in the practice state the channel keeps (see `PracticeView.state`): it is never
written to the database and never logged.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from bot import commands
from bot.engine.candidates import Candidates
from bot.engine.context import Concept, Context, Handler, Services, own_candidate
from bot.messages import Identity, PracticeLine, PracticeView, Reply, Status
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
from storage.errors import DATABASE_ERRORS
from storage.tables import Candidate

# A line longer than this is not something anyone says in one breath on the phone.
MAX_LINE = 1000
MAX_SEED = 999_999


def new_seed() -> int:
    return secrets.randbelow(MAX_SEED + 1)


def new_run_key() -> str:
    return secrets.token_urlsafe(12)


class Practice(Concept):
    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.candidates = Candidates(services)
        # Replaceable in tests; a seed decides the scenario (when not named) and every line.
        self.seeds: Callable[[], int] = new_seed

    def handlers(self) -> dict[str, Handler]:
        return {"practice": self.start}

    # -- starting -----------------------------------------------------------------------

    async def start(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Practice)
        candidate, problem = await self.candidates.resolve(ctx, command.candidate)
        if candidate is None:
            return [problem]
        language = ctx.language
        guide = self.services.guides.practice(language)
        seed = command.seed if command.seed is not None else self.seeds()
        scenario = scenario_for(guide, command.scenario, seed)
        if scenario is None:
            choices = ", ".join(guide.scenarios[key].words[0] for key in SCENARIO_ORDER)
            text = self.t(
                language, "practice_unknown_scenario", value=command.scenario, choices=choices
            )
            return [self.refused(text, candidate)]
        # Every seed names its scenario (seed % 6), so "øv <ref> | <seed>" repeats it exactly.
        seed = seed - seed % len(SCENARIO_ORDER) + SCENARIO_ORDER.index(scenario)
        setup = await self._setup(ctx, candidate, language, scenario, seed)
        if setup is None:
            text = self.t(
                language, "practice_not_prepared", name=candidate.name, id=candidate.public_id
            )
            return [self.refused(text, candidate)]
        state, first = Rehearsal(guide).begin(setup, new_run_key())
        intro = self.t(
            language,
            "practice_intro",
            name=candidate.name,
            first_name=setup.first_name,
            position=setup.position,
        )
        view = self._view(setup, state, intro=intro)
        text = f"{intro}\n\n{setup.first_name}: {first}"
        return [Reply(text=text, practice=view, candidate_id=candidate.public_id)]

    async def _setup(
        self, ctx: Context, candidate: Candidate, language: str, scenario: str, seed: int
    ) -> PracticeSetup | None:
        """The recruiter's own preparation; None until every required point is answered."""
        guide = self.services.guides.guide(language)
        preparation = await queries.get_preparation(ctx.session, candidate)
        saved = {a.step_key: a.text for a in preparation.answers} if preparation else {}
        steps = guide.steps_for(candidate.internal)
        if not saved or any(step.required and not saved.get(step.key) for step in steps):
            return None
        return PracticeSetup(
            language=language,
            candidate_name=candidate.name or "",
            candidate_ref=candidate.public_id,
            position=candidate.position.title,
            points={step.key: saved[step.key] for step in steps if saved.get(step.key)},
            must_say=self.services.guides.script(language).must_say(candidate.internal),
            pool_months=self.services.settings.coach_talent_pool_months,
            scenario=scenario,
            seed=seed,
        )

    # -- one line at a time -------------------------------------------------------------

    async def turn(self, who: Identity, token: str | None, line: str, stop: bool = False) -> Reply:
        """The candidate's answer to one recruiter line, or the debrief when the call ends.

        `stop`: the recruiter pressed a button to end the practice (as typing stop does).
        """
        state = unpack(token)
        if state is None:
            language = await self.services.language_for(who)
            return self.refused(self.t(language, "practice_expired"))
        language = state.lang
        guide = self.services.guides.practice(language)
        line = guide.detect.stop[0] if stop else commands.clean(line or "")
        try:
            async with self.services.sessions.begin() as session:
                ctx = await self.services.context(session, who)
                candidate = await own_candidate(ctx, state.ref)
                if candidate is None:
                    return self.refused(self.t(language, "not_found", ref=state.ref))
                setup = await self._setup(ctx, candidate, language, state.scenario, state.seed)
                if setup is None:
                    text = self.t(
                        language,
                        "practice_not_prepared",
                        name=candidate.name,
                        id=candidate.public_id,
                    )
                    return self.refused(text, candidate)
                if not line or len(line) > MAX_LINE:
                    key = "practice_empty" if not line else "practice_too_long"
                    notice = self.t(language, key, name=setup.first_name, limit=MAX_LINE)
                    view = self._view(setup, state, intro=notice)
                    return Reply(
                        text=notice,
                        practice=view,
                        status=Status.REFUSED,
                        candidate_id=candidate.public_id,
                    )
                rehearsal = Rehearsal(guide)
                result = rehearsal.step(setup, state, line)
                if result.debrief is None:
                    assert result.candidate is not None
                    view = self._view(setup, result.state)
                    text = f"{setup.first_name}: {result.candidate}"
                    return Reply(text=text, practice=view, candidate_id=candidate.public_id)
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
                    # A plain copy: the store keeps any verdict word, not only today's two.
                    results=dict(debrief.results),
                    now=ctx.now,
                )
                text = debrief.text
                if result.candidate:
                    text = f"{setup.first_name}: {result.candidate}\n\n{text}"
                view = self._view(setup, result.state, intro=text, done=True)
                return Reply(text=text, practice=view, candidate_id=candidate.public_id)
        except DATABASE_ERRORS as error:
            return self.services.database_down(who, error)

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
