"""The App Home tab: the recruiter's pending candidates, redrawn after anything changes them."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack import blocks
from bot.channels.slack.deps import Deps
from bot.channels.slack.notify import API_FAILURES, error_code
from bot.channels.slack.payloads import ids
from bot.messages import Identity, Inbound, is_platform_id

log = logging.getLogger(__name__)


async def on_home(
    deps: Deps, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
) -> None:
    if event.get("tab", "home") != "home" or not is_platform_id(event.get("user")):
        return
    team, _ = ids(body)
    who = await deps.identify(client, team, str(event.get("user") or ""))
    await publish_home(deps, client, who)


async def publish_home(
    deps: Deps, client: AsyncWebClient, who: Identity, banner: str | None = None
) -> None:
    language = deps.language(who)
    t = deps.texts(language)
    reply = (await deps.coach.handle(who, Inbound(text="list")))[0]
    if deps.is_database_down(reply, language):
        heading = reply.text
    elif reply.cards:
        heading = t("help_pending", count=len(reply.cards))
    else:
        heading = t("help_nothing_pending")
    view = blocks.home_view(t, language, reply.cards, heading, banner)
    try:
        await client.views_publish(user_id=who.user, view=view)
    except API_FAILURES as error:
        log.warning("views.publish failed: %s", error_code(error))


def register(app: AsyncApp, deps: Deps) -> None:
    async def home_opened(
        event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await on_home(deps, event, body, client)

    app.event("app_home_opened")(home_opened)
