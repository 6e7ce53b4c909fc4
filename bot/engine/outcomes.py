"""Outcomes: `log` what became of a call (and correct it), and `report` the figures."""

from __future__ import annotations

from bot import commands
from bot.engine.candidates import Candidates
from bot.engine.context import Concept, Context, Handler, Services
from bot.messages import Button, Reply
from storage import practice as practice_store
from storage import queries


class Outcomes(Concept):
    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.candidates = Candidates(services)

    def handlers(self) -> dict[str, Handler]:
        return {"log": self.log, "report": self.report}

    async def log(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Log)
        candidate, problem = await self.candidates.resolve(ctx, command.candidate)
        if candidate is None:
            return [problem]
        ref = candidate.public_id
        if command.outcome == "skipped" and not command.note:
            return [self.refused(self.t(ctx.language, "skip_needs_reason", id=ref), candidate)]
        if candidate.outcome is not None:
            outcome = self.t(ctx.language, f"outcome_{candidate.outcome}")
            if candidate.outcome == command.outcome:
                text = self.t(ctx.language, "already_logged", name=candidate.name, outcome=outcome)
                return [self.refused(text, candidate)]
            new = self.t(ctx.language, f"outcome_{command.outcome}")
            if not command.confirmed:
                words = f"confirm log {ref} {command.outcome}"
                yes = Button(
                    label=self.t(ctx.language, "button_correct", outcome=new),
                    command=f"{words} {command.note}" if command.note else words,
                    style="primary",
                )
                text = self.t(
                    ctx.language, "correct_ask", name=candidate.name, old=outcome, new=new
                )
                return [Reply(text=text, confirm=yes, candidate_id=ref)]
            await queries.add_call_log(
                ctx.session, candidate, ctx.recruiter, command.outcome, command.note, ctx.now
            )
            text = self.t(ctx.language, "corrected", name=candidate.name, old=outcome, new=new)
            return [Reply(text=text, candidate_id=ref)]
        await queries.add_call_log(
            ctx.session, candidate, ctx.recruiter, command.outcome, command.note, ctx.now
        )
        if command.outcome == "no-answer":
            text = self.t(
                ctx.language, "logged_no_answer", name=candidate.name, attempts=candidate.attempts
            )
        else:
            outcome = self.t(ctx.language, f"outcome_{command.outcome}")
            text = self.t(ctx.language, "logged", name=candidate.name, outcome=outcome)
        return [Reply(text=text, candidate_id=ref)]

    async def report(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Report)
        admin = self.services.is_admin(ctx)
        rows = await queries.report(
            ctx.session,
            ctx.recruiter.workspace_id,
            None if admin else ctx.recruiter.id,
            command.position,
        )
        practised = await practice_store.summary(ctx.session, ctx.recruiter)
        practice_line = (
            "\n"
            + self.t(
                ctx.language,
                "report_practice",
                count=practised.count,
                date=practised.last_at.strftime("%d.%m.%Y"),
                passed=practised.last_passed,
                checked=practised.last_checked,
            )
            if practised
            else ""
        )
        if not rows:
            return [Reply(text=self.t(ctx.language, "report_empty") + practice_line)]
        header = self.t(ctx.language, "report_header_workspace" if admin else "report_header")
        lines = [
            self.t(
                ctx.language,
                "report_row",
                position=row.position,
                called=row.called,
                declined=row.declined,
                skipped=row.skipped,
                pending=row.pending,
                total=row.total,
                rate=round(100 * (row.called + row.declined) / row.total),
            )
            for row in rows
        ]
        return [Reply(text=header + "\n" + "\n".join(lines) + practice_line)]
