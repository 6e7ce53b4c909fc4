"""Signatures, secrets kept out of logs, and a database that goes away and comes back."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.coach import Coach
from conversation_guides import GuideBook
from storage.tables import Candidate, Recruiter
from tests.support.database import Clock
from tests.support.slack import (
    SIGNING_SECRET,
    Bot,
    running_bot,
    settle,
    signed_headers,
    slack_settings,
)
from tests.support.slack_api import BOT_TOKEN, FakeSlack
from tests.support.slack_buttons import click, home, script_message
from tests.support.slack_checklist import CONCRETE, inputs, open_checklist


async def nothing_stored(bot: Bot) -> None:
    async with bot.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Candidate)) == 0
        assert await session.scalar(select(func.count()).select_from(Recruiter)) == 0


async def raw_post(bot: Bot, body: str, headers: dict[str, str]) -> int:
    async with bot.slack.session.post(
        f"{bot.slack.base}/slack/events",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    ) as response:
        return response.status


async def test_bad_signature_is_refused(bot: Bot) -> None:
    body = bot.slack.command_body("add Ola Nordmann | Nurse")
    headers = signed_headers(body, secret="not-the-signing-secret")
    assert await raw_post(bot, body, headers) == 401
    assert await raw_post(bot, body, {}) == 401
    await settle()
    await nothing_stored(bot)
    assert bot.fake.calls == [] and bot.fake.responses == []


async def test_tampered_body_is_refused(bot: Bot) -> None:
    body = bot.slack.command_body("list")
    headers = signed_headers(body)
    tampered = body.replace("text=list", "text=add+Ola+Nordmann+%7C+Nurse")
    assert tampered != body
    assert await raw_post(bot, tampered, headers) == 401
    await settle()
    await nothing_stored(bot)
    assert bot.fake.calls == []


async def test_stale_timestamp_is_refused(bot: Bot) -> None:
    body = bot.slack.command_body("add Ola Nordmann | Nurse")
    headers = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
    assert await raw_post(bot, body, headers) == 401
    await settle()
    await nothing_stored(bot)
    # A fresh signature on the same body is accepted: the refusal was about the timestamp.
    assert await raw_post(bot, body, signed_headers(body)) == 200


async def test_forged_interaction_is_refused(bot: Bot) -> None:
    payload = {"type": "view_submission", "team": {"id": "T"}, "user": {"id": "U"}}
    body = urlencode({"payload": json.dumps(payload)})
    assert await raw_post(bot, body, signed_headers(body, secret="guess")) == 401


NAME = "Zorbelina Quistadottir"
NOTE = "spoke-about-the-Trondheim-merger-7731"


async def test_names_notes_and_tokens_never_reach_the_logs(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    candidate = await bot.add(NAME)
    await bot.say("list")
    await home(bot)
    view = await open_checklist(bot, candidate)
    vague = {**CONCRETE, "competence": f"{NAME}: you were not the right fit."}
    await bot.slack.interact(bot.slack.view_submission(view, inputs(vague)))
    message = await script_message(bot, candidate)
    bot.fake.plan("chat.update", status=500, body={"ok": False, "error": "internal_error"})
    await bot.slack.interact(click(bot, message, f"log {candidate} no-answer"))
    await settle()
    await bot.say(f"log {candidate} skipped {NOTE}")
    await bot.say(f"log {NAME} called {NOTE}")
    await settle()

    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "chat.update failed: internal_error" in logged  # the failure itself is logged
    for secret in (NAME, "Zorbelina", NOTE, BOT_TOKEN, SIGNING_SECRET):
        assert secret not in logged


async def test_database_down_still_acks_and_recovers(
    breakable: Any, guides: GuideBook, clock: Clock, fake_slack: FakeSlack, database_url: str
) -> None:
    holder, sessions = breakable
    settings = slack_settings(holder.url, fake_slack.url)
    coach = Coach(sessions, guides, settings, clock=clock)
    async with running_bot(coach, settings, fake_slack) as bot:
        await bot.add("Kari Nordmann")
        await holder.down()
        # Nothing can be stored, so nothing is accepted: the acknowledgement itself says so.
        for words in ("list", "add Ola Nordmann | Nurse"):
            status, body = await bot.slack.command(words)
            assert status == 200
            answer = json.loads(body)
            assert answer["response_type"] == "ephemeral"
            assert "can't reach my database" in answer["text"]

        # A checklist submitted while the store is down stays open with everything typed.
        view = {"type": "modal", "callback_id": "checklist", "private_metadata": "abc234"}
        view["blocks"] = [{"type": "input", "block_id": "competence"}]
        status, body = await bot.slack.interact(bot.slack.view_submission(view, inputs(CONCRETE)))
        assert status == 200
        response = json.loads(body)
        assert response["response_action"] == "errors"
        assert "can't reach my database" in response["errors"]["competence"]

        await holder.up()
        answer = await bot.say("list")
        assert "Kari Nordmann" in answer["text"]
        assert "Ola Nordmann" not in answer["text"]
