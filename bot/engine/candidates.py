"""Candidates: `add`, `list`, `help`, and how one candidate is found and shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, get_args

from bot import commands
from bot.engine.context import (
    Concept,
    Context,
    Handler,
    date_text,
    day_text,
    zone,
)
from bot.messages import Button, Card, Reply
from conversation_guides import GuideBook
from storage import queries
from storage.queries import CandidateSummary
from storage.tables import Candidate


class Candidates(Concept):
    def handlers(self) -> dict[str, Handler]:
        return {"help": self.help, "add": self.add, "list": self.list_all}

    async def help(self, ctx: Context, command: commands.Command) -> list[Reply]:
        pending = await queries.list_candidates(ctx.session, ctx.recruiter, pending_only=True)
        text = self.t(ctx.language, "help")
        if pending:
            # The waiting candidates' names make the help private.
            rows = self.rows(ctx)
            lines = [rows.line(c) for c in pending]
            text += "\n\n" + self.t(ctx.language, "help_pending", count=len(pending))
            text += "\n" + "\n".join(lines)
            text += "\n\n" + self.t(ctx.language, "help_practice")
            return [Reply(text=text)]
        text += "\n\n" + self.t(ctx.language, "help_nothing_pending")
        text += "\n\n" + self.t(ctx.language, "help_practice")
        return [Reply.shareable(text)]

    async def add(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Add)
        rejected_at, problem = self.rejection_moment(ctx, command.rejected_on)
        if rejected_at is None:
            return [self.refused(problem)]
        position = await queries.get_or_create_position(
            ctx.session, ctx.recruiter.workspace_id, command.position, ctx.now
        )
        if not command.confirmed:
            namesakes = await queries.pending_namesakes(
                ctx.session, ctx.recruiter, command.name, position
            )
            if namesakes:
                # A second row for the same person halves their report figures; ask first.
                first = namesakes[0]
                text = self.t(
                    ctx.language,
                    "add_duplicate",
                    name=first.name,
                    id=first.public_id,
                    position=position.title,
                )
                yes = Button(
                    label=self.t(ctx.language, "button_add_anyway"),
                    command="confirm " + add_words(command),
                    style="primary",
                )
                return [Reply(text=text, confirm=yes, candidate_id=first.public_id)]
        candidate = await queries.add_candidate(
            ctx.session,
            ctx.recruiter,
            position,
            command.name,
            command.internal,
            ctx.now,
            rejected_at=rejected_at,
        )
        key = "added_internal" if command.internal else "added"
        text = self.t(
            ctx.language, key, name=candidate.name, id=candidate.public_id, position=position.title
        )
        if command.rejected_on is not None:
            text += " " + self.t(
                ctx.language, "added_rejected_on", date=date_text(ctx, rejected_at)
            )
        card = Card(
            title=candidate.name or "",
            lines=[position.title],
            buttons=[
                Button(
                    label=self.t(ctx.language, "button_prepare"),
                    command=f"start {candidate.public_id}",
                    style="primary",
                )
            ],
        )
        return [Reply(text=text, cards=[card], candidate_id=candidate.public_id)]

    def rejection_moment(
        self, ctx: Context, typed: commands.DayOfYear | None
    ) -> tuple[datetime | None, str]:
        """When the candidate was told no, from a typed date in the recruiter's time zone;
        or why that date cannot be right. Deadlines, reminders and retention count from it."""
        if typed is None:
            return ctx.now, ""
        tz = zone(ctx.recruiter.timezone)
        local_now = ctx.now.astimezone(tz)
        today = local_now.date()
        day = typed.resolve(today)
        if day is None:
            return None, self.t(ctx.language, "problem_bad_date") + "\n" + self.t(
                ctx.language, "usage_add"
            )
        shown = day_text(ctx.language, day)
        if day > today:
            return None, self.t(ctx.language, "date_in_future", date=shown)
        if day < today - timedelta(days=365):
            return None, self.t(ctx.language, "date_too_old", date=shown)
        # The time of day of now, so "days since rejection" is the plain count of days.
        moment = datetime.combine(day, local_now.timetz().replace(tzinfo=None), tzinfo=tz)
        return moment.astimezone(UTC), ""

    async def list_all(self, ctx: Context, command: commands.Command) -> list[Reply]:
        candidates = await queries.list_candidates(ctx.session, ctx.recruiter)
        if not candidates:
            return [Reply(text=self.t(ctx.language, "list_empty"))]
        rows = self.rows(ctx)
        lines: list[str] = []
        cards: list[dict[str, Any]] = []
        for candidate in candidates:
            days, status = rows.days(candidate), rows.status(candidate)
            lines.append(rows.line(candidate, days, status))
            if candidate.outcome is None:
                cards.append(rows.card(candidate, days, status))
        header = self.t(ctx.language, "list_header", count=len(candidates))
        text = header + "\n" + "\n".join(lines)
        done = len(candidates) - len(cards)
        # Channels that show the cards show this instead of the text: one row per candidate.
        heading = header
        if done:
            heading += "\n" + self.t(ctx.language, "list_done_elsewhere", count=done)
        # The cards as plain data, validated once with the reply in pydantic's core: a list of
        # thirty is some 130 buttons, and Button(...) one by one cost twice as much.
        return [Reply.model_validate({"text": text, "cards": cards, "heading": heading})]

    def rows(self, ctx: Context) -> Rows:
        return Rows(self.services.guides, ctx.language, ctx.now)

    # -- finding and showing one candidate ----------------------------------------------

    async def resolve(self, ctx: Context, ref: str) -> tuple[Candidate | None, Reply]:
        """The recruiter's one candidate by id or name; else the refusal to answer with."""
        found = await queries.find_candidates(ctx.session, ctx.recruiter, ref)
        pending = [c for c in found if c.outcome is None]
        if len(found) > 1 and len(pending) == 1:
            # A name shared with someone already called most likely means the one still waiting.
            found = pending
        if len(found) == 1:
            return found[0], Reply(text="")
        if not found:
            return None, self.refused(self.t(ctx.language, "not_found", ref=ref))
        lines = [self.line(ctx, c) for c in found]
        text = self.t(ctx.language, "ambiguous", ref=ref) + "\n" + "\n".join(lines)
        return None, self.refused(text)

    def line(self, ctx: Context, candidate: Candidate | CandidateSummary) -> str:
        return self.rows(ctx).line(candidate)

    def outcome_buttons(
        self, language: str, candidate: Candidate | CandidateSummary
    ) -> list[Button]:
        """Called, no answer, declined, skipped, consent: what may follow a prepared call."""
        ref = candidate.public_id
        return [
            Button(
                label=self.t(language, "button_called"),
                command=f"log {ref} called",
                style="primary",
            ),
            Button(label=self.t(language, "button_no_answer"), command=f"log {ref} no-answer"),
            Button(label=self.t(language, "button_declined"), command=f"log {ref} declined"),
            Button(
                label=self.t(language, "button_skipped"),
                command=f"log {ref} skipped",
                style="danger",
            ),
            Button(label=self.t(language, "button_consent"), command=f"consent {ref}"),
        ]


