"""The checklist modal driven as Slack sends it: open, fill in, submit."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storage.tables import CallPreparation, Candidate
from tests.support.slack import Bot

CONCRETE = {
    "competence": (
        "Your six years of payroll in Visma were clearly relevant, but the role needs someone "
        "who has run the year-end closing alone."
    ),
    "gaps": "The job ad asked for written Norwegian at contract level; your draft needed edits.",
    "luxury_problem": "We had three strong finalists and chose one who has led a SAP migration.",
    "self_presentation": "Describe what you did in the budget conflict and what happened after.",
}


async def open_checklist(bot: Bot, candidate: str) -> dict[str, Any]:
    """`/feedback-call start <id>`; the checklist view the bot put into the modal."""
    updates = len(bot.fake.called("views.update"))
    assert await bot.slack.command(f"start {candidate}") == (200, "")
    calls = await bot.fake.wait_for("views.update", updates + 1)
    view = calls[-1].params["view"]
    return json.loads(view) if isinstance(view, str) else view


def inputs(answers: dict[str, str]) -> dict[str, Any]:
    return {k: {"answer": {"type": "plain_text_input", "value": v}} for k, v in answers.items()}


async def submit(
    bot: Bot, view: dict[str, Any], answers: dict[str, str], **kw: Any
) -> tuple[int, str]:
    headers = kw.pop("headers", None)
    payload = kw.pop("payload", None) or bot.slack.view_submission(view, inputs(answers), **kw)
    return await bot.slack.interact(payload, headers=headers)


async def preparation(bot: Bot, candidate: str) -> CallPreparation | None:
    async with bot.sessions() as session:
        row = await session.scalar(select(Candidate).where(Candidate.public_id == candidate))
        assert row is not None
        return await session.scalar(
            select(CallPreparation)
            .options(selectinload(CallPreparation.answers))
            .where(CallPreparation.candidate_id == row.id)
        )
