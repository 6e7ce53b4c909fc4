"""Applicants' personal data in the engine: talent-pool consent, export and erasure.

Who may do what:
- `consent` / `consent … withdraw`: the recruiter who owns the candidate, or an admin of the
  workspace (a candidate often tells HR, not the recruiter, that they changed their mind).
- `pool`: every recruiter of the workspace sees the workspace's pool. A talent pool is the
  employer's, kept so that *any* later opening can reach the candidate, which is what the
  candidate agreed to; it shows name, position and expiry only, never notes or preparation.
- `export` / `erase`: admins only (COACH_ADMINS), within their own workspace.
Every change of consent, every export and every erasure is written to the audit log.
"""

from __future__ import annotations

import calendar
import json
import logging
from datetime import datetime
from typing import Any

from bot import commands
from bot.engine.context import Concept, Context, Handler, refused_shareable
from bot.engine.intake import UnassignedPrivacy
from bot.messages import Attachment, Button, Card, Reply
from storage import privacy as store
from storage import queries
from storage.database import bound_engine
from storage.tables import Candidate

log = logging.getLogger(__name__)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later, or the month's last day when it has no such day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


class Privacy(Concept):
    """The privacy commands: consent, the talent pool, export and erasure."""

    def handlers(self) -> dict[str, Handler]:
        return {
            "consent": self.consent,
            "pool": self.pool,
            "export": self.export,
            "erase": self.erase,
        }

    def is_admin(self, ctx: Context) -> bool:
        return self.services.is_admin(ctx)

    # -- commands -----------------------------------------------------------------------

    async def consent(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Consent)
        candidate, problem = await self._resolve(ctx, command.candidate, self.is_admin(ctx))
        if candidate is None:
            return [problem]
        name, ref = candidate.name, candidate.public_id
        if command.withdraw:
            if not await store.withdraw_consent(ctx.session, candidate, ctx.recruiter, ctx.now):
                text = self.t(ctx.language, "consent_none", name=name, id=ref)
                return [self.refused(text, candidate)]
            self._audit(ctx, "consent_withdrawn", candidate)
            text = self.t(ctx.language, "consent_withdrawn", name=name, id=ref)
            return [Reply(text=text, candidate_id=ref)]
        existing = await store.active_consent(ctx.session, candidate, ctx.now)
        if existing is not None:
            until = existing.expires_at.date().isoformat()
            text = self.t(ctx.language, "consent_already", name=name, id=ref, until=until)
            return [self.refused(text, candidate)]
        expires = add_months(ctx.now, self.services.settings.coach_talent_pool_months)
        await store.grant_consent(ctx.session, candidate, ctx.recruiter, ctx.now, expires)
        self._audit(ctx, "consent_granted", candidate)
        text = self.t(
            ctx.language, "consent_granted", name=name, id=ref, until=expires.date().isoformat()
        )
        return [Reply(text=text, candidate_id=ref)]

    async def pool(self, ctx: Context, command: commands.Command) -> list[Reply]:
        entries = await store.pool(ctx.session, ctx.recruiter.workspace_id, ctx.now)
        if not entries:
            return [Reply(text=self.t(ctx.language, "pool_empty"))]
        lines = [
            self.t(
                ctx.language,
                "pool_line",
                name=entry.name,
                id=entry.public_id,
                position=entry.position,
                until=entry.expires_at.date().isoformat(),
            )
            for entry in entries
        ]
        header = self.t(ctx.language, "pool_header", count=len(entries))
        return [Reply(text=header + "\n" + "\n".join(lines))]

    async def export(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Export)
        if not self.is_admin(ctx):
            return [self._admins_only(ctx, "export")]
        candidate, problem = await self._resolve(ctx, command.candidate, workspace_wide=True)
        if candidate is None:
            return await self._unassigned(ctx, "export", command.candidate) or [problem]
        # Audit first, so the export lists itself: the person sees who asked for their data.
        self._audit(ctx, "export", candidate)
        await ctx.session.flush()
        document = {
            "candidate": candidate.public_id,
            "exported_at": ctx.now,
            "exported_by": ctx.who.user,
            "data": await store.export_rows(ctx.session, candidate),
        }
        content = json.dumps(document, ensure_ascii=False, indent=2, default=_json_value)
        attachment = Attachment(filename=f"candidate-{candidate.public_id}.json", content=content)
        return [Reply(text=content, attachment=attachment, candidate_id=candidate.public_id)]

    async def erase(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Erase)
        if not self.is_admin(ctx):
            return [self._admins_only(ctx, "erase")]
        candidate, problem = await self._resolve(ctx, command.candidate, workspace_wide=True)
        if candidate is None:
            return await self._unassigned(ctx, "erase", command.candidate) or [problem]
        ref = candidate.public_id
        if command.candidate.casefold() != ref:
            # Erasing cannot be undone: a name only gets a question back, the id acts.
            text = self.t(ctx.language, "erase_confirm", name=candidate.name, id=ref)
            button = Button(
                label=self.t(ctx.language, "button_erase"), command=f"erase {ref}", style="danger"
            )
            card = Card(title=f"{candidate.name} ({ref})", buttons=[button])
            return [Reply(text=text, cards=[card], candidate_id=ref)]
        await store.anonymize(ctx.session, [candidate.id], ctx.now)
        self._audit(ctx, "erase", candidate)
        ctx.after_commit.append(self._scrub)
        return [Reply(text=self.t(ctx.language, "erased", id=ref), candidate_id=ref)]

    # -- helpers ------------------------------------------------------------------------

    async def _unassigned(self, ctx: Context, action: str, ref: str) -> list[Reply] | None:
        """No candidate by that reference: an ATS candidate still waiting for a recruiter
        (`unassigned`) may be meant. Not when several candidates matched: that question comes
        first. The logic is the intake's (bot.engine.intake)."""
        if await queries.find_in_workspace(ctx.session, ctx.recruiter.workspace_id, None, ref):
            return None

        unassigned = UnassignedPrivacy(self.services)
        if action == "export":
            return await unassigned.export(ctx, ref)
        return await unassigned.erase(ctx, ref)

    async def _resolve(
        self, ctx: Context, ref: str, workspace_wide: bool
    ) -> tuple[Candidate | None, Reply]:
        found = await queries.find_in_workspace(
            ctx.session,
            ctx.recruiter.workspace_id,
            None if workspace_wide else ctx.recruiter.id,
            ref,
        )
        if len(found) == 1:
            return found[0], Reply(text="")
        if not found:
            key = "privacy_not_found_workspace" if workspace_wide else "not_found"
            return None, self.refused(self.t(ctx.language, key, ref=ref))
        lines = [
            self.t(
                ctx.language,
                "privacy_match_line",
                name=c.name,
                id=c.public_id,
                position=c.position.title,
            )
            for c in found
        ]
        key = "privacy_ambiguous_workspace" if workspace_wide else "ambiguous"
        text = self.t(ctx.language, key, ref=ref) + "\n" + "\n".join(lines)
        return None, self.refused(text)

    def _admins_only(self, ctx: Context, action: str) -> Reply:
        # Said before any lookup, so a refusal does not tell whether the person exists. INFO, not
        # WARNING: the user was answered politely; nothing is wrong with the program, and the
        # terminal (which shows WARNING and up) must not print log lines into the conversation.
        log.info("%s refused: user %s is not an admin", action, ctx.who.user)
        return refused_shareable(self.t(ctx.language, "admins_only"))

    def _audit(self, ctx: Context, action: str, candidate: Candidate) -> None:
        store.audit(
            ctx.session,
            ctx.recruiter.workspace_id,
            ctx.who.user,
            action,
            candidate.public_id,
            ctx.now,
        )
        log.info("audit: %s of candidate %s by user %s", action, candidate.public_id, ctx.who.user)

    async def _scrub(self) -> None:
        try:
            await store.scrub(await bound_engine(self.services.sessions))
        except Exception as error:
            # The rows are gone and secure_delete zeroed them in the main file; old page images
            # in the WAL go at the next scrub (the next erasure or purge that changes something).
            log.warning("could not compact the database after an erasure: %s", type(error).__name__)
