"""Teams activities: what arrives (read defensively, pydantic at the edge) and the message
activities the handler sends (text, cards, files). No engine calls here."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import math
import re
from typing import Any

from botbuilder.core import (
    CardFactory,
    MessageFactory,
)
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    TextFormatTypes,
)
from botbuilder.schema import Attachment as FileAttachment
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from bot import commands
from bot.channels.teams import cards
from bot.channels.teams.cards import STRONGEST_INPUT
from bot.coach import Coach
from bot.commands import Command, ParseError
from bot.messages import (
    Card,
    Identity,
    Reply,
    is_platform_id,
    language_from_locale,
)

log = logging.getLogger(__name__)

# The largest export sent inline in a chat (bytes before base64; see export_activity).
INLINE_EXPORT_LIMIT = 18 * 1024


# -- reading an activity ------------------------------------------------------------------------


def timezone_from(activity: Activity) -> str | None:
    for entity in activity.entities or []:
        if getattr(entity, "type", None) == "clientInfo":
            zone = (entity.additional_properties or {}).get("timezone")
            if isinstance(zone, str) and zone:
                return zone
    return activity.local_timezone or None


def tenant_of(activity: Activity) -> str | None:
    """The tenant the activity names ("" for one that is there but not a string); None if none."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = channel_data.get("tenant")
    if isinstance(tenant, dict) and tenant.get("id") is not None:
        return tenant["id"] if isinstance(tenant["id"], str) else ""
    if activity.conversation is not None and activity.conversation.tenant_id is not None:
        return activity.conversation.tenant_id
    return None


# Longer ids than Teams uses are hashed to fit the store; longer than this is not an id at all.
MAX_RAW_ID = 1024


def _usable(value: object) -> str | None:
    """A platform id checked before it reaches the engine (a NUL would reach the database)."""
    if not is_platform_id(value, MAX_RAW_ID):
        return None
    assert isinstance(value, str)
    # Identity fields hold at most 128 characters; Teams ids are far shorter, others may not be.
    return value if len(value) <= 128 else hashlib.sha256(value.encode()).hexdigest()


def identity_from(activity: Activity) -> Identity | None:
    """Tenant = workspace, AAD object id = user; language and time zone from the client.

    None when the activity names no sender, or a tenant or user id no platform would send.
    """
    sender: ChannelAccount | None = activity.from_property
    if sender is None or not isinstance(sender, ChannelAccount):
        return None
    tenant = tenant_of(activity)
    if tenant is None:
        # Teams always names the tenant; without one, every such user would share a workspace.
        # Only channels that have no tenants (the Emulator, Web Chat) fall back to the channel.
        if activity.channel_id == "msteams":
            return None
        tenant = activity.channel_id or "teams"
    workspace = _usable(tenant)
    user = _usable(sender.aad_object_id or sender.id)
    if workspace is None or user is None:
        return None
    zone = timezone_from(activity)
    return Identity(
        platform="teams",
        workspace=workspace,
        user=user,
        language=language_from_locale(activity.locale),
        timezone=zone if isinstance(zone, str) else None,
        # The display name Teams sends with every activity: how the script introduces them.
        name=sender.name if isinstance(sender.name, str) else None,
    )


class _Account(BaseModel):
    # Field names are the Bot Framework's JSON names, so no aliases are needed.
    model_config = ConfigDict(extra="allow")
    id: StrictStr | None = None
    aadObjectId: StrictStr | None = None


class _Conversation(_Account):
    tenantId: StrictStr | None = None
    conversationType: StrictStr | None = None


class ActivityShape(BaseModel):
    """The fields of an activity that botbuilder and the coach read, with Teams' own types.

    Checked on the raw JSON before botbuilder's deserializer, which turns an object where an
    id belongs into text and carries on (then fails, deep in a reply, with the connector).
    """

    model_config = ConfigDict(extra="allow")
    type: StrictStr
    id: StrictStr | None = None
    channelId: StrictStr | None = None
    serviceUrl: StrictStr | None = None
    replyToId: StrictStr | None = None
    text: StrictStr | None = None
    locale: StrictStr | None = None
    from_: _Account | None = Field(default=None, alias="from")
    recipient: _Account | None = None
    conversation: _Conversation | None = None
    channelData: dict[str, Any] | None = None
    entities: list[dict[str, Any]] | None = None
    membersAdded: list[_Account] | None = None


def routable(activity: Activity) -> bool:
    """The fields botbuilder needs to answer and to key its state; Teams always sends them."""
    conversation = activity.conversation
    return (
        isinstance(activity.channel_id, str)
        and bool(activity.channel_id)
        and isinstance(activity.service_url, str)
        and bool(activity.service_url)
        and isinstance(conversation, ConversationAccount)
        and isinstance(conversation.id, str)
        and bool(conversation.id)
    )


# Teams marks every @mention in a message's text as <at>Name</at> (the bot's and anyone else's).
MENTION = re.compile(r"<at(?:\s[^>]*)?>(.*?)</at>", re.IGNORECASE | re.DOTALL)
LEADING_MENTIONS = re.compile(
    r"^(?:\s|&nbsp;)*(?:" + MENTION.pattern + r"(?:\s|&nbsp;)*)+", re.IGNORECASE | re.DOTALL
)


