"""/feedback-call: read-only commands answered in the acknowledgement; the rest stored in the
inbox, acknowledged, then run, with the answer at response_url."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pydantic_core
from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import commands
from bot.channels.slack import blocks, jobs, practice, views
from bot.channels.slack.deps import ARRIVED_AT, Deps
from bot.channels.slack.payloads import delivery_key, ids, text_of
from bot.inbox import BUSY, DUPLICATE, Refusal
from bot.messages import Identity, Inbound

log = logging.getLogger(__name__)

COMMAND = "/feedback-call"


def command_job_of(command: dict[str, Any]) -> jobs.CommandJob:
    team, user = ids(command)
    return jobs.CommandJob(
        team=team,
        user=user,
        text=text_of(command.get("text")),
        response_url=text_of(command.get("response_url")) or None,
        trigger_id=text_of(command.get("trigger_id")) or None,
    )


async def answer_in_ack(
    deps: Deps,
    command: dict[str, Any],
    client: AsyncWebClient,
    arrived: float | None,
    next: Callable[[], Awaitable[None]],
) -> BoltResponse | None:
    """A command that only reads is answered in the acknowledgement itself, when its answer
    is ready in time: nothing to store, no second request. Any other command, or one whose
    answer is late (a slow users.info, a slow store) or fails, goes on to `on_command`: it
    changes nothing, so starting over loses nothing.

    A listener middleware rather than the listener: its response goes back at once, where
    an acknowledgement from a listener waits for Bolt's next 10 ms poll."""
    job = command_job_of(command)
    if getattr(commands.parse(job.text), "kind", None) not in commands.READ_ONLY:
        await next()
        return None
    loop = asyncio.get_running_loop()
    budget = deps.settings.slack_answer_in_ack_seconds
    if arrived is not None:
        budget -= loop.time() - arrived
    with deps.coach.inbox.holding() as room:
        if not room:
            return ephemeral(deps.refusal(BUSY, job.team, job.user))
        try:
            answer = await asyncio.wait_for(read_only_answer(deps, client, job), budget)
        except TimeoutError:
            log.info("a read-only command took longer than the acknowledgement allows")
            answer = None
        except Exception as error:  # the inbox's way retries it and answers whatever happens
            log.warning("a read-only command failed in place: %s", type(error).__name__)
            answer = None
    if answer is None:
        await next()
        return None
    return answer


async def read_only_answer(
    deps: Deps, client: AsyncWebClient, job: jobs.CommandJob
) -> BoltResponse | None:
    """The acknowledgement carrying the answer; None when it is more than one message."""
    who = Identity(platform="slack", workspace=job.team, user=job.user)
    answer = await deps.coach.converse(who, Inbound(text=job.text), deps.profile_source(client))
    deps.language(who.model_copy(update={"language": answer.language}))
    if len(answer.replies) != 1 or answer.replies[0].attachment is not None:
        return None
    reply = answer.replies[0]
    body = blocks.reply_blocks(reply, deps.texts(answer.language), answer.language)
    return ephemeral(blocks.fallback_text(reply.text), body)


def ephemeral(text: str, body: list[Any] | None = None) -> BoltResponse:
    message: dict[str, Any] = {"text": text, "response_type": "ephemeral"}
    if body is not None:
        message["blocks"] = body
    # pydantic's serialiser, not Bolt's json.dumps of a dict: a list of thirty is some 17 kB,
    # encoded in a third of the time.
    return BoltResponse(status=200, body=pydantic_core.to_json(message).decode())


async def on_command(deps: Deps, ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
    """Stored in the inbox, then an empty acknowledgement; the answer follows at
    response_url. Refused at once, in the acknowledgement, when busy or the store is down."""
    job = command_job_of(command)
    key = delivery_key("inbox", "command", job.team, job.trigger_id) if job.trigger_id else None
    ticket = await deps.accept(jobs.COMMAND, key, job)
    if isinstance(ticket, Refusal):
        if ticket is DUPLICATE:
            await ack()  # the same delivery is stored already; its answer will come
        else:
            await ack(text=deps.refusal(ticket, job.team, job.user), response_type="ephemeral")
        return
    await ack()
    async with ticket.working():
        await run_command(deps, client, job)


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
    # The engine keeps the key only for commands that change something.
    key = delivery_key("command", team, trigger_id) if trigger_id else None
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

    async def slash_command(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await on_command(deps, ack, command, client)

    async def in_ack(
        command: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        next: Callable[[], Awaitable[None]],
    ) -> BoltResponse | None:
        return await answer_in_ack(deps, command, client, context.get(ARRIVED_AT), next)

    app.command(COMMAND, middleware=[in_ack])(slash_command)
