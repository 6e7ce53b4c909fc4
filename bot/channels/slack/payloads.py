"""Reading Slack's payloads: ids, values, the shape Bolt's routing needs, delivery keys.

Pure functions of a payload (no network, no engine): every listener module shares them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Action(_Part):
    action_id: str


class _View(_Part):
    callback_id: str | None = None
    type: str | None = None


class _Event(_Part):
    type: str


class Routable(_Part):
    """What Bolt's routing reads from a payload without checking its type first.

    Slack always sends these shapes; checked before Bolt sees the payload, so that one not
    shaped like Slack's gets a 400 instead of an exception inside Bolt's middleware.
    """

    type: str | None = None
    actions: list[_Action] | None = Field(default=None, min_length=1)
    view: _View | None = None
    event: _Event | None = None
    team: dict[str, Any] | str | None = None
    user: dict[str, Any] | str | None = None
    container: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    channel: dict[str, Any] | None = None
    enterprise: dict[str, Any] | None = None
    authorizations: list[dict[str, Any]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _present_means_not_null(cls, data: Any) -> Any:
        # Bolt reads these as body.get("event", {}).get("type") and body["view"].get(...):
        # present but null breaks that as surely as a wrong type does.
        if isinstance(data, dict) and any(
            key in data and data[key] is None for key in ("event", "view", "actions")
        ):
            raise ValueError("null where Slack sends an object")
        return data

    @model_validator(mode="after")
    def _what_the_type_needs(self) -> Routable:
        needs = {"block_actions": "actions", "view_submission": "view", "event_callback": "event"}
        part = needs.get(self.type or "")
        if part and getattr(self, part) is None:
            raise ValueError(f"{self.type} without {part}")
        return self


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def action_command(action: dict[str, Any]) -> str:
    """A button carries its value; an overflow menu the value of the option chosen."""
    return text_of(action.get("value")) or text_of(
        as_dict(action.get("selected_option")).get("value")
    )


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""


def delivery_key(*parts: Any) -> str:
    """A processed-events key for one delivery; hashed when a payload's parts make it long."""
    key = "slack:" + ":".join(str(part) for part in parts)
    return (
        key
        if len(key) <= 200
        else "slack:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()
    )


def first_string(*values: Any) -> str:
    # Only strings count: a number or a list where Slack puts an id is not an id.
    return next((value for value in values if isinstance(value, str) and value), "")


def ids(body: dict[str, Any]) -> tuple[str, str]:
    """The workspace (team, else enterprise) and user of a command, interaction or event.

    Either is "" when the payload does not name one; `check_ids` refuses such a request.
    """
    user = as_dict(body.get("user"))
    team = first_string(
        as_dict(body.get("team")).get("id"),
        body.get("team_id"),
        user.get("team_id"),
        as_dict(body.get("enterprise")).get("id"),
        body.get("enterprise_id"),
    )
    user_id = first_string(
        user.get("id"), body.get("user_id"), as_dict(body.get("event")).get("user")
    )
    return team, user_id
