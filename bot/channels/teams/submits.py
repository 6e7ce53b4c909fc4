"""Card submits (Action.Submit arrives as a message with a value): the checklist card, a
practice line, the walk in the chat, and the buttons that carry a typed command. The card a
submit came from is updated in place where Teams lets it be."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext

from bot import commands
from bot.channels.teams import cards, chat_checklist, practice_cards
from bot.channels.teams.activities import (
    card_message,
    is_personal,
    plain_text,
    submitted_answers,
    submitted_request,
    submitted_strongest,
)
from bot.channels.teams.deps import Deps
from bot.channels.teams.replies import send_replies
from bot.messages import Identity, Inbound, Reply, Status


async def on_submit(
    deps: Deps, turn_context: TurnContext, who: Identity, value: dict[str, Any], key: str | None
) -> None:
    language = await deps.coach.language_for(who)
    if value.get("action") == cards.CHECKLIST_ACTION:
        # The card was sent: any chat walk through the checklist is over.
        await chat_checklist.keep_walk(deps, turn_context, None)
        await on_checklist(deps, turn_context, who, value, key)
        return
    if value.get("action") == practice_cards.PRACTICE_ACTION:
        await on_practice(deps, turn_context, who, value)
        return
    if value.get("action") == cards.CHAT_CHECKLIST_ACTION:
        await chat_checklist.begin(deps, turn_context, who, str(value.get("candidate") or ""))
        return
    request = submitted_request(value)
    if request is None:
        await deps.send(turn_context, plain_text(deps.coach.t(language, "teams_unknown_action")))
        return
    words, command = request
    replies = await deps.coach.handle(
        who, Inbound(text=words, command=command, idempotency_key=key)
    )
    candidate = str(value.get("candidate") or "")
    if (
        is_personal(turn_context.activity)
        and value.get("card") == cards.SCRIPT_CARD
        and candidate
        and isinstance(command, commands.Log)
        and replies
        and replies[0].status is not Status.REPEAT
    ):
        card_id = turn_context.activity.reply_to_id or await deps.card_id(
            turn_context, candidate, "script"
        )
        if card_id and await show_result(deps, turn_context, who, candidate, card_id, replies):
            return
    await send_replies(deps, turn_context, who, replies)


async def on_checklist(
    deps: Deps, turn_context: TurnContext, who: Identity, value: dict[str, Any], key: str | None
) -> None:
    language = await deps.coach.language_for(who)
    candidate = str(value.get("candidate") or "")
    answers = submitted_answers(value)
    reply = await deps.coach.submit_checklist(
        who,
        candidate,
        answers,
        idempotency_key=key,
        strongest=submitted_strongest(value),
    )
    if not is_personal(turn_context.activity):
        # A checklist card in a shared conversation (posted before cards were kept out of
        # them): its answer goes to the personal chat, and nothing is updated in place.
        await send_replies(deps, turn_context, who, [reply])
        return
    card_id = turn_context.activity.reply_to_id or await deps.card_id(
        turn_context, candidate, "checklist"
    )
    if reply.form is not None:
        card = cards.checklist_card(reply.form, deps.labels(language), notice=reply.text)
        if not (card_id and await deps.update(turn_context, card_id, card)):
            sent = await deps.send(turn_context, card_message(card))
            await deps.remember_card(turn_context, candidate, "checklist", sent)
        return
    if reply.cards:
        if card_id:
            saved = deps.coach.t(language, "teams_checklist_saved", id=candidate)
            await deps.update(turn_context, card_id, cards.notice_card(saved))
        card = cards.script_card(reply.cards[0], candidate, deps.labels(language))
        sent = await deps.send(turn_context, card_message(card))
        await deps.remember_card(turn_context, candidate, "script", sent)
        return
    await send_replies(deps, turn_context, who, [reply])


async def on_practice(
    deps: Deps, turn_context: TurnContext, who: Identity, value: dict[str, Any]
) -> None:
    """One practice line: the same card shows the candidate's answer, or the debrief."""
    state, line, stop = practice_cards.submitted(value)
    reply = await deps.coach.practice_turn(who, state, line, stop=stop)
    if reply.practice is None or not is_personal(turn_context.activity):
        await send_replies(deps, turn_context, who, [reply])
        return
    card = practice_cards.practice_card(reply.practice)
    card_id = turn_context.activity.reply_to_id
    if not (card_id and await deps.update(turn_context, card_id, card)):
        await deps.send(turn_context, card_message(card))


async def show_result(
    deps: Deps,
    turn_context: TurnContext,
    who: Identity,
    candidate: str,
    card_id: str,
    replies: list[Reply],
) -> bool:
    """Put the logged outcome on the script card; its buttons stay while still pending."""
    language = await deps.coach.language_for(who)
    script = await deps.coach.finish(who, candidate)
    if not script.cards:
        return False
    pending = await deps.coach.is_pending(who, candidate)
    card = cards.script_card(
        script.cards[0],
        candidate,
        deps.labels(language),
        result=replies[0].text,
        pending=pending,
    )
    if not await deps.update(turn_context, card_id, card):
        return False
    if len(replies) > 1:
        await send_replies(deps, turn_context, who, replies[1:])
    return True
