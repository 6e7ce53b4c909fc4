"""Generated, hostile Teams activities at the running server (auth off, as in local testing):
never a 5xx or a traceback, never a write unless a valid command reached the engine, never
someone else's data in what the bot sends."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.teams.activities import MAX_RAW_ID
from bot.messages import is_platform_id
from bot.server import MAX_BODY
from tests.support.hostile import (
    BOOKKEEPING,
    Victim,
    Watch,
    assert_no_tracebacks,
    bad_ids,
    leaks,
    may_write,
    mutated,
    verb_commands,
    watch_engine,
)
from tests.support.snapshots import snapshot
from tests.support.strategies import hostile_text, inbound_text, json_payload
from tests.support.teams_access import (
    INTRUDERS,
    OTHER_TENANT,
    OWNER,
    post,
    with_sender,
    without_profiles,
)
from tests.support.teams_api import TENANT, FakeConnector, Running

FUZZ = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
    max_examples=75,
)
TYPES = ["message", "message", "message", "invoke", "conversationUpdate", "installationUpdate",
         "typing", "messageReaction", "event", "endOfConversation", "bogus", ""]  # fmt: skip


@pytest.fixture
def seen(running: Running, monkeypatch: pytest.MonkeyPatch) -> Watch:
    return watch_engine(running.coach, monkeypatch)


def refs(victim: Victim) -> list[str]:
    return [victim.ref, victim.ref.upper(), victim.name, "Zorblax", "Kari"]


def values(refs: list[str]) -> st.SearchStrategy[Any]:
    ref = st.sampled_from(refs)
    return st.one_of(
        st.none(),
        st.builds(
            lambda r, answers: {"action": "checklist", "candidate": r, **answers},
            ref,
            st.dictionaries(st.sampled_from(["competence", "gaps", "x"]), hostile_text()),
        ),
        st.builds(
            lambda r, command: {"command": command, "card": "script", "candidate": r},
            ref,
            st.sampled_from([c for r in refs for c in verb_commands(r)]),
        ),
        st.builds(lambda c: {"command": c}, inbound_text(refs)),
        json_payload(8),
    )


def sender_ids() -> st.SearchStrategy[tuple[Any, Any]]:
    known = [*INTRUDERS, (TENANT, OWNER)]
    strings = bad_ids().filter(lambda v: isinstance(v, str))
    return st.one_of(
        st.sampled_from(known),
        st.sampled_from(known),
        st.sampled_from(known),
        st.tuples(strings, st.sampled_from([OWNER, "aad-colleague"])),
        st.tuples(st.sampled_from([TENANT, OTHER_TENANT]), strings),
    )


@FUZZ
@given(data=st.data())
async def test_fuzz_activities(
    running: Running,
    bot_connector: FakeConnector,
    sessions: async_sessionmaker[AsyncSession],
    victim: Victim,
    seen: Watch,
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    tenant, user = data.draw(sender_ids())
    base = running.teams.activity(
        data.draw(st.sampled_from(TYPES)),
        text=data.draw(inbound_text(refs(victim))),
        value=data.draw(values(refs(victim))),
    )
    activity = with_sender(data.draw(mutated(st.just(base))), tenant, user)
    activity["serviceUrl"] = bot_connector.url + "/"  # the bot only ever talks to 127.0.0.1
    body = json.dumps(activity).encode()
    if data.draw(st.integers(0, 6)) == 0:
        # Cut short somewhere (as a fraction: the activity id, hence the length, is random).
        body = body[: data.draw(st.integers(0, 10_000)) % len(body)]
    # Ids longer than the store's 128 characters are hashed by the channel, up to MAX_RAW_ID.
    valid_sender = is_platform_id(tenant, MAX_RAW_ID) and is_platform_id(user, MAX_RAW_ID)
    if valid_sender and (tenant, user) not in {*INTRUDERS, (TENANT, OWNER)}:
        await running.teams.post(with_sender(running.teams.message("help"), tenant, user))

    caplog.clear()
    seen.clear()
    bot_connector.clear()
    before = without_profiles(await snapshot(sessions, skip=BOOKKEEPING))
    status, answer = await post(running, body)
    event(f"HTTP {status}, engine called {len(seen.identities)}x")
    assert_no_tracebacks(caplog, answer)
    assert status < 500, (status, answer)
    if not valid_sender:
        assert seen.identities == []
    victim_acts = (tenant, user) == (TENANT, OWNER)
    if not may_write(seen, victim_acts):
        after = without_profiles(await snapshot(sessions, skip=BOOKKEEPING))
        assert after == before, seen.texts
    if not victim_acts:
        said = answer + json.dumps([call.body for call in bot_connector.calls], ensure_ascii=False)
        typed = body.decode("utf-8", "replace") + json.dumps(seen.texts)
        assert leaks(victim, said, typed) == []


async def test_bodies_that_are_not_activities(
    running: Running, sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    before = await snapshot(sessions)
    activity = json.dumps(running.teams.message("add Ola Nordmann | Nurse")).encode()
    cases = [
        (activity[:40], "application/json", 400),
        (b"", "application/json", 400),
        (b"[]", "application/json", 400),
        (b'"message"', "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
        (activity, "text/plain", 415),
        (json.dumps({"type": "message", "from": []}).encode(), "application/json", 400),
    ]
    huge = running.teams.message("add " + "x" * MAX_BODY + " | Nurse")
    cases.append((json.dumps(huge).encode(), "application/json", 413))
    for body, content_type, expected in cases:
        assert (await post(running, body, content_type))[0] == expected, body[:50]
    assert_no_tracebacks(caplog, "")
    assert await snapshot(sessions) == before
