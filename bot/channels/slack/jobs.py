"""What the Slack channel writes to the durable inbox: each acknowledged request, typed.

Only what the work needs after the acknowledgement is kept (ids, the command words or the
checklist answers, where to answer); never the whole payload. Candidate names and checklist
answers are personal data: the row is deleted when the job is done, and the retention
policy deletes any row left over.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

COMMAND = "slack.command"
BUTTON = "slack.button"
CHECKLIST = "slack.checklist"
MESSAGE = "slack.message"


class _Job(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team: str
    user: str


class CommandJob(_Job):
    """/feedback-call <words>."""

    text: str
    response_url: str | None = None
    trigger_id: str | None = None


class ButtonJob(_Job):
    """A command button in a message or the Home tab; its value is grammar words."""

    command: str
    action: dict[str, Any]
    trigger_id: str | None = None
    response_url: str | None = None
    container: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    channel: dict[str, Any] | None = None

    def body(self) -> dict[str, Any]:
        """The parts of Slack's payload the button code reads."""
        body: dict[str, Any] = {
            "team": {"id": self.team},
            "user": {"id": self.user, "team_id": self.team},
            "trigger_id": self.trigger_id,
            "container": self.container or {},
        }
        for name in ("response_url", "message", "channel"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        return body


class ChecklistJob(_Job):
    """A checklist modal submitted: the answers, and where the call script goes."""

    candidate: str
    answers: dict[str, str]
    # "Among the strongest" (external candidates' checklist only); None when it was not asked.
    strongest: bool | None = None
    # The engine's delivery key: the same submission is stored once, however often it runs.
    delivery: str
    response_url: str | None = None


class MessageJob(_Job):
    """Words written to the coach in an @mention or a message, and where the answer goes."""

    channel: str
    text: str
    ts: str = ""
    thread_ts: str | None = None
    # True where others read the answer (a channel): private replies go to the DM instead.
    shared: bool