class Rows:
    """How candidates are shown in one language: the line of a text list and the card of one
    row, with every template and label looked up once for a whole list instead of by key for
    each field of each row (a list of thirty was some 220 look-ups)."""

    def __init__(self, guides: GuideBook, language: str, now: datetime) -> None:
        templates = guides.templates(language)
        self.now = now
        self._lines = (templates["candidate_line"], templates["candidate_line_internal"])
        self._rows = (templates["candidate_row"], templates["candidate_row_internal"])
        self._note = templates["candidate_note"]
        self._pending = templates["status_pending"]
        self._outcomes: dict[str, str] = {
            outcome: guides.text(language, f"outcome_{outcome}")
            for outcome in get_args(commands.Outcome)
        }
        # A few attempts at most: each status text is made once per list.
        self._waiting: dict[int, str] = {}
        label = guides.text
        self._prepare = label(language, "button_prepare")
        self._edit = label(language, "button_edit")
        self._called = label(language, "button_called")
        self._no_answer = label(language, "button_no_answer")
        self._declined = label(language, "button_declined")
        self._skipped = label(language, "button_skipped")
        self._consent = label(language, "button_consent")

    def days(self, candidate: Candidate | CandidateSummary) -> int:
        return max(0, (self.now - candidate.rejected_at).days)

    def status(self, candidate: Candidate | CandidateSummary) -> str:
        if candidate.outcome is not None:
            return self._outcomes[candidate.outcome]
        text = self._waiting.get(candidate.attempts)
        if text is None:
            text = self._waiting[candidate.attempts] = self._pending.format(
                attempts=candidate.attempts
            )
        return text

    def line(
        self,
        candidate: Candidate | CandidateSummary,
        days: int | None = None,
        status: str | None = None,
    ) -> str:
        """`days` and `status` when the caller has them already (for the card too)."""
        line = self._lines[candidate.internal].format(
            name=candidate.name,
            id=candidate.public_id,
            position=candidate.position_title,
            days=self.days(candidate) if days is None else days,
            status=self.status(candidate) if status is None else status,
        )
        note = getattr(candidate, "last_note", None)
        if note:
            line += "\n  " + self._note.format(note=note)
        return line

    def card(self, candidate: CandidateSummary, days: int, status: str) -> dict[str, Any]:
        """One row as a Card's data: name as the title; position, days and status; the last
        note. The first button is the next step (Prepare, or Called once prepared), the rest
        go in a menu."""
        lines = [
            self._rows[candidate.internal].format(
                position=candidate.position_title, days=days, status=status
            )
        ]
        if candidate.last_note:
            lines.append(self._note.format(note=candidate.last_note))
        ref = candidate.public_id
        declined = {"label": self._declined, "command": f"log {ref} declined"}
        skipped = {"label": self._skipped, "command": f"log {ref} skipped", "style": "danger"}
        if candidate.prepared:
            buttons = [
                {"label": self._called, "command": f"log {ref} called", "style": "primary"},
                {"label": self._no_answer, "command": f"log {ref} no-answer"},
                declined,
                skipped,
                {"label": self._edit, "command": f"start {ref}"},
                {"label": self._consent, "command": f"consent {ref}"},
            ]
        else:
            # "Called" before the call is prepared is not offered; declining needs no script.
            prepare = {"label": self._prepare, "command": f"start {ref}", "style": "primary"}
            buttons = [prepare, declined, skipped]
        return {"title": candidate.name, "lines": lines, "buttons": buttons}


def add_words(command: commands.Add) -> str:
    """An `add` as grammar words again (for the yes-button after asking about a namesake)."""
    parts = [command.name, command.position]
    if command.internal:
        parts.append("internal")
    if command.rejected_on is not None:
        day = command.rejected_on
        parts.append(f"{day.day}.{day.month}.{day.year}" if day.year else f"{day.day}.{day.month}.")
    return "add " + " | ".join(parts)
