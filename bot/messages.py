"""What flows between the engine and the channels."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

Language = Literal["nb", "en"]

# What a Slack team/user id or a Teams tenant/AAD/account id looks like: channels check ids from
# a payload against this before they reach the engine (a NUL would otherwise reach the store).
PLATFORM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=/-]*")


def is_platform_id(value: object, max_length: int = 128) -> bool:
    """A non-empty id of letters, digits and . _ : @ + = / - (no space, control or other)."""
    return (
        isinstance(value, str)
        and len(value) <= max_length
        and PLATFORM_ID.fullmatch(value) is not None
    )


class Identity(BaseModel):
    """Who is talking: a user in a workspace of a platform, plus what the platform says of them."""

    platform: Literal["console", "slack", "teams"]
    workspace: str = Field(min_length=1, max_length=128)
    user: str = Field(min_length=1, max_length=128)
    language: Language | None = None
    timezone: str | None = None

    @field_validator("workspace", "user")
    @classmethod
    def _storable(cls, value: str) -> str:
        # The last line of defence (the console passes an OS user name): nothing a database
        # cannot store or a log line should not carry.
        if value != value.strip() or any(
            unicodedata.category(char) in ("Cc", "Cs") for char in value
        ):
            raise ValueError("not a usable id")
        return value


class Inbound(BaseModel):
    """Words in the command grammar, from a slash command, a chat message or a button."""

    text: str
    # A platform delivery id (Slack action, Teams activity): the same key acts only once.
    idempotency_key: str | None = Field(default=None, max_length=255)


class Button(BaseModel):
    label: str
    # The grammar words the button stands for, e.g. "log k7f3qa called".
    command: str
    style: Literal["primary", "danger", "default"] = "default"


class Card(BaseModel):
    """A block of text with buttons: one candidate in a list, or a call script."""

    title: str
    lines: list[str] = []
    buttons: list[Button] = []


class FormField(BaseModel):
    key: str
    label: str
    question: str
    tip: str
    example: str
    required: bool
    value: str = ""
    error: str | None = None


class Form(BaseModel):
    """The call checklist: one field per applicable guide step."""

    candidate_id: str
    title: str
    intro: str
    fields: list[FormField]
    submit_label: str


class Attachment(BaseModel):
    """A file to hand over with a reply (an export); channels may upload it or show the text."""

    filename: str
    content: str
    media_type: str = "application/json"


class Reply(BaseModel):
    """One answer of the engine.

    `private` says whether the reply carries anything about a candidate (a name, a position
    tied to a name, notes, a checklist, a script, an export, a list, a report, a reminder).
    A private reply goes only where the asking recruiter alone can see it: a channel routes on
    this field, never on the wording. It is private unless the engine says otherwise, so a new
    command that forgets to say is kept out of shared conversations rather than shown in them.
    """

    text: str
    cards: list[Card] = []
    form: Form | None = None
    attachment: Attachment | None = None
    private: bool = True

    @model_validator(mode="after")
    def _candidate_parts_are_private(self) -> Reply:
        # Cards, checklists and files are always about candidates: never shareable.
        if not self.private and (self.cards or self.form is not None or self.attachment):
            raise ValueError("a reply with cards, a form or a file is private")
        return self

    @classmethod
    def shareable(cls, text: str) -> Reply:
        """Text with nothing about any candidate (help, usage, a refusal, a setting)."""
        return cls(text=text, private=False)
