"""The checklist walked in the personal chat, one question a message (bot.checklist_chat),
its place kept in conversation state between turns."""

from __future__ import annotations

from botbuilder.core import TurnContext

from bot import commands
from bot.channels.teams import cards
from bot.channels.teams.activities import card_message, is_personal, plain_text
from bot.channels.teams.deps import Deps
from bot.channels.teams.replies import send_replies
from bot.checklist_chat import ChatChecklist, Turn, Walk
from bot.messages import Identity, Inbound


async def current_walk(deps: Deps, turn_context: TurnContext) -> Walk | None:
    if not is_personal(turn_context.activity):
        return None
    stored = await deps.walk.get(turn_context, dict)
    try:
        return Walk.model_validate(stored) if stored else None
    except ValueError:
        return None


async def keep_walk(deps: Deps, turn_context: TurnContext, walk: Walk | None) -> None:
    await deps.walk.set(turn_context, walk.model_dump() if walk is not None else {})


async def begin(deps: Deps, turn_context: TurnContext, who: Identity, candidate: str) -> None:
    language = await deps.coach.language_for(who)
    start = commands.from_form("start", candidate=candidate)
    replies = await deps.coach.handle(who, Inbound(text="start", command=start))
    form = next((reply.form for reply in replies if reply.form is not None), None)
    if form is None or not is_personal(turn_context.activity):
        await send_replies(deps, turn_context, who, replies)
        return
    turn = await ChatChecklist(deps.coach, who, language).begin(form)
    await play(deps, turn_context, who, language, turn)


async def answer(
    deps: Deps, turn_context: TurnContext, who: Identity, walk: Walk, text: str, key: str | None
) -> None:
    if key is not None and not await deps.coach.claim(key):
        # The Bot Framework delivered this line again: it was answered once already.
        return
    language = await deps.coach.language_for(who)
    turn = await ChatChecklist(deps.coach, who, language).turn(walk, text)
    await play(deps, turn_context, who, language, turn)


async def play(
    deps: Deps, turn_context: TurnContext, who: Identity, language: str, turn: Turn
) -> None:
    await keep_walk(deps, turn_context, turn.walk)
    if turn.replies:
        await send_replies(deps, turn_context, who, turn.replies)
    said = "\n".join(turn.lines).strip()
    if said:
        await deps.send(turn_context, plain_text(said))
    script = turn.script
    if script is not None and script.cards:
        candidate = script.cards[0].buttons[0].command.split()[1] if script.cards[0].buttons else ""
        card = cards.script_card(script.cards[0], candidate, deps.labels(language))
        sent = await deps.send(turn_context, card_message(card))
        await deps.remember_card(turn_context, candidate, "script", sent)
    elif script is not None:
        await deps.send(turn_context, plain_text(script.text))
