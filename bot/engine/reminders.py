"""Reminders in the conversation: `remind` (when the weekly reminder comes), `snooze` (the
reminder's buttons), and the reminder shown in a channel that cannot send one (the terminal).
Planning and sending the weekly messages is `bot.reminders`."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from bot import commands
from bot.engine.candidates import Candidates
from bot.engine.context import WEEKDAY_KEYS, Concept, Context, Handler, Services, zone
from bot.messages import Identity, Reply
from storage import queries
from storage.errors import DATABASE_ERRORS


class Reminders(Concept):
    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.candidates = Candidates(services)

    def handlers(self) -> dict[str, Handler]:
        return {"remind": self.remind, "snooze": self.snooze}

    async def remind(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Remind)
        recruiter = ctx.recruiter
        if command.off:
            recruiter.reminders_enabled = False
            return [Reply.shareable(self.t(ctx.language, "remind_off"))]
        assert command.weekday is not None and command.at is not None
        recruiter.reminders_enabled = True
        recruiter.reminder_weekday = command.weekday
        recruiter.reminder_time = command.at
        day = self.t(ctx.language, f"day_{WEEKDAY_KEYS[command.weekday]}")
        # The terminal sends nothing by itself: say so, instead of promising a message.
        key = "remind_set_console" if ctx.who.platform == "console" else "remind_set"
        text = self.t(
            ctx.language,
            key,
            day=day,
            time=command.at.strftime("%H:%M"),
            timezone=recruiter.timezone,
        )
        return [Reply.shareable(text)]

    async def snooze(self, ctx: Context, command: commands.Command) -> list[Reply]:
        """`snooze tomorrow|week`: the reminder comes back then, at the recruiter's usual time."""
        assert isinstance(command, commands.Snooze)
        recruiter = ctx.recruiter
        tz = zone(recruiter.timezone)
        days = 1 if command.until == "tomorrow" else 7
        day = ctx.now.astimezone(tz).date() + timedelta(days=days)
        at = recruiter.reminder_time or time(9, 0)
        recruiter.snoozed_until = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
        text = self.t(
            ctx.language,
            "snoozed",
            day=self.t(ctx.language, f"day_{WEEKDAY_KEYS[day.weekday()]}"),
            date=day.strftime("%d.%m."),
            time=at.strftime("%H:%M"),
            timezone=recruiter.timezone,
        )
        return [Reply.shareable(text)]

    async def due_here(self, who: Identity) -> Reply | None:
        """For a channel that cannot send reminders (the terminal): on the recruiter's reminder
        day, from their reminder time, the candidates still waiting; else None."""
        services = self.services
        try:
            async with services.sessions() as session:
                recruiter = await queries.find_recruiter(
                    session, who.platform, who.workspace, who.user
                )
                if recruiter is None or not recruiter.reminders_enabled:
                    return None
                local = services.clock().astimezone(zone(who.timezone or recruiter.timezone))
                if local.weekday() != recruiter.reminder_weekday or (
                    local.time() < recruiter.reminder_time
                ):
                    return None
                pending = await queries.list_candidates(session, recruiter, pending_only=True)
                if not pending:
                    return None
                ctx = Context(
                    session,
                    who,
                    recruiter,
                    recruiter.language or services.settings.coach_language,
                    services.clock(),
                )
                lines = [self.candidates.line(ctx, c) for c in pending]
        except DATABASE_ERRORS:
            return None
        text = self.t(ctx.language, "reminder_here", count=len(pending)) + "\n" + "\n".join(lines)
        return Reply(text=text)
