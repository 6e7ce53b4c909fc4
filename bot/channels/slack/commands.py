"""/feedback-call: read-only commands answered in the acknowledgement; the rest stored in the
inbox, acknowledged, then run, with the answer at response_url."""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, NamedTuple

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import commands
from bot.channels.slack import blocks, jobs, practice, views
from bot.channels.slack.deps import ARRIVED_AT, Deps
from bot.channels.slack.payloads import delivery_key, ids, text_of
from bot.inbox import BUSY, DUPLICATE, Refusal
from bot.messages import Identity, Inbound, Reply

log = logging.getLogger(__name__)

COMMAND = "/feedback-call"
# Commands that change nothing need no delivery key (and no row in processed_events).
READ_ONLY = frozenset({"help", "list", "report", "pool"})


class Message(NamedTuple):
    """One reply as Slack shows it: the fallback text and the blocks."""

    text: str
    blocks: list[Any]


async def on_command(
    deps: Deps,
    ack: Any,
    command: dict[str, Any],
    client: AsyncWebClient,
    arrived: float | None = None,
) -> None:
    """A command that only reads is answered in the acknowledgement when its answer is ready
    in time (nothing to store, no second request); any other is stored in the inbox, then
    acknowledged empty, and its answer follows at response_url. Refused at once, in the
    acknowledgement, when busy or the store is down."""
    team, user = ids(command)
    job = jobs.CommandJob(
        team=team,
        user=user,
        text=text_of(command.get("text")),
        response_url=text_of(command.get("response_url")) or None,
        trigger_id=text_of(command.get("trigger_id")) or None,
    )
    parsed = commands.parse(job.text)
    if getattr(parsed, "kind", None) in READ_ONLY:
        await answer_in_ack(deps, ack, client, job, arrived)
        return
    await store_then_run(deps, ack, client, job)


async def store_then_run(
    deps: Deps, ack: Any, client: AsyncWebClient, job: jobs.CommandJob
) -> None:
    team, user = job.team, job.user
    key = delivery_key("inbox", "command", team, job.trigger_id) if job.trigger_id else None
    ticket = await deps.accept(jobs.COMMAND, key, job)
    if isinstance(ticket, Refusal):
        if ticket is DUPLICATE:
            await ack()  # the same delivery is stored already; its answer will come
        else:
            await ack(text=deps.refusal(ticket, team, user), response_type="ephemeral")
        return
    await ack()
    async with ticket.working():
        await run_command(deps, client, job)


async def answer_in_ack(
    deps: Deps, ack: Any, client: AsyncWebClient, job: jobs.CommandJob, arrived: float | None
) -> None:
    """Answered within Slack's 3 s, or else the inbox's way (a slow users.info, a slow store):
    it changes nothing, so starting over loses nothing."""
    loop = asyncio.get_running_loop()
    budget = deps.settings.slack_answer_in_ack_seconds
    if arrived is not None:
        budget -= loop.time() - arrived
    with deps.coach.inbox.holding() as room:
        if not room:
            text = deps.refusal(BUSY, job.team, job.user)
            await ack(text=text, response_type="ephemeral")
            return
        try:
            messages = await asyncio.wait_for(read_only_answer(deps, client, job), budget)
        except TimeoutError:
            log.info("a read-only command took longer than the acknowledgement allows")
            messages = None
        except Exception as error:  # the inbox's way retries it and answers whatever happens
            log.warning("a read-only command failed in place: %s", type(error).__name__)
            messages = None
    if not messages:
        await store_then_run(deps, ack, client, job)
        return
    first, *rest = messages
    await ack(text=first.text, blocks=first.blocks, response_type="ephemeral")
    for message in rest:
        await deps.tell(client, job.user, message.text, message.blocks, job.response_url)


async def read_only_answer(
    deps: Deps, client: AsyncWebClient, job: jobs.CommandJob
) -> list[Message]:
    who = Identity(platform="slack", workspace=job.team, user=job.user)
    answer = await deps.coach.converse(who, Inbound(text=job.text), deps.profile_source(client))
    deps.language(who.model_copy(update={"language": answer.language}))
    return [message(deps, reply, answer.language) for reply in answer.replies]


def message(deps: Deps, reply: Reply, language: str) -> Message:
    body = blocks.reply_blocks(reply, deps.texts(language), language)
    return Message(blocks.fallback_text(reply.text), body)


async def command_job(deps: Deps, payload: dict[str, Any], recovered: bool) -> None:
    job = jobs.CommandJob.model_validate(payload)
    client = await deps.client_for(job.team)
    if client is not None:
        await run_command(deps, client, job)


async def run_command(deps: Deps, client: AsyncWebClient, job: jobs.CommandJob) -> None:
    team, user, text = job.team, job.user, job.text
    response_url, trigger_id = job.response_url, job.trigger_id
    parsed = commands.parse(text)
    if isinstance(parsed, commands.Start):
        await views.open_checklist(
            deps,
            client,
            team,
            user,
            trigger_id,
            parsed.candidate,
            deps.settings.coach_language,
            response_url,
        )
        return
    if isinstance(parsed, commands.Practice):
        await practice.open_practice(deps, client, team, user, trigger_id, text, response_url)
        return
    kind = getattr(parsed, "kind", None)
    key = (
        delivery_key("command", team, trigger_id) if trigger_id and kind not in READ_ONLY else None
    )
    # One transaction reads the cached profile and runs the command; users.info only if stale.
    who = Identity(platform="slack", workspace=team, user=user)
    answer = await deps.coach.converse(
        who, Inbound(text=text, idempotency_key=key), deps.profile_source(client)
    )
    who = who.model_copy(update={"language": answer.language})
    for reply in answer.replies:
        if reply.attachment is not None:
            await deps.send_file(client, who, reply.attachment, response_url)
            continue
        await deps.say(client, user, reply, answer.language, response_url)


def register(app: AsyncApp, deps: Deps) -> None:
    deps.coach.inbox.register(jobs.COMMAND, functools.partial(command_job, deps))

    async def slash_command(
        ack: Any, command: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await on_command(deps, ack, command, client, context.get(ARRIVED_AT))

    app.command(COMMAND)(slash_command)
