"""Hostile traffic for the Slack channel: generated payloads, signed, and what to check after.

The engine is watched, not mocked: every call the channel makes into it is recorded, so a test
can tell whether a write was allowed (a valid command reached the engine for this sender) and
that an invalid identity never reached it at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import strategies as st

from bot import commands
from bot.coach import Coach
from bot.messages import Identity, Inbound
from tests.support.slack import SIGNING_SECRET, USER, Bot
from tests.support.slack_api import TEAM
from tests.support.strategies import command_text, hostile_text, inbound_text, json_payload

OTHER_TEAM = "T0OTHER"
NAME = "Zorblax Quintavalle"
NOTE = "whispered-note-7731 prefers evenings"
ANSWER = (
    "Your six years of payroll in Visma were clearly relevant, but the role needs someone "
    "who has run the year-end closing alone, and you had done it with support."
)
# (team, user): a colleague in the same workspace, the same user id in another workspace, and
# an admin (COACH_ADMINS="admin-user") of another workspace.
INTRUDERS = [(TEAM, "U0COLLEAGUE"), (OTHER_TEAM, USER), (OTHER_TEAM, "admin-user")]
# What a button or a command says about someone else's candidate.
VERBS = (
    "start {}",
    "log {} called",
    "log {} skipped moved on",
    "consent {}",
    "consent {} withdraw",
    "export {}",
    "erase {}",
)


def verb_commands(ref: str) -> list[str]:
    return [verb.format(ref) for verb in VERBS]


# Delivery bookkeeping (which ids were handled, Teams turn state): no personal data, and
# claiming a delivery id is not a change of anything a user stored.
BOOKKEEPING = ("processed_events", "bot_state")
# Commands that legitimately write for whoever sends them (their own rows, their own settings).
WRITES_OWN = {"add", "remind"}
READ_ONLY = {"help", "list", "report", "pool"}


@dataclass
class Victim:
    ref: str
    name: str = NAME
    note: str = NOTE
    answer: str = ANSWER


@dataclass
class Watch:
    """What reached the engine, and from whom."""

    identities: list[Identity] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    checklists: int = 0

    def clear(self) -> None:
        self.identities.clear()
        self.texts.clear()
        self.checklists = 0


def watch_engine(coach: Coach, monkeypatch: pytest.MonkeyPatch) -> Watch:
    seen = Watch()
    converse, submit = coach.converse, coach.submit_checklist

    # converse, not handle: handle goes through it, and slash commands call it directly.
    async def recorded_converse(who: Identity, inbound: Inbound, *args: Any, **kw: Any) -> Any:
        seen.identities.append(who)
        seen.texts.append(inbound.text)
        return await converse(who, inbound, *args, **kw)

    async def recorded_submit(who: Identity, candidate: str, *args: Any, **kw: Any) -> Any:
        seen.identities.append(who)
        seen.checklists += 1
        return await submit(who, candidate, *args, **kw)

    monkeypatch.setattr(coach, "converse", recorded_converse)
    monkeypatch.setattr(coach, "submit_checklist", recorded_submit)
    return seen


def may_write(seen: Watch, victim_acts: bool) -> bool:
    """Whether what reached the engine was a command allowed to change something."""
    if victim_acts and seen.checklists:
        return True  # the owner's own checklist, stored as far as it is good enough
    for text in seen.texts:
        kind = getattr(commands.parse(text), "kind", None)
        if kind is None or kind in READ_ONLY:
            continue
        if victim_acts or kind in WRITES_OWN:
            return True
    return False


# -- payloads ----------------------------------------------------------------------------------


def bad_ids() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(["", " ", "U0\x00KARI", "T0TEAM\n", "\ud800", "U" * 300, "U 1"]),
        hostile_text(40).filter(lambda s: s.strip() != s or not s.isalnum()),
        st.none(),
        st.integers(),
        st.lists(st.text(max_size=3), max_size=2),
        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    )


def senders(owner_too: bool = False) -> st.SearchStrategy[tuple[Any, Any]]:
    """(team, user): mostly intruders (or the owner), sometimes an id no platform would send."""
    known = [*INTRUDERS, (TEAM, USER)] if owner_too else INTRUDERS
    return st.one_of(
        st.sampled_from(known),
        st.sampled_from(known),
        st.sampled_from(known),
        st.tuples(bad_ids(), st.sampled_from([USER, "U0COLLEAGUE"])),
        st.tuples(st.sampled_from([TEAM, OTHER_TEAM]), bad_ids()),
    )


def form_body(fields: dict[str, Any]) -> str:
    # surrogatepass: a lone surrogate goes out as the bytes it would be, invalid UTF-8 included.
    return urlencode(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()},
        encoding="utf-8",
        errors="surrogatepass",
    )


def command_fields(response_url: str, refs: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    def build(sender: tuple[Any, Any], text: str, trigger: str, drop: set[str]) -> dict:
        team, user = sender
        fields = {
            "token": "verification-token-unused",
            "team_id": team,
            "team_domain": "acme",
            "channel_id": "C0GENERAL",
            "user_id": user,
            "user_name": "someone",
            "command": "/feedback-call",
            "text": text,
            "api_app_id": "A0COACH",
            "response_url": response_url,
            "trigger_id": trigger,
        }
        return {k: v for k, v in fields.items() if k not in drop and v is not None}

    return st.builds(
        build,
        senders(),
        inbound_text(refs),
        st.text(alphabet="0123456789.abc", min_size=1, max_size=12),
        st.sets(st.sampled_from(["text", "trigger_id", "response_url", "command", "team_id"])),
    )


def _containers() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.just({"type": "message", "message_ts": "1.2", "channel_id": "D1", "is_ephemeral": True}),
        st.just({"type": "view", "view_id": "V1"}),
        json_payload(5),
    )


def block_action(
    response_url: str, refs: list[str], sender: st.SearchStrategy[tuple[Any, Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    def build(who: tuple[Any, Any], action_id: str, value: Any, container: Any, ts: str) -> dict:
        team, user = who
        return {
            "type": "block_actions",
            "team": {"id": team, "domain": "acme"},
            "user": {"id": user, "team_id": team},
            "api_app_id": "A0COACH",
            "trigger_id": f"trigger-{ts}",
            "container": container,
            "response_url": response_url,
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "card:0",
                    "type": "button",
                    "value": value,
                    "action_ts": ts,
                }
            ],
        }

    return st.builds(
        build,
        sender,
        st.sampled_from(["coach:en:0", "coach:nb:3", "coach_add", "coach:xx:1"]),
        st.sampled_from([c for ref in refs for c in verb_commands(ref)])
        | command_text(refs)
        | json_payload(5),
        _containers(),
        st.text(alphabet="0123456789.", min_size=1, max_size=12),
    )


def view_submission(
    refs: list[str], sender: st.SearchStrategy[tuple[Any, Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.sampled_from(["competence", "gaps", "luxury_problem", "self_presentation", "name",
                            "position", "reason", "internal"]) | hostile_text(10)  # fmt: skip
    element = st.fixed_dictionaries(
        {"type": st.sampled_from(["plain_text_input", "checkboxes"]) | json_payload(2)},
        optional={"value": hostile_text() | json_payload(3), "selected_options": json_payload(3)},
    )
    values = st.dictionaries(keys, st.dictionaries(st.just("answer"), element, max_size=1)) | (
        json_payload(8)
    )
    metadata = st.one_of(
        st.sampled_from(refs).map(lambda ref: json.dumps({"candidate": ref})),
        st.sampled_from(refs),
        hostile_text(60),
        json_payload(5).map(json.dumps),
        st.just('{"candidate": "abc'),
    )

    def build(who: tuple[Any, Any], callback: str, meta: str, vals: Any, trigger: str) -> dict:
        team, user = who
        return {
            "type": "view_submission",
            "team": {"id": team, "domain": "acme"},
            "user": {"id": user, "team_id": team},
            "api_app_id": "A0COACH",
            "trigger_id": f"trigger-{trigger}",
            "view": {
                "id": "V0001",
                "hash": f"h{trigger}",
                "type": "modal",
                "callback_id": callback,
                "private_metadata": meta,
                "blocks": [{"type": "input", "block_id": "competence"}],
                "state": {"values": vals},
            },
        }

    return st.builds(
        build,
        sender,
        st.sampled_from(["checklist", "add_candidate", "skip_reason", "other"]),
        metadata,
        values,
        st.text(alphabet="0123456789", min_size=1, max_size=10),
    )


@st.composite
def mutated(draw: st.DrawFn, payload: st.SearchStrategy[dict[str, Any]]) -> Any:
    """A payload with a few of its parts (never the sender) replaced by junk or removed."""
    data = draw(payload)
    for _ in range(draw(st.integers(0, 3))):
        node: Any = data
        path: list[Any] = []
        while isinstance(node, (dict, list)) and node and draw(st.booleans()):
            key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
            if path == [] and key in ("team", "user"):
                break
            path.append(key)
            node = node[key]
        if not path:
            continue
        parent: Any = data
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_payload(6))
    return data


@dataclass
class Sent:
    status: int
    body: str


async def post_raw(bot: Bot, body: bytes | str, content_type: str) -> Sent:
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    headers = {"Content-Type": content_type, **signed_raw(raw)}
    async with bot.slack.session.post(
        f"{bot.slack.base}/slack/events", data=raw, headers=headers
    ) as response:
        return Sent(response.status, await response.text(errors="replace"))


def signed_raw(raw: bytes) -> dict[str, str]:
    """Slack's signature over the raw bytes (which need not be valid UTF-8)."""
    stamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest.hexdigest()}


