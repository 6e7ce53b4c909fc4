"""Generated, signed, hostile Slack traffic at the running server: never a 5xx or a traceback,
never a write unless a valid command reached the engine, never someone else's data."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.messages import Identity, is_platform_id
from bot.server import MAX_BODY
from tests.support.hostile import (
    BOOKKEEPING,
    INTRUDERS,
    Victim,
    Watch,
    assert_no_tracebacks,
    block_action,
    command_fields,
    everything_sent_back,
    form_body,
    leaks,
    may_write,
    mutated,
    post_raw,
    senders,
    view_submission,
    watch_engine,
)
from tests.support.slack import USER, Bot, settle
from tests.support.slack_api import TEAM
from tests.support.snapshots import snapshot

FUZZ = settings(
    # The bot and its database are shared by every example on purpose: state builds up.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
    max_examples=75,
)
FORM = "application/x-www-form-urlencoded"


REGISTERED: set[tuple[str, str]] = set()


async def register(bot: Bot, team: str, user: str) -> None:
    """A first `help` from this sender, so later snapshots compare like with like."""
    REGISTERED.add((team, user))
    before = len(bot.fake.responses)
    fields = {
        "team_id": team,
        "user_id": user,
        "command": "/feedback-call",
        "text": "help",
        "response_url": bot.fake.response_url("reg"),
        "trigger_id": f"reg-{team}-{user}",
    }
    sent = await post_raw(bot, urlencode(fields), FORM)
    # `help` only reads: its answer is the acknowledgement, and nothing follows.
    assert sent.status == 200 and json.loads(sent.body)["response_type"] == "ephemeral"
    await settle()
    assert len(bot.fake.responses) == before


@pytest.fixture
async def victim(bot: Bot) -> Victim:
    ref = await bot.add(Victim.name)
    owner = Identity(platform="slack", workspace=TEAM, user=USER)
    assert (await bot.coach.answer_step(owner, ref, "competence", Victim.answer)).accepted
    await bot.say(f"log {ref} no-answer {Victim.note}")
    REGISTERED.clear()
    REGISTERED.add((TEAM, USER))
    for team, user in INTRUDERS:
        await register(bot, team, user)
    await settle()
    return Victim(ref)


@pytest.fixture
def seen(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> Watch:
    return watch_engine(bot.coach, monkeypatch)


def refs(victim: Victim) -> list[str]:
    return [victim.ref, victim.ref.upper(), victim.name, "Zorblax", "Kari"]


async def throw(
    bot: Bot,
    sessions: async_sessionmaker[AsyncSession],
    seen: Watch,
    caplog: pytest.LogCaptureFixture,
    victim: Victim,
    body: str | bytes,
    sender: tuple[Any, Any],
    content_type: str = FORM,
) -> int:
    """Send one signed request; check everything that must hold whatever it was."""
    team, user = sender
    if is_platform_id(team) and is_platform_id(user) and (team, user) not in REGISTERED:
        # A first contact registers the sender (and caches their profile): that is their own row.
        await register(bot, team, user)
        await settle()
    caplog.clear()
    seen.clear()
    before = await snapshot(sessions, skip=BOOKKEEPING)
    calls, responses = len(bot.fake.calls), len(bot.fake.responses)
    sent = await post_raw(bot, body, content_type)
    await settle()
    assert_no_tracebacks(caplog, sent.body)
    assert sent.status < 500, (sent.status, sent.body)
    event(f"HTTP {sent.status}, engine called {len(seen.identities)}x")
    if not (is_platform_id(team) and is_platform_id(user)):
        # A sender no platform would name never reaches the engine.
        assert seen.identities == [], sender
    for who in seen.identities:
        assert is_platform_id(who.workspace) and is_platform_id(who.user), who
    victim_acts = (team, user) == (TEAM, USER)
    if not may_write(seen, victim_acts):
        assert await snapshot(sessions, skip=BOOKKEEPING) == before, (sender, seen.texts)
    if not victim_acts:
        said = everything_sent_back(bot, calls, responses, sent.body)
        typed = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        assert leaks(victim, said, typed + json.dumps(seen.texts)) == [], sender
    return sent.status


def received(body: str, key: str) -> Any:
    """A form field as the server reads it (invalid UTF-8 becomes U+FFFD, as Bolt decodes)."""
    return dict(parse_qsl(body, keep_blank_values=True)).get(key)


@FUZZ
@given(data=st.data())
async def test_fuzz_slash_commands(
    bot: Bot,
    sessions: async_sessionmaker[AsyncSession],
    victim: Victim,
    seen: Watch,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    fields = data.draw(command_fields(bot.fake.response_url("fuzz"), refs(victim)))
    if data.draw(st.integers(0, 9)) == 0:  # now and then the owner, typing anything
        fields.update(team_id=TEAM, user_id=USER)
    body = form_body(fields)
    sender = (received(body, "team_id"), received(body, "user_id"))
    status = await throw(bot, sessions, seen, caplog, victim, body, sender)
    if not (is_platform_id(sender[0]) and is_platform_id(sender[1])):
        assert 400 <= status < 500


@FUZZ
@given(data=st.data())
async def test_fuzz_interactions(
    bot: Bot,
    sessions: async_sessionmaker[AsyncSession],
    victim: Victim,
    seen: Watch,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    response_url = bot.fake.response_url("fuzz")
    payload = data.draw(
        mutated(
            block_action(response_url, refs(victim), senders(owner_too=True))
            | view_submission(refs(victim), senders())
        )
    )
    text = json.dumps(payload)
    if data.draw(st.integers(0, 5)) == 0:
        text = text[: data.draw(st.integers(0, 10_000)) % len(text)]  # truncated JSON
    body = urlencode({"payload": text})
    sender = (payload["team"]["id"], payload["user"]["id"])
    await throw(bot, sessions, seen, caplog, victim, body, sender)


@FUZZ
@given(data=st.data())
async def test_fuzz_events_and_odd_bodies(
    bot: Bot,
    sessions: async_sessionmaker[AsyncSession],
    victim: Victim,
    seen: Watch,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    """Events API JSON, and bodies that are not what their content type says."""
    from tests.support.strategies import json_payload

    team, user = data.draw(senders())
    event: Any = {
        "type": "event_callback",
        "team_id": team,
        "api_app_id": "A0COACH",
        "event_id": "Ev" + data.draw(st.text(alphabet="0123456789", min_size=1, max_size=8)),
        "event": {"type": "app_home_opened", "user": user, "tab": "home"},
    }
    event = data.draw(mutated(st.just(event)) | json_payload(10))
    kind = data.draw(st.sampled_from(["json", "json-truncated", "form-junk", "bytes"]))
    if kind == "json":
        body: str | bytes = json.dumps(event)
        content_type = "application/json"
    elif kind == "json-truncated":
        whole = json.dumps(event)
        body, content_type = (
            whole[: data.draw(st.integers(0, 10_000)) % len(whole)],
            "application/json",
        )
    elif kind == "form-junk":
        body, content_type = json.dumps(event), FORM
    else:
        body, content_type = (
            data.draw(st.binary(max_size=300)),
            data.draw(st.sampled_from([FORM, "application/json", "text/plain"])),
        )
    if isinstance(event, dict) and isinstance(event.get("team_id"), str):
        sender = (
            event.get("team_id"),
            ((event.get("event") or {}) if isinstance(event.get("event"), dict) else {}).get(
                "user"
            ),
        )
    else:
        sender = (None, None)
    await throw(bot, sessions, seen, caplog, victim, body, sender, content_type)


async def test_oversized_and_unreadable_bodies(
    bot: Bot, sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    """Larger than the server takes: 413 before any parsing. Unreadable but signed: 400."""
    before = await snapshot(sessions)
    huge = form_body({"team_id": TEAM, "user_id": USER, "command": "/feedback-call",
                      "text": "add " + "x" * MAX_BODY + " | Nurse"})  # fmt: skip
    assert (await post_raw(bot, huge, FORM)).status == 413
    payload = json.dumps({"type": "view_submission", "team": {"id": TEAM}, "user": {"id": USER}})
    cases = [
        (b"payload=" + b"%7B%22type%22%3A%22view_sub", FORM),  # JSON cut short
        (b"payload=%5B%5D", FORM),  # a list, not an object
        (b"text=\xff\xfe&team_id=T0TEAM&user_id=U0KARI", FORM),  # not UTF-8
        (payload[:30].encode(), "application/json"),
        (b'{"type": "block_actions", "actions": null, "user": {"id": "U0KARI"}}', FORM),
        (b'{"type": "event_callback", "event": "app_home_opened", "team_id": "T0TEAM"}', FORM),
        (b'{"type": "block_actions", "actions": [], "user": {"id": "U0KARI"}}', FORM),
        (b'{"team_id": "T0TEAM", "event": null}', "application/json"),
    ]
    for body, content_type in cases:
        sent = await post_raw(bot, body, content_type)
        assert sent.status == 400, body
        assert sent.body == "I couldn't read that request, so I did nothing with it."
        assert bot.fake.calls == [], body
    await settle()
    assert_no_tracebacks(caplog, "")
    assert await snapshot(sessions) == before
    assert bot.fake.calls == []
