"""Slack listeners for a practice call: a modal the recruiter types into, turn by turn.

Each submission is answered in the acknowledgement (`response_action: update`), so a turn is
one HTTP exchange and needs no new OAuth scope. The practice state travels in the modal's
private_metadata; nothing typed is stored or logged.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import blocks, practice_blocks
from bot.channels.slack.notify import API_FAILURES, error_code
from bot.channels.slack.payloads import ids
from bot.messages import Inbound

if TYPE_CHECKING:
    from bot.channels.slack.deps import Deps

log = logging.getLogger(__name__)


def register(app: Any, deps: Deps) -> None:
    app.view_submission(practice_blocks.PRACTICE)(functools.partial(on_line, deps))


async def open_practice(
    deps: Deps,
    client: AsyncWebClient,
    team: str,
    user: str,
    trigger_id: str | None,
    text: str,
    response_url: str | None,
) -> None:
    """views.open at once (the trigger_id dies after 3 s), then views.update with the call."""
    hint = deps.texts(deps.settings.coach_language)
    view_id: str | None = None
    if trigger_id:
        try:
            opened = await client.views_open(trigger_id=trigger_id, view=blocks.loading_modal(hint))
            view_id = (opened.get("view") or {}).get("id")
        except API_FAILURES as error:
            log.warning("views.open failed: %s", error_code(error))
    who = await deps.identify(client, team, user)
    language = deps.language(who)
    t = deps.texts(language)
    replies = await deps.coach.handle(who, Inbound(text=text))
    reply = next((r for r in replies if r.practice), replies[0])
    if view_id:
        view = (
            practice_blocks.practice_modal(reply.practice, t)
            if reply.practice
            else blocks.message_modal(t, reply.text)
        )
        try:
            await client.views_update(view_id=view_id, view=view)
            return
        except API_FAILURES as error:
            log.warning("views.update failed: %s", error_code(error))
    # No modal: a practice needs one, so say why; any other answer is shown as usual.
    if reply.practice:
        notice = t("slack_api_failed")
        await deps.tell(client, user, notice, [blocks.section(notice)], response_url)
    else:
        await deps.say(client, user, reply, language, response_url)


async def on_line(
    deps: Deps, ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
) -> None:
    """One recruiter line in; the candidate's answer (or the debrief) back in the same modal."""
    team, user = ids(body)
    state = view.get("private_metadata")
    values = (view.get("state") or {}).get("values") if isinstance(view, dict) else None
    line = practice_blocks.submitted_line(values)
    who = await deps.identify(client, team, user, look_up=False)
    reply = await deps.coach.practice_turn(who, state if isinstance(state, str) else None, line)
    t = deps.texts(deps.language(who))
    if reply.practice is None:
        await ack(response_action="update", view=blocks.message_modal(t, reply.text))
        return
    await ack(response_action="update", view=practice_blocks.practice_modal(reply.practice, t))
