"""The checklist: `start` opens it, answers are judged and stored step by step or as a whole
form, and once every required step has an answer the call script is made (bot.script)."""

from __future__ import annotations

from bot import commands, confirmation, script
from bot.concreteness import Assessment, assess
from bot.engine.candidates import Candidates
from bot.engine.context import (
    Concept,
    Context,
    Handler,
    Services,
    StepResult,
    own_candidate,
    preparation,
)
from bot.messages import MAX_ANSWER, Form, FormField, Identity, Reply, Status
from conversation_guides.schema import Guide, Step
from storage import queries
from storage.errors import DATABASE_ERRORS
from storage.tables import CallPreparation, Candidate, Workspace


class Checklist(Concept):
    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.candidates = Candidates(services)

    def handlers(self) -> dict[str, Handler]:
        return {"start": self.start}

    # -- the command --------------------------------------------------------------------

    async def start(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Start)
        candidate, problem = await self.candidates.resolve(ctx, command.candidate)
        if candidate is None:
            return [problem]
        guide = self.services.guides.guide(ctx.language)
        prepared = await preparation(ctx, candidate, guide)
        form = self.form(ctx, candidate, prepared, guide)
        resumed = any(field.value for field in form.fields)
        if prepared.completed_at is not None:
            key = "start_edit"
        else:
            key = "start_resume" if resumed else "start_intro"
        text = self.t(ctx.language, key, name=candidate.name, position=candidate.position.title)
        note = await queries.last_note(ctx.session, candidate)
        if note or candidate.attempts:
            text += "\n" + self.t(
                ctx.language, "start_history", attempts=candidate.attempts, note=note or "–"
            )
        return [Reply(text=text, form=form, candidate_id=candidate.public_id)]

    # -- what channels call directly -----------------------------------------------------

    async def answer_step(
        self,
        who: Identity,
        candidate_id: str,
        step_key: str,
        text: str,
        requirement: str | None = None,
    ) -> StepResult:
        """Store one answer typed at a prompt, unless it must be made concrete first.

        `requirement`: for a text flagged as risky, which requirement of the position the
        recruiter confirms it is about; the only way such a text is kept.
        """
        services = self.services
        try:
            async with services.sessions.begin() as session:
                ctx = await services.context(session, who)
                candidate = await own_candidate(ctx, candidate_id)
                if candidate is None:
                    return StepResult(False, self.t(ctx.language, "not_found", ref=candidate_id))
                guide = services.guides.guide(ctx.language)
                steps = guide.steps_for(candidate.internal)
                step = next((s for s in steps if s.key == step_key), None)
                if step is None:
                    # A step key from a form payload; nothing trusts it until it is one of ours.
                    return StepResult(False, self.t(ctx.language, "problem_unknown_step"))
                prepared = await preparation(ctx, candidate, guide)
                text = commands.clean(text)
                wanted = commands.clean(requirement or "")
                verdict = self.check_answer(ctx.language, prepared, step, text, wanted)
                if verdict.error:
                    message = verdict.requirement_error or verdict.error
                    return StepResult(False, message, confirmable=verdict.confirmable)
                queries.set_answer(prepared, step.key, text, ctx.now)
                self.confirmed(ctx, candidate, prepared, step.key, wanted, verdict)
                return StepResult(True)
        except DATABASE_ERRORS as error:
            return StepResult(False, services.database_down(who, error).text)

    async def submit(
        self,
        who: Identity,
        candidate_id: str,
        answers: dict[str, str],
        idempotency_key: str | None = None,
        strongest: bool | None = None,
    ) -> Reply:
        """Store a filled-in checklist; a reply with a form means some fields need work.

        With an `idempotency_key` seen before (a platform re-delivering the same submission),
        nothing changes: the fields that still need work come back as before, and a checklist
        that was accepted answers `already_handled`. Otherwise a retried delivery would count
        as "the same text again" and accept a flagged vague answer.

        `strongest`: the recruiter's "among the strongest" mark (external candidates only);
        None leaves what is stored.
        """
        services = self.services
        try:
            return await services.again_if_stale(
                lambda: self._submit(who, candidate_id, answers, idempotency_key, strongest)
            )
        except DATABASE_ERRORS as error:
            return services.database_down(who, error)

    async def _submit(
        self,
        who: Identity,
        candidate_id: str,
        answers: dict[str, str],
        idempotency_key: str | None,
        strongest: bool | None,
    ) -> Reply:
        """`submit` in one transaction; a database error is raised."""
        services = self.services
        async with services.sessions.begin() as session:
            ctx = await services.context(session, who)
            opened = await self.opened(ctx, candidate_id)
            if isinstance(opened, Reply):
                return opened
            candidate, prepared, guide = opened
            repeated = bool(idempotency_key) and not await queries.claim_event(
                session, str(idempotency_key), ctx.now
            )
            if strongest is not None and not candidate.internal:
                prepared.strongest = strongest
            saved = {answer.step_key: answer.text for answer in prepared.answers}
            errors: dict[str, str] = {}
            # Risky steps get a second field: which requirement the text is about.
            confirmable: dict[str, str | None] = {}
            for step in guide.steps_for(candidate.internal):
                text = commands.clean(answers.get(step.key) or "")
                wanted = commands.clean(answers.get(confirmation.field_key(step.key)) or "")
                if repeated:
                    # Judge as the first delivery did: a vague text only passed if stored.
                    if saved.get(step.key, "") != text or (step.required and not text):
                        verdict = self.check_answer_again(ctx.language, step, text)
                        if verdict.error:
                            errors[step.key] = verdict.error
                        if verdict.confirmable:
                            confirmable[step.key] = None
                    continue
                verdict = self.check_answer(ctx.language, prepared, step, text, wanted)
                if verdict.confirmable and verdict.error:
                    confirmable[step.key] = verdict.requirement_error
                if verdict.error:
                    errors[step.key] = verdict.error
                else:
                    queries.set_answer(prepared, step.key, text, ctx.now)
                    self.confirmed(ctx, candidate, prepared, step.key, wanted, verdict)
            if errors:
                form = self.form(ctx, candidate, prepared, guide)
                fields = []
                for field in form.fields:
                    field.error = errors.get(field.key)
                    field.value = (answers.get(field.key) or field.value).strip()
                    fields.append(field)
                    if field.key in confirmable:
                        key = confirmation.field_key(field.key)
                        fields.append(
                            confirmation.form_field(
                                self.t,
                                ctx.language,
                                field.key,
                                (answers.get(key) or "").strip(),
                                confirmable[field.key],
                            )
                        )
                form.fields = fields
                return Reply(
                    text=self.t(ctx.language, "checklist_needs_work"),
                    form=form,
                    status=Status.REFUSED,
                    candidate_id=candidate.public_id,
                )
            if repeated:
                return Reply.shareable(self.t(ctx.language, "already_handled"), Status.REPEAT)
            return await self.script(ctx, candidate, prepared, guide)

    async def finish(self, who: Identity, candidate_id: str) -> Reply:
        """The call script, once every required step has an answer."""
        services = self.services
        try:
            async with services.sessions.begin() as session:
                ctx = await services.context(session, who)
                opened = await self.opened(ctx, candidate_id)
                if isinstance(opened, Reply):
                    return opened
                return await self.script(ctx, *opened)
        except DATABASE_ERRORS as error:
            return services.database_down(who, error)

    async def opened(
        self, ctx: Context, candidate_id: str
    ) -> tuple[Candidate, CallPreparation, Guide] | Reply:
        """The recruiter's own candidate with its preparation and guide, or the refusal."""
        candidate = await own_candidate(ctx, candidate_id)
        if candidate is None:
            return self.refused(self.t(ctx.language, "not_found", ref=candidate_id))
        guide = self.services.guides.guide(ctx.language)
        return candidate, await preparation(ctx, candidate, guide), guide

    async def mark_strongest(self, who: Identity, candidate_id: str, strongest: bool) -> bool:
        """The "among the strongest" mark from a chat-style checklist; False if not stored."""
        services = self.services
        try:
            async with services.sessions.begin() as session:
                ctx = await services.context(session, who)
                candidate = await own_candidate(ctx, candidate_id)
                if candidate is None or candidate.internal:
                    return False
                guide = services.guides.guide(ctx.language)
                prepared = await preparation(ctx, candidate, guide)
                prepared.strongest = strongest
                return True
        except DATABASE_ERRORS as error:
            services.database_down(who, error)
            return False

    # -- judging answers ----------------------------------------------------------------

    def check_answer(
        self,
        language: str,
        prepared: CallPreparation,
        step: Step,
        text: str,
        requirement: str = "",
    ) -> confirmation.Verdict:
        """No error when the answer may be stored; otherwise the coaching message why not."""
        if not text:
            required = self.t(language, "answer_required") if step.required else None
            return confirmation.Verdict(error=required)
        if len(text) > MAX_ANSWER:
            return confirmation.Verdict(self.t(language, "answer_too_long", limit=MAX_ANSWER))
        assessment = assess(text, language, step.key)
        confirmed: tuple[str, ...] = ()
        if assessment.risky:
            # Never kept by sending it again: only with the requirement it is about, named.
            error = self.risky_message(language, assessment)
            if not requirement:
                return confirmation.Verdict(error, confirmable=True)
            problem = confirmation.requirement_problem(self.t, language, requirement, text)
            if problem:
                return confirmation.Verdict(error, confirmable=True, requirement_error=problem)
            confirmed = tuple(assessment.grounds)
        nudge = self.nudge(language, text, assessment)
        if nudge and (prepared.flagged or {}).get(step.key) != text:
            # Once: the same text sent again is the recruiter's considered choice, and kept.
            queries.set_flagged(prepared, step.key, text)
            if confirmed and assessment.vague:
                # Confirmed as about the job, but still vague: coach it like any vague text.
                # A confirmed text that is also vague keeps its confirmation field for the retry.
                error = self.t(language, "confirm_still_vague", suggestion=assessment.suggestion)
                return confirmation.Verdict(error, confirmable=True)
            return confirmation.Verdict(nudge)
        queries.set_flagged(prepared, step.key, None)
        return confirmation.Verdict(confirmed=confirmed)

    def check_answer_again(self, language: str, step: Step, text: str) -> confirmation.Verdict:
        """`check_answer` for a re-delivered submission: the same verdict, nothing stored."""
        if not text:
            required = self.t(language, "answer_required") if step.required else None
            return confirmation.Verdict(error=required)
        if len(text) > MAX_ANSWER:
            return confirmation.Verdict(self.t(language, "answer_too_long", limit=MAX_ANSWER))
        assessment = assess(text, language, step.key)
        if assessment.risky:
            return confirmation.Verdict(self.risky_message(language, assessment), True)
        nudge = self.nudge(language, text, assessment)
        return confirmation.Verdict(nudge) if nudge else confirmation.Verdict()

    def nudge(self, language: str, text: str, assessment: Assessment) -> str | None:
        """What to say about a vague answer, or one written about the candidate, not to them."""
        about = script.third_person(text, self.services.guides.script(language).third_person)
        if assessment.vague:
            reasons = " ".join(assessment.reasons)
            message = self.t(
                language, "answer_vague", reasons=reasons, suggestion=assessment.suggestion
            )
            return message + (" " + self.t(language, "answer_third_person_also") if about else "")
        if about:
            return self.t(language, "answer_third_person")
        return None

    def risky_message(self, language: str, assessment: Assessment) -> str:
        reasons = " ".join(assessment.reasons)
        risky = self.t(language, "answer_risky", reasons=reasons, suggestion=assessment.suggestion)
        return f"{risky} {self.t(language, 'confirm_offer')}"

    def confirmed(
        self,
        ctx: Context,
        candidate: Candidate,
        prepared: CallPreparation,
        step_key: str,
        requirement: str,
        verdict: confirmation.Verdict,
    ) -> None:
        if verdict.confirmed:
            confirmation.record(
                ctx.session,
                ctx.recruiter,
                ctx.who.user,
                candidate,
                prepared,
                step_key,
                requirement,
                verdict.confirmed,
                ctx.now,
            )

    # -- the form and the script ---------------------------------------------------------

    def form(
        self, ctx: Context, candidate: Candidate, prepared: CallPreparation, guide: Guide
    ) -> Form:
        language = ctx.language
        saved = {answer.step_key: answer.text for answer in prepared.answers}
        position = candidate.position
        # What was written once for the position is where these two answers start.
        starts = {
            "gaps": position.decided_requirements or "",
            "luxury_problem": position.decided_strengths or "",
        }
        fields = [
            FormField(
                key=step.key,
                label=step.title,
                question=step.question,
                tip=step.tip,
                example=step.concrete_example,
                required=step.required,
                value=saved.get(step.key, ""),
                start=starts.get(step.key, ""),
            )
            for step in guide.steps_for(candidate.internal)
        ]
        first = script.first_name(candidate.name or "")
        return Form(
            strongest_question=None
            if candidate.internal
            else self.t(language, "strongest_question", name=first),
            strongest_label=self.t(language, "strongest_option"),
            strongest=bool(prepared.strongest),
            candidate_id=candidate.public_id,
            title=guide.title,
            intro=self.t(
                language, "form_intro", name=candidate.name, position=candidate.position.title
            )
            + " "
            + guide.intro,
            fields=fields,
            submit_label=self.t(language, "button_make_script"),
        )

    async def script(
        self, ctx: Context, candidate: Candidate, prepared: CallPreparation, guide: Guide
    ) -> Reply:
        """The facts of the call gathered for bot.script, which renders them."""
        saved = {answer.step_key: answer.text for answer in prepared.answers}
        missing = [
            step.title
            for step in guide.steps_for(candidate.internal)
            if step.required and not saved.get(step.key)
        ]
        if missing:
            text = self.t(ctx.language, "script_missing", steps=", ".join(missing))
            return self.refused(text, candidate)
        prepared.completed_at = prepared.completed_at or ctx.now
        settings = self.services.settings
        workspace = await ctx.session.get(Workspace, ctx.recruiter.workspace_id)
        organisation = (workspace.organisation if workspace else None) or (
            settings.coach_organisation or None
        )
        facts = script.CallFacts(
            candidate_name=candidate.name or "",
            candidate_id=candidate.public_id,
            position=candidate.position.title,
            internal=candidate.internal,
            answers={
                step.key: saved[step.key]
                for step in guide.steps_for(candidate.internal)
                if saved.get(step.key)
            },
            strongest=bool(prepared.strongest) and not candidate.internal,
            speaker=ctx.recruiter.display_name,
            organisation=organisation,
            talent_pool_months=settings.coach_talent_pool_months,
        )
        lines = script.build(self.services.guides.script(ctx.language), facts)
        title = self.t(ctx.language, "script_title", name=candidate.name)
        buttons = self.candidates.outcome_buttons(ctx.language, candidate)
        if candidate.internal:
            # No talent pool for a colleague: they are already with us.
            buttons = [b for b in buttons if not b.command.startswith("consent ")]
        return script.script_reply(title, lines, buttons, candidate.public_id)
