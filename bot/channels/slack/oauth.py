"""Slack OAuth v2 install for many workspaces: Bolt's AsyncOAuthFlow on our aiohttp server.

GET /slack/install sends the browser to Slack with a state issued by our StateStore (and the
same state in a cookie); GET /slack/oauth_redirect checks both, exchanges the code through
oauth.v2.access at SLACK_API_URL and saves the installation in our Installations store.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse

from bot import pages
from bot.channels.slack.installations import STATE_LIFETIME, Installations, StateStore
from bot.settings import Settings
from conversation_guides import GuideBook

log = logging.getLogger(__name__)

INSTALL_PATH = pages.INSTALL_PATH
REDIRECT_PATH = "/slack/oauth_redirect"
MANIFEST = Path(__file__).with_name("manifest.yaml")


def bot_scopes() -> list[str]:
    """The bot scopes the manifest asks for: one list for the manifest and the install."""
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return list(manifest["oauth_config"]["scopes"]["bot"])


def _language(request: Any, settings: Settings) -> str:
    headers = getattr(request, "headers", {}) or {}
    values = headers.get("accept-language") or []
    accept = values[0] if isinstance(values, list) and values else None
    return pages.language(accept if isinstance(accept, str) else None, settings.coach_language)


def callbacks(settings: Settings, guides: GuideBook) -> AsyncCallbackOptions:
    """The pages after Slack's redirect, in the installer's language, from the guides."""

    def respond(lang: str, title_key: str, text_key: str, status: int) -> BoltResponse:
        title = guides.text(lang, title_key)
        body = f"<h1>{pages.escape(title)}</h1><p>{pages.escape(guides.text(lang, text_key))}</p>"
        if status != 200:
            again = pages.escape(guides.text(lang, "site_add_to_slack"))
            body += f'<p><a href="{INSTALL_PATH}">{again}</a></p>'
        return BoltResponse(
            status=status,
            body=pages.document(lang, title, body),
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Language": lang},
        )

    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        lang = _language(args.request, settings)
        return respond(lang, "oauth_success_title", "oauth_success", 200)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        # The reason is Bolt's word for it (invalid_state, access_denied, ...), never a secret.
        log.warning("slack install refused: %s", args.reason)
        lang = _language(args.request, settings)
        return respond(lang, "oauth_failure_title", "oauth_failure", args.suggested_status_code)

    return AsyncCallbackOptions(success=success, failure=failure)


def oauth_settings(
    settings: Settings, guides: GuideBook, installations: Installations
) -> AsyncOAuthSettings:
    assert settings.slack_client_id and settings.slack_client_secret is not None
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=bot_scopes(),
        user_scopes=[],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        # Our own landing page (GET /) has the "Add to Slack" button: go straight to Slack.
        install_page_rendering_enabled=False,
        callback_options=callbacks(settings, guides),
        installation_store=installations,
        state_store=StateStore(installations.sessions, installations.clock),
        state_expiration_seconds=int(STATE_LIFETIME.total_seconds()),
        token_rotation_expiration_minutes=settings.slack_token_rotation_minutes,
        logger=logging.getLogger("slack_bolt.oauth"),
    )


def mount_oauth(app: web.Application, bolt: AsyncApp) -> None:
    """GET /slack/install and GET /slack/oauth_redirect, handled by Bolt's OAuth flow."""
    flow = bolt.oauth_flow
    assert flow is not None, "OAuth mode needs the app built with oauth_settings"

    async def install(request: web.Request) -> web.Response:
        bolt_response = await flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def redirect(request: web.Request) -> web.Response:
        bolt_response = await flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    app.router.add_get(INSTALL_PATH, install)
    app.router.add_get(REDIRECT_PATH, redirect)
