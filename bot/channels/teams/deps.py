"""The Teams handler's shared dependencies: the coach, the conversation state it keeps (card
ids, the e-mail lookup, the chat checklist walk), and sending or updating one activity.

Each kind of activity (members.py, submits.py, chat_checklist.py, replies.py) is handled by
functions that take these; handler.py only dispatches."""

from __future__ import annotations

import logging
from collections import OrderedDict

from botbuilder.core import ConversationState, Storage, TurnContext
from botbuilder.schema import Activity, ResourceResponse

from bot.channels.teams import cards
from bot.channels.teams.activities import card_message
from bot.channels.teams.connector import ConnectorFailure, deliver
from bot.coach import Coach

log = logging.getLogger(__name__)

# Card activity ids kept per conversation, so a card can be updated after a restart.
MAX_REMEMBERED_CARDS = 50
# Users (and shared chats) this process saw greeted: their messages need not ask the store.
MAX_GREETED = 10_000


class Deps:
    def __init__(self, coach: Coach, storage: Storage) -> None:
        self.coach = coach
        self.conversation_state = ConversationState(storage)
        self.card_ids = self.conversation_state.create_property("cards")
        # Whether the member lookup for the user's e-mail was made (personal chats only).
        self.email_checked = self.conversation_state.create_property("email_checked")
        # The chat checklist being walked in this conversation (checklist_chat.Walk as a dict).
        self.walk = self.conversation_state.create_property("checklist_walk")
        self._greeted: OrderedDict[tuple[str, str, str | None], None] = OrderedDict()

    def greeted(self, seen: tuple[str, str, str | None]) -> bool:
        return seen in self._greeted

    def remember_greeted(self, seen: tuple[str, str, str | None]) -> None:
        self._greeted[seen] = None
        self._greeted.move_to_end(seen)
        while len(self._greeted) > MAX_GREETED:
            self._greeted.popitem(last=False)

    async def send(self, turn_context: TurnContext, activity: Activity) -> ResourceResponse | None:
        return await deliver(lambda: turn_context.send_activity(activity))

    async def update(self, turn_context: TurnContext, card_id: str, card: dict) -> bool:
        activity = card_message(card)
        activity.id = card_id
        try:
            await deliver(lambda: turn_context.update_activity(activity))
        except ConnectorFailure as error:
            # An old or deleted card: the caller sends the content as a new message instead.
            log.warning("could not update card: %s", error.reason)
            return False
        return True

    # -- card memory -------------------------------------------------------------------------

    async def card_id(self, turn_context: TurnContext, candidate: str, kind: str) -> str | None:
        remembered = await self.card_ids.get(turn_context, dict)
        return (remembered.get(candidate) or {}).get(kind)

    async def remember_card(
        self,
        turn_context: TurnContext,
        candidate: str,
        kind: str,
        sent: ResourceResponse | None,
    ) -> None:
        if sent is None or not sent.id:
            return
        remembered = await self.card_ids.get(turn_context, dict)
        entry = remembered.pop(candidate, {})
        entry[kind] = sent.id
        remembered[candidate] = entry
        while len(remembered) > MAX_REMEMBERED_CARDS:
            remembered.pop(next(iter(remembered)))

    def labels(self, language: str) -> cards.Labels:
        return labels_for(self.coach, language)


def labels_for(coach: Coach, language: str) -> cards.Labels:
    return cards.Labels(
        tip=coach.t(language, "teams_tip", tip="{tip}"),
        example=coach.t(language, "teams_example", example="{example}"),
        optional=coach.t(language, "teams_optional"),
        placeholder=coach.t(language, "teams_placeholder"),
        skip_reason=coach.t(language, "teams_skip_reason"),
        skip_submit=coach.t(language, "teams_skip_submit"),
        result=coach.t(language, "teams_result", result="{result}"),
        more=coach.t(language, "teams_more"),
        in_chat=coach.t(language, "teams_in_chat"),
    )
