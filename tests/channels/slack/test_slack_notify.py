"""SlackNotifier: DMs for reminders and scripts, with Slack's failures turned into DeliveryError."""

from __future__ import annotations

import pytest

from bot.channels.slack.notify import SlackNotifier, web_client
from bot.messages import Button, Card, Reply
from bot.notify import DeliveryError, Recipient
from conversation_guides import GuideBook
from tests.support.slack_api import BOT_TOKEN, FakeSlack

REPLY = Reply(
    text="3 candidates are waiting for your call.",
    cards=[
        Card(
            title="Kari Nordmann (k7f3qa)",
            buttons=[Button(label="Prepare call", command="start k7f3qa")],
        )
    ],
)


def notifier(fake: FakeSlack, guides: GuideBook, timeout: float = 5) -> SlackNotifier:
    return SlackNotifier(web_client(BOT_TOKEN, fake.url, timeout), guides)


def recipient(language: str = "nb") -> Recipient:
    return Recipient(platform="slack", workspace="T0TEAM", user="U0KARI", language=language)


async def test_send_posts_a_dm_with_buttons(fake_slack: FakeSlack, guides: GuideBook) -> None:
    sender = notifier(fake_slack, guides)
    assert sender.platform == "slack"
    await sender.send(recipient(), REPLY)
    (call,) = fake_slack.called("chat.postMessage")
    assert call.params["channel"] == "U0KARI"
    assert call.params["text"] == REPLY.text
    assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    button = call.params["blocks"][-1]["elements"][0]
    assert button["value"] == "start k7f3qa"
    assert button["action_id"].startswith("coach:nb:")


async def test_rate_limit_is_waited_out(fake_slack: FakeSlack, guides: GuideBook) -> None:
    fake_slack.plan(
        "chat.postMessage",
        status=429,
        headers={"Retry-After": "0"},
        body={"ok": False, "error": "ratelimited"},
    )
    await notifier(fake_slack, guides).send(recipient(), REPLY)
    assert len(fake_slack.called("chat.postMessage")) == 2


async def test_rate_limit_retries_are_bounded(fake_slack: FakeSlack, guides: GuideBook) -> None:
    fake_slack.plan(
        "chat.postMessage",
        times=10,
        status=429,
        headers={"Retry-After": "0"},
        body={"ok": False, "error": "ratelimited"},
    )
    with pytest.raises(DeliveryError) as raised:
        await notifier(fake_slack, guides).send(recipient(), REPLY)
    assert raised.value.gone is False
    assert len(fake_slack.called("chat.postMessage")) == 3


async def test_a_long_retry_after_is_not_waited_for(
    fake_slack: FakeSlack, guides: GuideBook
) -> None:
    fake_slack.plan(
        "chat.postMessage",
        status=429,
        headers={"Retry-After": "3600"},
        body={"ok": False, "error": "ratelimited"},
    )
    with pytest.raises(DeliveryError) as raised:
        await notifier(fake_slack, guides).send(recipient(), REPLY)
    assert raised.value.reason == "ratelimited"
    assert len(fake_slack.called("chat.postMessage")) == 1


@pytest.mark.parametrize(
    "error", ["user_not_found", "user_disabled", "cannot_dm_bot", "not_in_channel"]
)
async def test_unreachable_user_is_gone(
    fake_slack: FakeSlack, guides: GuideBook, error: str
) -> None:
    fake_slack.plan("chat.postMessage", body={"ok": False, "error": error})
    with pytest.raises(DeliveryError) as raised:
        await notifier(fake_slack, guides).send(recipient(), REPLY)
    assert (raised.value.reason, raised.value.gone, raised.value.app_wide) == (error, True, False)


# account_inactive: Slack's word for a bot token whose user or workspace was deleted.
@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked", "account_inactive"])
async def test_a_refused_token_is_the_apps_failure_not_the_users(
    fake_slack: FakeSlack, guides: GuideBook, error: str
) -> None:
    fake_slack.plan("chat.postMessage", body={"ok": False, "error": error})
    with pytest.raises(DeliveryError) as raised:
        await notifier(fake_slack, guides).send(recipient(), REPLY)
    assert (raised.value.reason, raised.value.gone, raised.value.app_wide) == (error, False, True)


async def test_server_error_is_not_gone(fake_slack: FakeSlack, guides: GuideBook) -> None:
    fake_slack.plan("chat.postMessage", status=500, body={"ok": False, "error": "internal_error"})
    with pytest.raises(DeliveryError) as raised:
        await notifier(fake_slack, guides).send(recipient(), REPLY)
    assert raised.value.gone is False


async def test_timeout_is_a_delivery_error(fake_slack: FakeSlack, guides: GuideBook) -> None:
    fake_slack.plan("chat.postMessage", delay=2.0)
    with pytest.raises(DeliveryError) as raised:
        await notifier(fake_slack, guides, timeout=0.3).send(recipient(), REPLY)
    assert raised.value.gone is False
