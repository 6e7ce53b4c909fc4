"""Modals: the checklist (opened, submitted within Slack's 3 s), add a candidate, the reason for
skipping a call. A form hands the engine a typed command, never rebuilt words."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import commands
from bot.channels.slack import blocks, home, jobs
from bot.channels.slack.deps import Deps
from bot.channels.slack.notify import API_FAILURES, SlackNotifier, error_code
from bot.channels.slack.payloads import as_dict, delivery_key, ids, text_of
from bot.inbox import DUPLICATE, Refusal
from bot.messages import Identity, Inbound, Reply
from bot.notify import DeliveryError, Recipient

log = logging.getLogger(__name__)

EXPIRED_TRIGGER = frozenset({"expired_trigger_id", "invalid_trigger_id", "trigger_exchanged"})
# Slack waits 3 s for a view_submission's acknowledgement; the checklist is saved inside this
# and otherwise acknowledged as "still saving" while its inbox job finishes the work.
CHECKLIST_BUDGET = 2.0


async def open_checklist(
    deps: Deps,
    client: AsyncWebClient,
    team: str,
    user: str,
    trigger_id: str | None,
    ref: str,
    hint_language: str,
    response_url: str | None,
) -> None:
    """views.open first (the trigger_id dies after 3 s), then fill it in with views.update."""
    view_id: str | None = None
    problem = "slack_api_failed"
    if trigger_id:
        try:
            loading = blocks.loading_modal(deps.texts(hint_language))
            opened = await client.views_open(trigger_id=trigger_id, view=loading)
            view_id = (opened.get("view") or {}).get("id")
        except API_FAILURES as error:
            code = error_code(error)
            log.warning("views.open failed: %s", code)
            if code in EXPIRED_TRIGGER:
                problem = "slack_trigger_expired"
    who = await deps.identify(client, team, user)
    language = deps.language(who)
    t = deps.texts(language)
    start = commands.from_form("start", candidate=ref)
    replies = await deps.coach.handle(who, Inbound(text="start", command=start))
    reply = next((r for r in replies if r.form), replies[0])
    if view_id:
        if reply.form:
            metadata = blocks.encode_metadata(reply.form.candidate_id, response_url=response_url)
            view = blocks.checklist_modal(reply.form, t, metadata)
        else:
            view = blocks.message_modal(t, reply.text)
        try:
            await client.views_update(view_id=view_id, view=view)
            return
        except API_FAILURES as error:
            log.warning("views.update failed: %s", error_code(error))
    if reply.form:
        body = blocks.checklist_message(reply.form, t, language, t(problem))
        await deps.tell(client, user, t(problem), body, response_url)
    else:
        await deps.say(client, user, reply, language, response_url)


async def on_checklist(
    deps: Deps, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
) -> None:
    """view_submission: stored in the inbox, then saved within Slack's 3 s where possible.

    Inline errors keep the modal open; an accepted checklist closes it and the script is
    DM'd. When saving takes longer than the budget, the modal says the answers are being
    saved and the script (or what needs work) follows as a message: a saved submission
    never looks failed. A process that dies in between leaves the inbox row to another.
    """
    started = time.monotonic()
    team, user = ids(body)
    metadata = blocks.decode_metadata(view.get("private_metadata"))
    delivery = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
    values = as_dict(view.get("state")).get("values")
    # The checkbox is only in an external candidate's checklist; absent means "not asked".
    strongest = (
        blocks.checked(as_dict(values), blocks.STRONGEST)
        if blocks.STRONGEST in as_dict(values)
        else None
    )
    job = jobs.ChecklistJob(
        team=team,
        user=user,
        candidate=metadata.get("candidate", ""),
        answers=blocks.state_values(values),
        strongest=strongest,
        delivery=delivery_key("view", team, user, delivery),
        response_url=metadata.get("response_url"),
    )
    first = blocks.first_input_block(view)
    ticket = await deps.accept(jobs.CHECKLIST, delivery_key("inbox", job.delivery), job)
    if isinstance(ticket, Refusal):
        if ticket is DUPLICATE:
            await ack()
        else:
            language = deps.known_language(team, user)
            await ack_problem(deps, ack, first, language, deps.refusal(ticket, team, user))
        return
    async with ticket.working():
        saving = asyncio.ensure_future(save_checklist(deps, client, job))
        left = CHECKLIST_BUDGET - (time.monotonic() - started)
        done, _ = await asyncio.wait({saving}, timeout=max(0.0, left))
        if not done:
            language = deps.known_language(team, user)
            t = deps.texts(language)
            await ack(response_action="update", view=blocks.message_modal(t, t("on_it_checklist")))
            who, reply = await saving
            await checklist_by_message(deps, client, job, who, reply)
            return
        who, reply = saving.result()
        language = deps.language(who)
        if reply.form is not None and blocks.form_errors(reply.form):
            if blocks.new_inputs(reply.form, view):
                # A risky answer gets a second field for the requirement it is about.
                metadata_text = str(view.get("private_metadata") or "")
                t = deps.texts(language)
                modal = blocks.checklist_modal(reply.form, t, metadata_text)
                await ack(response_action="update", view=modal)
                return
            await ack(response_action="errors", errors=blocks.form_errors(reply.form))
            return
        if reply.cards:
            await ack()
            await send_script(deps, client, user, reply, language, job.candidate, metadata)
            return
        if deps.is_repeat([reply], language):
            await ack()
            return
        # Not found, or the store is down: say so in the modal, which keeps what they typed.
        await ack_problem(deps, ack, first, language, reply.text)


async def ack_problem(deps: Deps, ack: Any, first: str | None, language: str, text: str) -> None:
    if first:
        await ack(response_action="errors", errors={first: text})
    else:
        await ack(response_action="update", view=blocks.message_modal(deps.texts(language), text))


async def save_checklist(
    deps: Deps, client: AsyncWebClient, job: jobs.ChecklistJob
) -> tuple[Identity, Reply]:
    # No users.info here: the answer (errors or not) must go back within 3 s.
    who = await deps.identify(client, job.team, job.user, look_up=False)
    reply = await deps.coach.submit_checklist(
        who,
        job.candidate,
        job.answers,
        idempotency_key=job.delivery,
        strongest=job.strongest,
    )
    return who, reply


async def checklist_job(deps: Deps, payload: dict[str, Any], recovered: bool) -> None:
    """A submission whose process died: save it (once), then answer by message."""
    job = jobs.ChecklistJob.model_validate(payload)
    client = await deps.client_for(job.team)
    if client is None:
        return
    who, reply = await save_checklist(deps, client, job)
    if deps.is_repeat([reply], deps.language(who)):
        # Saved before the process died, the script perhaps not sent: send it now.
        reply = await deps.coach.finish(who, job.candidate)
    await checklist_by_message(deps, client, job, who, reply)


async def checklist_by_message(
    deps: Deps, client: AsyncWebClient, job: jobs.ChecklistJob, who: Identity, reply: Reply
) -> None:
    """The outcome of a submission whose modal is already closed."""
    language = deps.language(who)
    if reply.cards:
        metadata = {"response_url": job.response_url} if job.response_url else {}
        await send_script(deps, client, job.user, reply, language, job.candidate, metadata)
    elif reply.form is not None:
        t = deps.texts(language)
        body = blocks.checklist_message(reply.form, t, language, reply.text)
        await deps.tell(client, job.user, reply.text, body, job.response_url)
    elif not deps.is_repeat([reply], language):
        await deps.tell(
            client, job.user, reply.text, [blocks.section(reply.text)], job.response_url
        )


async def send_script(
    deps: Deps,
    client: AsyncWebClient,
    user: str,
    reply: Reply,
    language: str,
    candidate: str,
    metadata: dict[str, str],
) -> None:
    notifier = SlackNotifier(client, deps.coach.guides)
    recipient = Recipient(platform="slack", workspace="", user=user, language=language)
    try:
        await notifier.send(recipient, reply)
    except DeliveryError:
        # The answers are stored; tell them how to get the script once Slack is back.
        text = deps.coach.t(language, "slack_script_not_delivered", id=candidate)
        await deps.post_response(metadata.get("response_url"), text, [blocks.section(text)])


async def ask_skip_reason(
    deps: Deps, client: AsyncWebClient, body: dict[str, Any], ref: str, language: str
) -> None:
    container = as_dict(body.get("container"))
    source = "home" if container.get("type") == "view" else "message"
    metadata = blocks.encode_metadata(ref, source=source)
    try:
        await client.views_open(
            trigger_id=body.get("trigger_id"),
            view=blocks.skip_reason_modal(deps.texts(language), metadata),
        )
    except API_FAILURES as error:
        log.warning("views.open failed: %s", error_code(error))
        text = deps.coach.t(language, "slack_api_failed")
        _, user = ids(body)
        response_url = text_of(body.get("response_url")) or None
        await deps.tell(client, user, text, [blocks.section(text)], response_url)


async def on_skip_reason(
    deps: Deps, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
) -> None:
    team, user = ids(body)
    metadata = blocks.decode_metadata(view.get("private_metadata"))
    reason = blocks.state_values(as_dict(view.get("state")).get("values")).get("reason")
    who = await deps.identify(client, team, user, look_up=False)
    language = deps.language(who)
    delivery = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
    # The reason is one line of free text; the candidate came from the button's own words.
    note = " ".join(commands.clean(reason or "").split()) or None
    command = commands.from_form(
        "log", candidate=metadata.get("candidate", ""), outcome="skipped", note=note
    )
    replies = await deps.coach.handle(
        who,
        Inbound(
            text="log skipped (skip-reason modal)",
            command=command,
            idempotency_key=delivery_key("view", team, user, delivery),
        ),
    )
    if deps.is_repeat(replies, language):
        await ack()
        return
    text = "\n\n".join(reply.text for reply in replies)
    if deps.is_database_down(replies[0], language):
        await ack(response_action="errors", errors={"reason": text})
        return
    await ack(response_action="update", view=blocks.message_modal(deps.texts(language), text))
    if metadata.get("source") == "home":
        await home.publish_home(deps, client, who, banner=text)


async def on_add(
    deps: Deps, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
) -> None:
    team, user = ids(body)
    values = as_dict(as_dict(view.get("state")).get("values"))
    answers = blocks.state_values(values)
    name = " ".join((answers.get("name") or "").split())
    position = " ".join((answers.get("position") or "").split())
    who = await deps.identify(client, team, user, look_up=False)
    language = deps.language(who)
    # The grammar separates name and position with |, so neither may contain one.
    errors = {
        key: deps.coach.t(language, "slack_add_no_bar")
        for key, value in (("name", name), ("position", position))
        if "|" in value
    }
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    command = commands.from_form(
        "add", name=name, position=position, internal=blocks.checked(values, "internal")
    )
    delivery = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
    replies = await deps.coach.handle(
        who,
        Inbound(
            text="add (add-candidate modal)",
            command=command,
            idempotency_key=delivery_key("view", team, user, delivery),
        ),
    )
    if deps.is_repeat(replies, language):
        await ack()
        return
    if not replies[0].cards:
        await ack(response_action="errors", errors={"name": replies[0].text})
        return
    await ack()
    await home.publish_home(deps, client, who, banner=replies[0].text)


def register(app: AsyncApp, deps: Deps) -> None:
    deps.coach.inbox.register(jobs.CHECKLIST, functools.partial(checklist_job, deps))

    async def checklist_submitted(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await on_checklist(deps, ack, body, view, client)

    async def add_submitted(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await on_add(deps, ack, body, view, client)

    async def skip_reason_submitted(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await on_skip_reason(deps, ack, body, view, client)

    app.view_submission(blocks.CHECKLIST)(checklist_submitted)
    app.view_submission(blocks.ADD_CANDIDATE)(add_submitted)
    app.view_submission(blocks.SKIP_REASON)(skip_reason_submitted)
