"""/feedback-call: stored in the inbox, acknowledged, then run; the answer at response_url."""

from __future__ import annotations

import functools
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import commands
from bot.channels.slack import jobs, practice, views
from bot.channels.slack.deps import Deps
from bot.channels.slack.payloads import delivery_key, ids, text_of
from bot.inbox import DUPLICATE, Refusal
from bot.messages import Identity, Inbound

log = logging.getLogger(__name__)

COMMAND = "/feedback-call"
# Commands that change nothing need no delivery key (and no row in processed_events).
READ_ONLY = frozenset({"help", "list", "report", "pool"})


async def on_command(deps: Deps, ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
    """Stored in the inbox, then an empty acknowledgement; the answer follows at
    response_url. Refused at once, in the acknowledgement, when busy or the store is down."""
    team, user = ids(command)
    job = jobs.CommandJob(
        team=team,
        user=user,
        text=text_of(command.get("text")),
        response_url=text_of(command.get("response_url")) or None,
        trigger_id=text_of(command.get("trigger_id")) or None,
    )
    key = delivery_key("inbox", "command", team, job.trigger_id) if job.trigger_id else None
    ticket = await deps.accept(jobs.COMMAND, key, job)
    if isinstance(ticket, Refusal):
        if ticket is DUPLICATE:
            await ack()  # the same delivery is stored already; its answer will come
        else:
            await ack(text=deps.refusal(ticket, team, user), response_type="ephemeral")
        return
    await ack()
    parsed = commands.parse(job.text)
    # Answering a read-only command twice after a crash is harmless: see Ticket.working.
    harmless = getattr(parsed, "kind", None) in READ_ONLY
    async with ticket.working(harmless_twice=harmless):
        await run_command(deps, client, job, parsed)


async def command_job(deps: Deps, payload: dict[str, Any], recovered: bool) -> None:
    job = jobs.CommandJob.model_validate(payload)
    client = await deps.client_for(job.team)
    if client is not None:
        await run_command(deps, client, job)


async def run_command(
    deps: Deps,
    client: AsyncWebClient,
    job: jobs.CommandJob,
    parsed: commands.Command | commands.ParseError | None = None,
) -> None:
    team, user, text = job.team, job.user, job.text
    response_url, trigger_id = job.response_url, job.trigger_id
    if parsed is None:
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
        who, Inbound(text=text, command=parsed, idempotency_key=key), deps.profile_source(client)
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

    app.command(COMMAND)(slash_command)
