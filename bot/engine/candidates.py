"""Candidates: `add`, `list`, `help`, and how one candidate is found and shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
            lines = [self.line(ctx, c) for c in pending]
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
        lines = [self.line(ctx, c) for c in candidates]
        cards = [self.card(ctx, c) for c in candidates if c.outcome is None]
        header = self.t(ctx.language, "list_header", count=len(candidates))
        text = header + "\n" + "\n".join(lines)
        done = len(candidates) - len(cards)
        # Channels that show the cards show this instead of the text: one row per candidate.
        heading = header
        if done:
            heading += "\n" + self.t(ctx.language, "list_done_elsewhere", count=done)
        return [Reply(text=text, cards=cards, heading=heading)]

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
        key = "candidate_line_internal" if candidate.internal else "candidate_line"
        line = self.t(
            ctx.language,
            key,
            name=candidate.name,
            id=candidate.public_id,
            position=candidate.position_title,
            days=days_since(ctx, candidate),
            status=self.status(ctx, candidate),
        )
        note = getattr(candidate, "last_note", None)
        if note:
            line += "\n  " + self.t(ctx.language, "candidate_note", note=note)
        return line

    def status(self, ctx: Context, candidate: Candidate | CandidateSummary) -> str:
        if candidate.outcome is None:
            return self.t(ctx.language, "status_pending", attempts=candidate.attempts)
        return self.t(ctx.language, f"outcome_{candidate.outcome}")

    def card(self, ctx: Context, candidate: CandidateSummary) -> Card:
        """One row: name as the title; position, days and status; the last note. The first
        button is the next step (Prepare, or Called once prepared), the rest go in a menu."""
        row = self.t(
            ctx.language,
            "candidate_row_internal" if candidate.internal else "candidate_row",
            position=candidate.position_title,
            days=days_since(ctx, candidate),
            status=self.status(ctx, candidate),
        )
        lines = [row]
        if candidate.last_note:
            lines.append(self.t(ctx.language, "candidate_note", note=candidate.last_note))
        ref = candidate.public_id
        prepare = Button(
            label=self.t(ctx.language, "button_prepare"), command=f"start {ref}", style="primary"
        )
        outcomes = self.outcome_buttons(ctx.language, candidate)
        if candidate.prepared:
            edit = Button(label=self.t(ctx.language, "button_edit"), command=f"start {ref}")
            buttons = [outcomes[0], *outcomes[1:4], edit, outcomes[4]]
        else:
            # "Called" before the call is prepared is not offered; declining needs no script.
            buttons = [prepare, outcomes[2], outcomes[3]]
        return Card(title=candidate.name, lines=lines, buttons=buttons)

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


def days_since(ctx: Context, candidate: Candidate | CandidateSummary) -> int:
    return max(0, (ctx.now - candidate.rejected_at).days)


def add_words(command: commands.Add) -> str:
    """An `add` as grammar words again (for the yes-button after asking about a namesake)."""
    parts = [command.name, command.position]
    if command.internal:
        parts.append("internal")
    if command.rejected_on is not None:
        day = command.rejected_on
        parts.append(f"{day.day}.{day.month}.{day.year}" if day.year else f"{day.day}.{day.month}.")
    return "add " + " | ".join(parts)
