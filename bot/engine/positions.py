"""`position`: what was decided for a whole position, written once, where every checklist
for it starts."""

from __future__ import annotations

from bot import commands
from bot.concreteness import assess
from bot.engine.context import Concept, Context, Handler
from bot.messages import Reply
from storage import queries
from storage.tables import Position


class Positions(Concept):
    def handlers(self) -> dict[str, Handler]:
        return {"position": self.position}

    async def position(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.PositionDecisions)
        given = {"gaps": command.requirements, "luxury_problem": command.strengths}
        if not any(given.values()):
            # Only looking: a mistyped title must not create a position.
            found = await queries.find_position(
                ctx.session, ctx.recruiter.workspace_id, command.title
            )
            if found is None or not (found.decided_requirements or found.decided_strengths):
                title = found.title if found else command.title
                text = self.t(ctx.language, "position_empty", position=title)
                return [self.refused(text + "\n" + self.t(ctx.language, "usage_position"))]
            return [Reply(text=self.text(ctx.language, found, "position_show"))]
        notes: list[str] = []
        for key, written in given.items():
            if not written:
                continue
            assessment = assess(written, ctx.language, key)
            if assessment.risky:
                # Nothing is stored: every candidate's checklist would start from it.
                reasons = " ".join(assessment.reasons)
                risky = self.t(
                    ctx.language, "answer_risky", reasons=reasons, suggestion=assessment.suggestion
                )
                return [self.refused(risky)]
            if assessment.vague:
                notes.append(" ".join(assessment.reasons))
        position = await queries.get_or_create_position(
            ctx.session, ctx.recruiter.workspace_id, command.title, ctx.now
        )
        if command.requirements:
            position.decided_requirements = command.requirements
        if command.strengths:
            position.decided_strengths = command.strengths
        position.decided_at = ctx.now
        text = self.text(ctx.language, position, "position_saved")
        if notes:
            text += "\n" + self.t(ctx.language, "position_saved_vague", reasons=" ".join(notes))
        return [Reply(text=text)]

    def text(self, language: str, position: Position, key: str) -> str:
        none = self.t(language, "position_nothing_yet")
        return self.t(
            language,
            key,
            position=position.title,
            requirements=position.decided_requirements or none,
            strengths=position.decided_strengths or none,
        )
