"""Talking to the engine directly: say a line, add a candidate; answers that pass the check."""

from __future__ import annotations

from bot.coach import Coach
from bot.messages import Identity, Inbound, Reply

CONCRETE = {
    "competence": (
        "Your six years of payroll in Visma were clearly relevant, but the role needs someone "
        "who has run the year-end closing alone, and you had done it with support."
    ),
    "gaps": (
        "The job ad asked for written Norwegian at contract level; in the case exercise your "
        "draft needed a lot of corrections."
    ),
    "luxury_problem": (
        "You met every requirement. We had three strong finalists and chose one who has "
        "already led a migration to SAP."
    ),
    "self_presentation": (
        "When we asked about the budget conflict you answered in general terms; next time, "
        "describe what you did and what happened after."
    ),
    "internal_value": (
        "Your team relies on how you run the on-call rota and train every new hire in the "
        "first month."
    ),
}


async def say(coach: Coach, who: Identity, text: str) -> Reply:
    replies = await coach.handle(who, Inbound(text=text))
    assert len(replies) == 1
    return replies[0]


async def add(coach: Coach, who: Identity, text: str) -> str:
    reply = await say(coach, who, text)
    assert reply.cards, reply.text
    return reply.cards[0].buttons[0].command.split()[-1]
