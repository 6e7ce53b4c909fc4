"""Buttons and overflow menus: their value is the engine's grammar words, stored in the inbox,
acknowledged, then run once per delivery; the outcome is shown where the button was."""

from __future__ import annotations

import functools
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import commands
from bot.channels.slack import blocks, home, jobs, views
from bot.channels.slack.deps import Deps
from bot.channels.slack.notify import API_FAILURES, error_code
from bot.channels.slack.payloads import action_command, as_dict, delivery_key, ids, text_of
from bot.inbox import DUPLICATE, Refusal
from bot.messages import Identity, Inbound, Reply

log = logging.getLogger(__name__)


async def on_button(
    deps: Deps, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
) -> None:
    """Every command button or menu option: its value is grammar words, run once per
    delivery."""
    team, user = ids(body)
    job = jobs.ButtonJob(
        team=team,
        user=user,
        command=action_command(action),
        action={
            k: action.get(k)
            for k in ("action_id", "block_id", "action_ts", "value", "selected_option")
        },
        trigger_id=text_of(body.get("trigger_id")) or None,
        response_url=text_of(body.get("response_url")) or None,
        container=as_dict(body.get("container")),
        message=body.get("message") if isinstance(body.get("message"), dict) else None,
        channel=body.get("channel") if isinstance(body.get("channel"), dict) else None,
    )
    delivery = action.get("action_ts") or body.get("trigger_id")
    key = delivery_key("inbox", "action", team, user, delivery) if delivery else None
    ticket = await deps.accept(jobs.BUTTON, key, job)
    await ack()
    if isinstance(ticket, Refusal):
        if ticket is not DUPLICATE:
            # A button's acknowledgement shows nothing: say it beside the button.
            text = deps.refusal(ticket, team, user)
            await deps.tell(client, user, text, [blocks.section(text)], job.response_url)
        return
    async with ticket.working():
        await run_button(deps, client, job.body(), job.action)


async def button_job(deps: Deps, payload: dict[str, Any], recovered: bool) -> None:
    job = jobs.ButtonJob.model_validate(payload)
    client = await deps.client_for(job.team)
    if client is not None:
        await run_button(deps, client, job.body(), job.action)


async def run_button(
    deps: Deps, client: AsyncWebClient, body: dict[str, Any], action: dict[str, Any]
) -> None:
    command = action_command(action)
    team, user = ids(body)
    hint = blocks.language_of_action(text_of(action.get("action_id")), deps.settings.coach_language)
    response_url = text_of(body.get("response_url")) or None
    parsed = commands.parse(command)
    if isinstance(parsed, commands.Start):
        await views.open_checklist(
            deps, client, team, user, body.get("trigger_id"), parsed.candidate, hint, response_url
        )
        return
    if isinstance(parsed, commands.Log) and parsed.outcome == "skipped" and not parsed.note:
        await views.ask_skip_reason(deps, client, body, parsed.candidate, hint)
        return
    who = await deps.identify(client, team, user)
    language = deps.language(who)
    delivery = action.get("action_ts") or body.get("trigger_id")
    key = delivery_key("action", team, user, delivery) if delivery else None
    replies = await deps.coach.handle(who, Inbound(text=command, idempotency_key=key))
    if deps.is_repeat(replies, language):
        return
    for reply in replies:
        if reply.attachment is not None:
            await deps.send_file(client, who, reply.attachment, response_url)
    replies = [reply for reply in replies if reply.attachment is None]
    if replies:
        await show_outcome(deps, client, body, action, replies, who)


async def show_outcome(
    deps: Deps,
    client: AsyncWebClient,
    body: dict[str, Any],
    action: dict[str, Any],
    replies: list[Reply],
    who: Identity,
) -> None:
    """Where the button was: the Home tab is redrawn, a message is updated in place."""
    text = "\n\n".join(reply.text for reply in replies)
    container = as_dict(body.get("container"))
    message = body.get("message") if isinstance(body.get("message"), dict) else None
    response_url = text_of(body.get("response_url")) or None
    if deps.is_database_down(replies[0], deps.language(who)):
        # Nothing was recorded: the buttons stay where they are, and the reason comes
        # beside them, so the recruiter can press again once the store is back.
        await deps.tell(client, who.user, text, [blocks.section(text)], response_url)
        return
    if container.get("type") == "view":
        await home.publish_home(deps, client, who, banner=text)
        return
    if message is None or container.get("is_ephemeral"):
        # An ephemeral message cannot be chat.update'd; answer beside it.
        await deps.tell(client, who.user, text, [blocks.section(text)], response_url)
        return
    channel = text_of(container.get("channel_id"))
    channel = channel or text_of(as_dict(body.get("channel")).get("id"))
    shown = message.get("blocks")
    try:
        await client.chat_update(
            channel=channel,
            ts=container.get("message_ts") or message.get("ts"),
            text=blocks.fallback_text(text_of(message.get("text")) or text),
            blocks=blocks.mark_done(
                shown if isinstance(shown, list) else [], str(action.get("block_id")), text
            ),
        )
    except API_FAILURES as error:
        log.warning("chat.update failed: %s", error_code(error))
        await deps.tell(client, who.user, text, [blocks.section(text)], response_url)


async def on_add_button(
    deps: Deps, ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
) -> None:
    await ack()
    value = str(action.get("value") or "")
    language = value if value in ("nb", "en") else deps.settings.coach_language
    try:
        await client.views_open(
            trigger_id=body.get("trigger_id"),
            view=blocks.add_candidate_modal(deps.texts(language)),
        )
    except API_FAILURES as error:
        log.warning("views.open failed: %s", error_code(error))
        text = deps.coach.t(language, "slack_api_failed")
        _, user = ids(body)
        await deps.tell(client, user, text, [blocks.section(text)], None)


def register(app: AsyncApp, deps: Deps) -> None:
    deps.coach.inbox.register(jobs.BUTTON, functools.partial(button_job, deps))

    async def add_pressed(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await on_add_button(deps, ack, body, action, client)

    async def button_pressed(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await on_button(deps, ack, body, action, client)

    # The add button first: its action id would match the command buttons' pattern too.
    app.action({"type": "block_actions", "action_id": blocks.ADD_BUTTON})(add_pressed)
    app.action({"type": "block_actions", "action_id": blocks.ACTION_ID_PATTERN})(button_pressed)
