"""Nothing about a candidate where others read, in Slack: the whole grammar over HTTP, signed.

Slash commands (in a channel or a DM) are answered ephemerally; an @mention in a channel
(app_mention) is answered there without candidate data, the real answer going by DM; a
signed event the coach does not handle is acknowledged with 200 and nothing else.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.coach import Coach
from storage.tables import Candidate
from tests.support.grammar_walk import NAME, WALK, leaks
from tests.support.slack import Bot, answered_in_ack, running_bot, settle, slack_settings
from tests.support.slack_api import TEAM, FakeSlack

ADMIN = "admin-user"
CHANNEL = "C0GENERAL"
POINTER = "I've sent you the answer in a direct message, since it's about candidates. 🔒"


@pytest.fixture
async def bot(coach: Coach, database_url: str, fake_slack: FakeSlack) -> AsyncIterator[Bot]:
    settings = slack_settings(database_url, fake_slack.url, COACH_ADMINS=ADMIN)
    coach.settings = settings
    async with running_bot(coach, settings, fake_slack) as running:
        yield running


async def candidate_ids(bot: Bot) -> tuple[str, ...]:
    async with bot.sessions() as session:
        return tuple((await session.scalars(select(Candidate.public_id))).all())


def posted(fake: FakeSlack, since: int = 0) -> list[dict[str, Any]]:
    return [call.params for call in fake.calls[since:] if call.method == "chat.postMessage"]


def in_public(params: dict[str, Any]) -> bool:
    """A message anyone but the asker could read: not their user id, not a DM channel."""
    return params["channel"] not in (ADMIN, f"D{ADMIN}")


def uploads(fake: FakeSlack, since: int = 0) -> str:
    return "".join(
        call.params["body"].decode() for call in fake.calls[since:] if call.method == "upload"
    )


@pytest.mark.parametrize(
    "channel", [("C0GENERAL", "general"), (f"D{ADMIN}", "directmessage")], ids=["channel", "dm"]
)
async def test_every_slash_command_is_answered_only_to_the_asker(
    bot: Bot, channel: tuple[str, str]
) -> None:
    fake = bot.fake
    for step in WALK:
        calls, answers = len(fake.calls), len(fake.responses)
        updates = len(fake.called("views.update"))
        status, body = await bot.slack.command(step.said, user=ADMIN, channel=channel)
        if answered_in_ack(step.said):
            # Only the asker sees an ephemeral acknowledgement, and nothing else is sent.
            assert status == 200 and json.loads(body)["response_type"] == "ephemeral", step.said
            await settle()
            assert fake.responses[answers:] == [], step.said
            seen = json.dumps(json.loads(body), ensure_ascii=False)
        elif step.said.startswith(("start ", "practice ")):
            assert (status, body) == (200, ""), step.said
            # A checklist or a practice opens a modal, which only the asker sees.
            update = (await fake.wait_for("views.update", updates + 1))[-1]
            seen = json.dumps(update.params, ensure_ascii=False)
        else:
            assert (status, body) == (200, ""), step.said
            await fake.wait_responses(answers + 1)
            await settle()
            new = fake.responses[answers:]
            assert all(r["response_type"] == "ephemeral" for r in new), step.said
            seen = json.dumps(new, ensure_ascii=False) + uploads(fake, calls)
        assert step.expected in seen, (step.said, seen)
        # Nothing went to a channel or anywhere but the asker.
        assert [p for p in posted(fake, calls) if in_public(p)] == [], step.said


async def mention(bot: Bot, text: str, n: int, user: str = ADMIN) -> tuple[int, str]:
    ts = f"{int(time.time())}.{n:06d}"
    event = {
        "type": "app_mention",
        "user": user,
        "text": f"<@UBOT> {text}",
        "ts": ts,
        "channel": CHANNEL,
        "event_ts": ts,
    }
    return await bot.slack.event(event, event_id=f"Ev{n:06d}")


async def test_every_command_by_app_mention_keeps_candidates_out_of_the_channel(
    bot: Bot,
) -> None:
    fake = bot.fake
    for n, step in enumerate(WALK):
        calls = len(fake.calls)
        before = len([p for p in posted(fake) if p["channel"] == CHANNEL])
        assert await mention(bot, step.said, n) == (200, ""), step.said
        # Each mention gets exactly one message in the channel: the answer, or the pointer.
        await fake.wait_for("chat.postMessage", len(posted(fake)) + 1)
        await settle()
        public = [p for p in posted(fake, calls) if in_public(p)]
        assert len([p for p in posted(fake) if p["channel"] == CHANNEL]) == before + 1
        assert all(p["channel"] == CHANNEL and p["thread_ts"] for p in public), step.said
        seen = json.dumps(public, ensure_ascii=False)
        assert leaks(seen, await candidate_ids(bot)) == [], (step.said, seen)
        private = json.dumps(
            [p for p in posted(fake, calls) if not in_public(p)], ensure_ascii=False
        ) + uploads(fake, calls)
        if step.private:
            assert [p["text"] for p in public] == [POINTER], step.said
            assert step.expected in private, (step.said, private)
        else:
            assert step.expected in public[0]["text"], (step.said, public)
            assert private == "[]", step.said


async def test_a_mention_the_dm_cannot_reach_says_so_without_data(bot: Bot) -> None:
    fake = bot.fake
    await mention(bot, f"add {NAME} | Harbour pilot", 1)
    await fake.wait_for("chat.postMessage", 2)
    await settle()
    calls = len(fake.calls)
    fake.plan("chat.postMessage", body={"ok": False, "error": "cannot_dm_bot"})
    await mention(bot, "list", 2)
    await fake.wait_for("chat.postMessage", len(posted(fake)) + 2)
    await settle()
    (public,) = [p for p in posted(fake, calls) if in_public(p)]
    assert public["text"].startswith("That answer is about candidates, so it only goes to you")
    assert leaks(public["text"]) == []


async def test_a_direct_message_is_answered_in_full_in_the_dm(bot: Bot) -> None:
    fake = bot.fake
    ts = f"{int(time.time())}.000001"
    for n, text in enumerate((f"add {NAME} | Harbour pilot", "list")):
        event = {
            "type": "message",
            "channel": f"D{ADMIN}",
            "channel_type": "im",
            "user": ADMIN,
            "text": text,
            "ts": f"{ts}{n}",
        }
        assert await bot.slack.event(event, event_id=f"EvDM{n}") == (200, "")
        await fake.wait_for("chat.postMessage", n + 1)
    await settle()
    messages = posted(fake)
    assert [p["channel"] for p in messages] == [f"D{ADMIN}", f"D{ADMIN}"]
    assert NAME in messages[1]["text"]


async def test_a_message_and_its_app_mention_are_answered_once(bot: Bot) -> None:
    ts = f"{int(time.time())}.000777"
    text = "<@UBOT> remind off"
    message = {"type": "message", "channel": CHANNEL, "channel_type": "channel", "user": ADMIN,
               "text": text, "ts": ts}  # fmt: skip
    app_mention = {"type": "app_mention", "channel": CHANNEL, "user": ADMIN, "text": text,
                   "ts": ts, "event_ts": ts}  # fmt: skip
    assert await bot.slack.event(message, event_id="EvM1") == (200, "")
    assert await bot.slack.event(app_mention, event_id="EvM2") == (200, "")
    # A channel message that does not address the coach is not for it.
    chatter = {**message, "text": "lunch?", "ts": f"{ts}1"}
    assert await bot.slack.event(chatter, event_id="EvM3") == (200, "")
    await bot.fake.wait_for("chat.postMessage")
    await settle()
    (answer,) = posted(bot.fake)
    assert answer["text"].startswith("Weekly reminders are off")


# -- events the coach does not handle: 200, and nothing else ---------------------------------

# As Slack documents them: no user at the top of the event, or not a person writing.
UNHANDLED: dict[str, dict[str, Any]] = {
    "app_uninstalled": {"type": "app_uninstalled"},
    "tokens_revoked": {"type": "tokens_revoked", "tokens": {"oauth": ["U0KARI"], "bot": ["UBOT"]}},
    "bot_message": {
        "type": "message",
        "subtype": "bot_message",
        "ts": "1358877455.000010",
        "text": "Pushing is the answer",
        "bot_id": "BB12033",
        "username": "github",
        "channel": CHANNEL,
        "channel_type": "channel",
    },
    "message_changed": {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": CHANNEL,
        "ts": "1358878755.000001",
        "message": {
            "type": "message",
            "user": ADMIN,
            "text": "<@UBOT> list",
            "ts": "1355517523.000005",
            "edited": {"user": ADMIN, "ts": "1358878755.000001"},
        },
    },
    "member_joined_channel": {
        "type": "member_joined_channel",
        "user": ADMIN,
        "channel": CHANNEL,
        "channel_type": "C",
        "team": TEAM,
    },
}


@pytest.mark.parametrize("kind", list(UNHANDLED))
async def test_a_signed_event_the_coach_does_not_handle_gets_200(bot: Bot, kind: str) -> None:
    assert await bot.slack.event(UNHANDLED[kind], event_id=f"Ev-{kind}") == (200, "")
    await settle()
    assert [c.method for c in bot.fake.calls if c.method != "auth.test"] == []


async def test_unsigned_or_malformed_events_are_still_refused(bot: Bot) -> None:
    body = json.dumps(
        {"type": "event_callback", "team_id": TEAM, "event": UNHANDLED["app_uninstalled"]}
    )
    status, _ = await bot.slack.post(body, "application/json", {"X-Slack-Signature": "v0=bad"})
    assert status == 401
    status, _ = await bot.slack.post(
        json.dumps({"type": "event_callback", "team_id": TEAM, "event": None}), "application/json"
    )
    assert status == 400
