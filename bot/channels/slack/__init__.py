"""The Slack channel: slack-bolt's AsyncApp behind POST /slack/events, or over Socket Mode."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.channels.slack import actions, commands, events, home, oauth, practice, uninstall, views
from bot.channels.slack.deps import ARRIVED_AT, Deps
from bot.channels.slack.installations import Authorize, Installations
from bot.channels.slack.notify import DEFAULT_TIMEOUT, SlackNotifier, web_client
from bot.channels.slack.payloads import Routable
from bot.coach import Coach
from bot.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["SLACK_APP", "SlackNotifier", "create_bolt_app", "mount_slack", "start_socket_mode"]

SLACK_APP: web.AppKey[AsyncApp] = web.AppKey("slack_app", AsyncApp)


def register(
    app: AsyncApp, coach: Coach, settings: Settings, timeout: float = DEFAULT_TIMEOUT
) -> Deps:
    """Every Slack listener, by kind; the order matters only where matchers overlap (the
    events' catch-all is last)."""
    deps = Deps(coach, settings, timeout)
    deps.client = app.client
    app.middleware(deps.check_ids)
    commands.register(app, deps)
    actions.register(app, deps)
    views.register(app, deps)
    home.register(app, deps)
    practice.register(app, deps)
    events.register(app, deps)
    app.error(deps.on_error)
    return deps


def create_bolt_app(
    settings: Settings, coach: Coach, *, timeout: float = DEFAULT_TIMEOUT
) -> AsyncApp:
    """An AsyncApp whose every Web API call (auth.test included) goes to SLACK_API_URL."""
    return _build(settings, coach, timeout)[0]


def _build(
    settings: Settings, coach: Coach, timeout: float, installations: Installations | None = None
) -> tuple[AsyncApp, Deps]:
    """One workspace (SLACK_BOT_TOKEN), or any number installed through OAuth (installations)."""
    if installations is None:
        client = web_client(settings.slack_bot_token, settings.slack_api_url, timeout)
        app = AsyncApp(
            client=client,
            signing_secret=settings.slack_signing_secret or "",
            # A long-running server: Bolt acknowledges at ack() and the listener carries on.
            process_before_response=False,
            logger=logging.getLogger("slack_bolt.app"),
        )
        return app, register(app, coach, settings, timeout)
    # Each request is authorised with its own workspace's token, found (and refreshed when
    # close to expiry) in our installation store; the app itself holds no token.
    client = web_client(None, settings.slack_api_url, timeout)
    assert settings.slack_client_id and settings.slack_client_secret is not None
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        process_before_response=False,
        logger=logging.getLogger("slack_bolt.app"),
        oauth_settings=oauth.oauth_settings(settings, coach.guides, installations),
        # Bolt's stub wants a callable returning AuthorizeResult; its own installation-store
        # authorize (which ours extends) returns Optional[AuthorizeResult] and is what its docs use.
        authorize=Authorize(  # type: ignore[arg-type]
            installations,
            logger=logging.getLogger("slack_bolt.authorize"),
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            token_rotation_expiration_minutes=settings.slack_token_rotation_minutes,
            client=client,
        ),
        user_facing_authorize_error_message=coach.t(settings.coach_language, "slack_not_installed"),
    )
    uninstall.register(app, installations, coach, settings)
    listeners = register(app, coach, settings, timeout)
    # Work taken over from the inbox has no Slack request to authorise it: it asks for the
    # workspace's token as reminders do.
    listeners.tokens = installations.bot_token
    return app, listeners


# Connections per pool. Answers at response_url are small and must not queue behind heavy
# Web API calls (a slow views.open, a file upload): each kind has a pool of its own.
ANSWER_CONNECTIONS = 50
API_CONNECTIONS = 50
# Slack drops a response_url answer it has not received after a few seconds of trying and
# a trigger_id lives 3 s; no answer is worth waiting for longer than this.
ANSWER_TIMEOUT = 5.0


def share_session(
    bolt: AsyncApp,
    listeners: Deps,
    api: aiohttp.ClientSession | None,
    answers: aiohttp.ClientSession | None = None,
) -> None:
    """Connection pools for Web API calls and for response_url answers (else one per call)."""
    bolt.client.session = api
    listeners.session = answers if answers is not None else api


def _session(limit: int, timeout: float) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, limit_per_host=limit),
        timeout=aiohttp.ClientTimeout(total=timeout),
    )


def mount_slack(
    app: web.Application,
    settings: Settings,
    coach: Coach,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    installations: Installations | None = None,
) -> None:
    """POST /slack/events: slash commands, interactivity and events, signature-checked by Bolt.

    With `installations` (OAuth mode) also GET /slack/install and GET /slack/oauth_redirect.
    """
    bolt, listeners = _build(settings, coach, timeout, installations)
    app[SLACK_APP] = bolt
    if installations is not None:
        oauth.mount_oauth(app, bolt)
    verifier = SignatureVerifier(settings.slack_signing_secret or "-")

    async def slack_events(request: web.Request) -> web.Response:
        # Bolt reads the payload while building the request and while routing it, assuming
        # Slack's shapes throughout: a body that is not UTF-8, JSON cut short, or a payload with
        # a list or null where Slack puts an object raises there. Slack never sends such a
        # thing (and an unsigned one is refused before routing), so it is a 400, not a 500.
        arrived = asyncio.get_running_loop().time()
        try:
            bolt_request = await to_bolt_request(request)
            bolt_request.context[ARRIVED_AT] = arrived
            # Only a signed payload is judged by its shape; any other gets Bolt's 401 as before.
            if verifier.is_valid(
                bolt_request.raw_body,
                request.headers.get("X-Slack-Request-Timestamp"),
                request.headers.get("X-Slack-Signature"),
            ):
                Routable.model_validate(bolt_request.body)
            bolt_response = await bolt.async_dispatch(bolt_request)
        except (ValueError, LookupError, TypeError, AttributeError, KeyError, IndexError) as error:
            # ValidationError is a ValueError. Only the type is logged: the payload is not ours.
            log.warning("refused a Slack request that could not be read: %s", type(error).__name__)
            text = coach.t(settings.coach_language, "bad_request")
            return web.Response(status=400, text=text)
        return await to_aiohttp_response(bolt_response)

    app.router.add_post("/slack/events", slack_events)

    async def open_session(_: web.Application) -> None:
        share_session(
            bolt,
            listeners,
            _session(API_CONNECTIONS, timeout),
            _session(ANSWER_CONNECTIONS, min(timeout, ANSWER_TIMEOUT)),
        )

    async def close_session(_: web.Application) -> None:
        sessions = {bolt.client.session, listeners.session}
        share_session(bolt, listeners, None)
        for session in sessions:
            if session is not None:
                await session.close()

    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)


async def start_socket_mode(settings: Settings, coach: Coach) -> AsyncSocketModeHandler:
    """Connect to Slack over Socket Mode (SLACK_APP_TOKEN); close the handler when done."""
    handler = AsyncSocketModeHandler(create_bolt_app(settings, coach), settings.slack_app_token)
    await handler.connect_async()
    return handler
