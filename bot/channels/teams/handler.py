"""The Teams ActivityHandler: activities in, engine calls, activities out (see activities.py
for reading and building them, cards.py for the Adaptive Cards)."""

from __future__ import annotations

import functools
import logging
from http import HTTPStatus
from typing import Any

from botbuilder.core import (
    ActivityHandler,
    BotAdapter,
    ConversationState,
    InvokeResponse,
    Storage,
    TurnContext,
)
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
    ResourceResponse,
)

from bot import commands
from bot.channels.teams import cards, practice_cards
from bot.channels.teams.activities import (
    card_message,
    delivery_key,
    export_activity,
    identity_from,
    is_personal,
    plain_text,
    reply_activity,
    submitted_answers,
    submitted_request,
    submitted_strongest,
    tenant_of,
    text_without_mention,
)
from bot.channels.teams.connector import ConnectorFailure, deliver, tune_connector
from bot.checklist_chat import ChatChecklist, Turn, Walk
from bot.coach import Coach
from bot.messages import (
    Identity,
    Inbound,
    Reply,
    Status,
)

log = logging.getLogger(__name__)

# Card activity ids kept per conversation, so a card can be updated after a restart.
MAX_REMEMBERED_CARDS = 50


class CoachBot(ActivityHandler):
    def __init__(self, coach: Coach, storage: Storage) -> None:
        self.coach = coach
        self.conversation_state = ConversationState(storage)
        self.card_ids = self.conversation_state.create_property("cards")
        # Whether the member lookup for the user's e-mail was made (personal chats only).
        self.email_checked = self.conversation_state.create_property("email_checked")
        # The chat checklist being walked in this conversation (checklist_chat.Walk as a dict).
        self.walk = self.conversation_state.create_property("checklist_walk")

    async def on_turn(self, turn_context: TurnContext) -> None:
        tune_connector(turn_context)
        await super().on_turn(turn_context)
        await self.conversation_state.save_changes(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        # The coach's cards use Action.Submit (message activities); no invoke is ours. Unknown
        # ones get "bad request", not botbuilder's 501, which reads as a failure of the bot.
        response = await super().on_invoke_activity(turn_context)
        if response is None or response.status == HTTPStatus.NOT_IMPLEMENTED:
            return InvokeResponse(status=HTTPStatus.BAD_REQUEST)
        return response

    # -- install and greeting --------------------------------------------------------------

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(member.id == bot_id for member in members_added):
            await self._welcome(turn_context)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._welcome(turn_context)

    async def _welcome(self, turn_context: TurnContext) -> None:
        who = identity_from(turn_context.activity)
        if who is None:
            return
        await self._remember(turn_context, who)
        await self._greet_once(turn_context, who)

    async def _remember(self, turn_context: TurnContext, who: Identity) -> None:
        # Only a personal chat: a reminder lists candidate names, not for a channel's eyes.
        if is_personal(turn_context.activity):
            reference = TurnContext.get_conversation_reference(turn_context.activity)
            await self.coach.remember_conversation(who, reference.serialize())
            await self._capture_email(turn_context, who)

    async def _capture_email(self, turn_context: TurnContext, who: Identity) -> None:
        """The user's work e-mail (or UPN) from the bot framework's member lookup, asked once:
        it is how a recruiter named in the ATS is matched to this Teams user."""
        if await self.email_checked.get(turn_context, False):
            return
        await self.email_checked.set(turn_context, True)
        sender = turn_context.activity.from_property
        try:
            member = await TeamsInfo.get_member(turn_context, sender.id)
            email = member.email or member.user_principal_name
            if isinstance(email, str) and "@" in email and len(email) <= 254:
                await self.coach.intake.remember_email(who, email)
        except Exception as error:  # the lookup is a convenience; the conversation goes on
            log.info("teams member lookup failed: %s", type(error).__name__)

    async def _greet_once(self, turn_context: TurnContext, who: Identity) -> None:
        """The welcome, once per user in their personal chat, once per shared conversation.

        Installing sends conversationUpdate and installationUpdate together, perhaps to two
        processes: the database decides which of them greets.
        """
        activity = turn_context.activity
        shared = None if is_personal(activity) else activity.conversation.id
        if not await self.coach.claim_greeting(who, shared):
            return
        language = await self.coach.language_for(who)
        try:
            await self._send(turn_context, plain_text(self.coach.t(language, "teams_welcome")))
        except ConnectorFailure as failure:
            # Only the welcome is lost (help says the same); the message itself is still
            # answered, and if the connector is down for that too, the turn reports it.
            log.warning("could not send the welcome: %s", failure.reason)

    # -- messages and card submits ---------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        who = identity_from(activity)
        if who is None:
            return
        await self._remember(turn_context, who)
        if is_personal(activity):
            # In a channel a message does not greet: the welcome came when the bot was added.
            await self._greet_once(turn_context, who)
        key = delivery_key(activity)
        if isinstance(activity.value, dict) and activity.value:
            await self._on_submit(turn_context, who, activity.value, key)
            return
        text = text_without_mention(activity)
        walk = await self._current_walk(turn_context)
        if walk is not None:
            await self._checklist_turn(turn_context, who, walk, text, key)
            return
        replies = await self.coach.handle(who, Inbound(text=text, idempotency_key=key))
        await self._send_replies(turn_context, who, replies)

    # -- the checklist in the chat -----------------------------------------------------------

    async def _current_walk(self, turn_context: TurnContext) -> Walk | None:
        if not is_personal(turn_context.activity):
            return None
        stored = await self.walk.get(turn_context, dict)
        try:
            return Walk.model_validate(stored) if stored else None
        except ValueError:
            return None

    async def _keep_walk(self, turn_context: TurnContext, walk: Walk | None) -> None:
        await self.walk.set(turn_context, walk.model_dump() if walk is not None else {})

    async def _begin_chat_checklist(
        self, turn_context: TurnContext, who: Identity, candidate: str
    ) -> None:
        language = await self.coach.language_for(who)
        start = commands.from_form("start", candidate=candidate)
        replies = await self.coach.handle(who, Inbound(text="start", command=start))
        form = next((reply.form for reply in replies if reply.form is not None), None)
        if form is None or not is_personal(turn_context.activity):
            await self._send_replies(turn_context, who, replies)
            return
        turn = await ChatChecklist(self.coach, who, language).begin(form)
        await self._play(turn_context, who, language, turn)

    async def _checklist_turn(
        self, turn_context: TurnContext, who: Identity, walk: Walk, text: str, key: str | None
    ) -> None:
        if key is not None and not await self.coach.claim(key):
            # The Bot Framework delivered this line again: it was answered once already.
            return
        language = await self.coach.language_for(who)
        turn = await ChatChecklist(self.coach, who, language).turn(walk, text)
        await self._play(turn_context, who, language, turn)

    async def _play(
        self, turn_context: TurnContext, who: Identity, language: str, turn: Turn
    ) -> None:
        await self._keep_walk(turn_context, turn.walk)
        if turn.replies:
            await self._send_replies(turn_context, who, turn.replies)
        said = "\n".join(turn.lines).strip()
        if said:
            await self._send(turn_context, plain_text(said))
        script = turn.script
        if script is not None and script.cards:
            candidate = (
                script.cards[0].buttons[0].command.split()[1] if script.cards[0].buttons else ""
            )
            card = cards.script_card(script.cards[0], candidate, self._labels(language))
            sent = await self._send(turn_context, card_message(card))
            await self._remember_card(turn_context, candidate, "script", sent)
        elif script is not None:
            await self._send(turn_context, plain_text(script.text))

    async def _on_submit(
        self, turn_context: TurnContext, who: Identity, value: dict[str, Any], key: str | None
    ) -> None:
        language = await self.coach.language_for(who)
        if value.get("action") == cards.CHECKLIST_ACTION:
            # The card was sent: any chat walk through the checklist is over.
            await self._keep_walk(turn_context, None)
            await self._on_checklist(turn_context, who, value, key)
            return
        if value.get("action") == practice_cards.PRACTICE_ACTION:
            await self._on_practice(turn_context, who, value)
            return
        if value.get("action") == cards.CHAT_CHECKLIST_ACTION:
            await self._begin_chat_checklist(turn_context, who, str(value.get("candidate") or ""))
            return
        request = submitted_request(value)
        if request is None:
            await self._send(
                turn_context, plain_text(self.coach.t(language, "teams_unknown_action"))
            )
            return
        words, command = request
        replies = await self.coach.handle(
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
            card_id = turn_context.activity.reply_to_id or await self._card_id(
                turn_context, candidate, "script"
            )
            if card_id and await self._show_result(turn_context, who, candidate, card_id, replies):
                return
        await self._send_replies(turn_context, who, replies)

    async def _on_checklist(
        self, turn_context: TurnContext, who: Identity, value: dict[str, Any], key: str | None
    ) -> None:
        language = await self.coach.language_for(who)
        candidate = str(value.get("candidate") or "")
        answers = submitted_answers(value)
        reply = await self.coach.submit_checklist(
            who,
            candidate,
            answers,
            idempotency_key=key,
            strongest=submitted_strongest(value),
        )
        if not is_personal(turn_context.activity):
            # A checklist card in a shared conversation (posted before cards were kept out of
            # them): its answer goes to the personal chat, and nothing is updated in place.
            await self._send_replies(turn_context, who, [reply])
            return
        card_id = turn_context.activity.reply_to_id or await self._card_id(
            turn_context, candidate, "checklist"
        )
        if reply.form is not None:
            card = cards.checklist_card(reply.form, self._labels(language), notice=reply.text)
            if not (card_id and await self._update(turn_context, card_id, card)):
                sent = await self._send(turn_context, card_message(card))
                await self._remember_card(turn_context, candidate, "checklist", sent)
            return
        if reply.cards:
            if card_id:
                saved = self.coach.t(language, "teams_checklist_saved", id=candidate)
                await self._update(turn_context, card_id, cards.notice_card(saved))
            card = cards.script_card(reply.cards[0], candidate, self._labels(language))
            sent = await self._send(turn_context, card_message(card))
            await self._remember_card(turn_context, candidate, "script", sent)
            return
        await self._send_replies(turn_context, who, [reply])

    async def _on_practice(
        self, turn_context: TurnContext, who: Identity, value: dict[str, Any]
    ) -> None:
        """One practice line: the same card shows the candidate's answer, or the debrief."""
        state, line, stop = practice_cards.submitted(value)
        reply = await self.coach.practice_turn(who, state, line, stop=stop)
        if reply.practice is None or not is_personal(turn_context.activity):
            await self._send_replies(turn_context, who, [reply])
            return
        card = practice_cards.practice_card(reply.practice)
        card_id = turn_context.activity.reply_to_id
        if not (card_id and await self._update(turn_context, card_id, card)):
            await self._send(turn_context, card_message(card))

    async def _show_result(
        self,
        turn_context: TurnContext,
        who: Identity,
        candidate: str,
        card_id: str,
        replies: list[Reply],
    ) -> bool:
        """Put the logged outcome on the script card; its buttons stay while still pending."""
        language = await self.coach.language_for(who)
        script = await self.coach.finish(who, candidate)
        if not script.cards:
            return False
        pending = await self.coach.is_pending(who, candidate)
        card = cards.script_card(
            script.cards[0],
            candidate,
            self._labels(language),
            result=replies[0].text,
            pending=pending,
        )
        if not await self._update(turn_context, card_id, card):
            return False
        if len(replies) > 1:
            await self._send_replies(turn_context, who, replies[1:])
        return True

    # -- sending -----------------------------------------------------------------------------

    async def _send_replies(
        self, turn_context: TurnContext, who: Identity, replies: list[Reply]
    ) -> None:
        """Where every engine reply leaves for Teams, and the one place privacy is decided.

        In the personal chat everything is shown. In a channel or group chat only replies the
        engine marked shareable are; private ones (`Reply.private`: anything about a candidate,
        cards and files included) go to the recruiter's personal chat, and the shared
        conversation hears only where to look.
        """
        language = await self.coach.language_for(who)
        if is_personal(turn_context.activity):
            for reply in replies:
                sent = await self._send(turn_context, self._activity_for(reply, language))
                if reply.form is not None:
                    await self._remember_card(
                        turn_context, reply.form.candidate_id, "checklist", sent
                    )
            return
        labels = self._labels(language)
        for reply in replies:
            if not reply.private:
                await self._send(turn_context, reply_activity(reply, labels))
        private = [self._activity_for(reply, language) for reply in replies if reply.private]
        if private:
            delivered = await self._send_privately(turn_context, who, private)
            key = "teams_sent_privately" if delivered else "teams_open_personal_chat"
            await self._send(turn_context, plain_text(self.coach.t(language, key)))

    def _activity_for(self, reply: Reply, language: str) -> Activity:
        if reply.practice is not None:
            return card_message(practice_cards.practice_card(reply.practice))
        if reply.form is not None:
            return card_message(
                cards.checklist_card(reply.form, self._labels(language), notice=reply.text)
            )
        if reply.attachment is not None:
            return export_activity(self.coach, language, reply)
        return reply_activity(reply, self._labels(language))

    async def _send_privately(
        self, turn_context: TurnContext, who: Identity, activities: list[Activity]
    ) -> bool:
        """Send into the user's 1:1 chat with the bot, opened through the connector.

        Teams answers a create-conversation for a user who has the bot installed with their
        existing personal chat; for one who has not, it refuses (403), and False is returned.
        """
        source = turn_context.activity
        client = turn_context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
        sender = source.from_property
        tenant = tenant_of(source) or None
        if client is None or sender is None:
            return False
        member = ChannelAccount(id=sender.id, name=sender.name, aad_object_id=sender.aad_object_id)
        parameters = ConversationParameters(
            is_group=False,
            bot=source.recipient,
            members=[member],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None,
        )
        try:
            created = await deliver(lambda: client.conversations.create_conversation(parameters))
            conversation = ConversationAccount(
                id=created.id, conversation_type="personal", tenant_id=tenant
            )
            for activity in activities:
                activity.conversation = conversation
                activity.from_property = source.recipient
                activity.recipient = member
                activity.channel_id = source.channel_id
                activity.service_url = source.service_url
                await deliver(
                    functools.partial(
                        client.conversations.send_to_conversation, created.id, activity
                    )
                )
        except ConnectorFailure as failure:
            log.warning("could not reach the user's personal chat: %s", failure.reason)
            return False
        # The personal chat is where reminders go too: keep its reference.
        reference = ConversationReference(
            bot=source.recipient,
            user=member,
            conversation=conversation,
            channel_id=source.channel_id,
            service_url=source.service_url,
            locale=source.locale,
        )
        await self.coach.remember_conversation(who, reference.serialize())
        return True

    async def _send(self, turn_context: TurnContext, activity: Activity) -> ResourceResponse | None:
        return await deliver(lambda: turn_context.send_activity(activity))

    async def _update(self, turn_context: TurnContext, card_id: str, card: dict) -> bool:
        activity = card_message(card)
        activity.id = card_id
        try:
            await deliver(lambda: turn_context.update_activity(activity))
        except ConnectorFailure as error:
            # An old or deleted card: the caller sends the content as a new message instead.
            log.warning("could not update card: %s", error.reason)
            return False
        return True

    async def _card_id(self, turn_context: TurnContext, candidate: str, kind: str) -> str | None:
        remembered = await self.card_ids.get(turn_context, dict)
        return (remembered.get(candidate) or {}).get(kind)

    async def _remember_card(
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

    def _labels(self, language: str) -> cards.Labels:
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


async def on_turn_error(turn_context: TurnContext, error: Exception, coach: Coach) -> None:
    """Log what failed (never the user's words) and say so politely, if the connector lets us."""
    reason = error.reason if isinstance(error, ConnectorFailure) else type(error).__name__
    log.error("teams turn failed: %s", reason, exc_info=not isinstance(error, ConnectorFailure))
    who = identity_from(turn_context.activity)
    language = (await coach.language_for(who)) if who else coach.settings.coach_language
    try:
        message = plain_text(coach.t(language, "teams_error"))
        await deliver(lambda: turn_context.send_activity(message), attempts=1)
    except Exception as failure:  # the connector is down: nothing more we can do in this turn
        log.error("could not report the failure either: %s", type(failure).__name__)