def interaction_body(payload: Any) -> str:
    return urlencode({"payload": json.dumps(payload)})


def everything_sent_back(bot: Bot, since_calls: int, since_responses: int, http: str) -> str:
    calls = bot.fake.calls[since_calls:]
    responses = bot.fake.responses[since_responses:]
    return "\n".join(
        [readable(http), json.dumps([c.params for c in calls], default=str, ensure_ascii=False)]
        + [json.dumps(r, ensure_ascii=False) for r in responses]
    )


def readable(http: str) -> str:
    """An HTTP body as its reader sees it: a JSON answer with its escapes undone."""
    try:
        return json.dumps(json.loads(http), ensure_ascii=False)
    except ValueError:
        return http


def leaks(victim: Victim, said: str, typed: str) -> list[str]:
    secrets = [victim.note, victim.answer]
    if victim.name.casefold() not in typed.casefold() and "zorblax" not in typed.casefold():
        secrets.append(victim.name)
    said = said.casefold()
    return [secret for secret in secrets if secret.casefold() in said]


def assert_no_tracebacks(caplog: pytest.LogCaptureFixture, http: str) -> None:
    assert "Traceback" not in http
    bad = [
        record
        for record in caplog.records
        if record.exc_info or record.levelno >= logging.ERROR or "Traceback" in record.getMessage()
    ]
    formatter = logging.Formatter()
    assert bad == [], [
        (r.name, r.getMessage(), r.exc_info and formatter.formatException(r.exc_info)) for r in bad
    ]
