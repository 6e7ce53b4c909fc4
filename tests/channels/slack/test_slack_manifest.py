"""The app manifest in the repository matches what the bot listens for."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.channels.slack import oauth
from bot.channels.slack.commands import COMMAND

MANIFEST = Path(__file__).resolve().parents[3] / "bot" / "channels" / "slack" / "manifest.yaml"


def test_manifest_matches_the_bot() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    features, settings = manifest["features"], manifest["settings"]
    (command,) = features["slash_commands"]
    assert command["command"] == COMMAND
    urls = [
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ]
    assert all(url.endswith("/slack/events") for url in urls)
    assert settings["interactivity"]["is_enabled"] is True
    assert {"app_home_opened", "app_mention"} <= set(settings["event_subscriptions"]["bot_events"])
    assert features["app_home"]["home_tab_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "users:read", "im:write", "files:write"} <= scopes
    # ATS intake matches recruiters by e-mail (users.lookupByEmail).
    assert "users:read.email" in scopes
    assert "app_mentions:read" in scopes


def test_manifest_is_ready_for_oauth_installs_in_many_workspaces() -> None:
    manifest = yaml.safe_load(oauth.MANIFEST.read_text(encoding="utf-8"))
    (redirect,) = manifest["oauth_config"]["redirect_urls"]
    assert redirect.endswith(oauth.REDIRECT_PATH)
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(events)
    assert manifest["settings"]["org_deploy_enabled"] is True
    assert manifest["settings"]["token_rotation_enabled"] is True