def text_without_mention(activity: Activity) -> str:
    """The message text without any mention markup (group chats and channels).

    The bot's own mention goes wherever it is, and so do mentions in front of the command
    ("@Coach @Ola list" is "list"); a mention inside the words keeps its plain name
    ("log @Kari Nordmann called" is "log Kari Nordmann called").
    """
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        if getattr(entity, "type", None) != "mention":
            continue
        properties = entity.additional_properties or {}
        mentioned = properties.get("mentioned") or {}
        if isinstance(mentioned, dict) and mentioned.get("id") == bot_id:
            mention_text = properties.get("text")
            if isinstance(mention_text, str) and mention_text:
                text = text.replace(mention_text, " ")
    text = LEADING_MENTIONS.sub(" ", text)
    text = MENTION.sub(lambda match: html.unescape(match.group(1)), text)
    return " ".join(text.replace("&nbsp;", " ").split())


def delivery_key(activity: Activity) -> str | None:
    """The same delivery, retried by the Bot Framework, carries the same activity id."""
    if activity.id:
        raw = f"{activity.conversation.id if activity.conversation else ''}|{activity.id}"
    elif activity.value is not None:
        # No id: a card submit is still the same click when its card and data are the same.
        raw = f"{activity.reply_to_id}|{json.dumps(activity.value, sort_keys=True)}"
    else:
        return None
    return "teams:" + hashlib.sha256(raw.encode()).hexdigest()


def is_personal(activity: Activity) -> bool:
    """A 1:1 chat with the bot; a "channel" or "groupChat" (or anything else) is shared."""
    conversation = activity.conversation
    if conversation is None:
        return True
    return conversation.conversation_type in (None, "personal") and not conversation.is_group


# -- the bot -----------------------------------------------------------------------------------


# -- what a card submit carries ---------------------------------------------------------------


def submitted_request(value: dict[str, Any]) -> tuple[str, Command | ParseError] | None:
    """What an Action.Submit asks for: the button's grammar words (the engine's, opaque) and
    the typed request, with a reason typed into the card as the Log's note."""
    words = value.get("command")
    if not isinstance(words, str) or not words.strip():
        return None
    words = words.strip()
    parsed = commands.parse(words)
    append = value.get("append")
    note = value.get(append) if isinstance(append, str) else None
    if isinstance(parsed, commands.Log) and isinstance(note, str) and note.strip():
        fields = parsed.model_dump(exclude={"kind", "note"})
        return words, commands.from_form("log", **fields, note=" ".join(note.split()))
    return words, parsed


def submitted_strongest(value: dict[str, Any]) -> bool | None:
    """The "among the strongest" toggle of a checklist submit; None when the card had none."""
    toggle = value.get(STRONGEST_INPUT)
    return toggle == "true" if toggle in ("true", "false") else None


def submitted_answers(value: dict[str, Any], step_keys: list[str] | None = None) -> dict[str, str]:
    """Checklist inputs from a submit: every string field except the card's own data."""
    own = ("action", "candidate", "command", "card", STRONGEST_INPUT)
    answers = {key: text for key, text in value.items() if isinstance(text, str) and key not in own}
    if step_keys is not None:
        answers = {key: text for key, text in answers.items() if key in step_keys}
    return answers


# -- activities sent -------------------------------------------------------------------------


def card_message(card: dict) -> Activity:
    return MessageFactory.attachment(CardFactory.adaptive_card(card))


def plain_text(text: str) -> Activity:
    # Plain, not markdown: names and notes are the recruiter's words, shown as typed.
    activity = MessageFactory.text(text)
    activity.text_format = TextFormatTypes.plain
    return activity


def reply_activity(reply: Reply, labels: cards.Labels) -> Activity:
    """Text with the reply's cards under it (a list of candidates, or one). With a heading,
    the cards carry the details and the heading replaces the text that would repeat them."""
    activity = plain_text(reply.text if reply.heading is None else reply.heading)
    shown = list(reply.cards)
    if reply.confirm is not None:
        # The question is the text; the card under it is only its yes-button.
        shown.insert(0, Card(title="", buttons=[reply.confirm]))
    if shown:
        activity.attachments = [
            CardFactory.adaptive_card(cards.buttons_card(card, labels)) for card in shown
        ]
        activity.attachment_layout = "list"
    return activity


def export_activity(coach: Coach, language: str, reply: Reply) -> Activity:
    """An export as a file in the chat (inline, as a data: URL), never pasted as text.

    Teams caps a bot message at about 28 KB, and base64 makes the file a third larger, so a
    bigger export gets a message saying so instead of a message Teams would refuse.
    """
    attachment = reply.attachment
    assert attachment is not None
    data = attachment.content.encode("utf-8")
    name = attachment.filename
    if len(data) > INLINE_EXPORT_LIMIT:
        text = coach.t(
            language,
            "teams_export_too_large",
            filename=name,
            size=math.ceil(len(data) / 1024),
            limit=INLINE_EXPORT_LIMIT // 1024,
        )
        return plain_text(text)
    activity = plain_text(coach.t(language, "teams_export_attached", filename=name))
    encoded = base64.b64encode(data).decode("ascii")
    activity.attachments = [
        FileAttachment(
            content_type=attachment.media_type,
            content_url=f"data:{attachment.media_type};base64,{encoded}",
            name=name,
        )
    ]
    return activity
