"""Socket Mode asks SLACK_API_URL for its WebSocket, like every other Web API call."""

from __future__ import annotations

from bot.channels.slack import start_socket_mode
from bot.coach import Coach
from tests.support.slack import slack_settings
from tests.support.slack_api import FakeSlack


async def test_socket_mode_connects_through_the_configured_api(
    coach: Coach, database_url: str, fake_slack: FakeSlack
) -> None:
    settings = slack_settings(database_url, fake_slack.url, SLACK_APP_TOKEN="xapp-1-local")
    socket_url = f"ws://127.0.0.1:{fake_slack.port}/socket"
    fake_slack.plan("apps.connections.open", body={"ok": True, "url": socket_url})
    handler = await start_socket_mode(settings, coach)
    try:
        await fake_slack.wait_for("socket")
        (call,) = fake_slack.called("apps.connections.open")
        assert call.headers["Authorization"] == "Bearer xapp-1-local"
    finally:
        await handler.close_async()
