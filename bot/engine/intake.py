"""The admin commands of the ATS intake: `integration` (connect an ATS, see how it does),
`unassigned` (candidates whose recruiter could not be matched) and `assign` (hand one over).

Admins only (COACH_ADMINS), within their own workspace. A webhook's signing secret is shown
once, privately, when it is made; every setup, rotation, key and assignment is audited.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot import commands
from bot.ats import VENDOR_MADE_KEYS, VENDOR_NAMES, Intake, new_secret, new_token
from bot.engine.context import Concept, Context, Handler, Services
from bot.messages import Attachment, Button, Card, Reply, Status, is_platform_id
from storage import intake as store
from storage import privacy as privacy_store
from storage import queries
from storage.tables import AtsApplication, AtsIntegration


class IntakeAdmin(Concept):
    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.intake = Intake(services)

    def handlers(self) -> dict[str, Handler]:
        return {
            "integration": self.integration,
            "unassigned": self.unassigned,
            "assign": self.assign,
        }

    def _admin(self, ctx: Context) -> bool:
        return self.services.is_admin(ctx)

    async def integration(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Integration)
        if not self._admin(ctx):
            return [self.refused(self.t(ctx.language, "intake_admins_only"))]
        workspace_id = ctx.recruiter.workspace_id
        if command.vendor is None:
            return [Reply(text=await self._status(ctx, workspace_id))]
        name = VENDOR_NAMES[command.vendor]
        existing = await store.integration_for(ctx.session, workspace_id, command.vendor)
        if command.stages is not None:
            if existing is None:
                return [
                    self.refused(
                        text=self.t(
                            ctx.language, "intake_not_set_up", vendor=name, ats=command.vendor
                        )
                    )
                ]
            existing.interviewed_stages = command.stages or None
            stages = ", ".join(command.stages) or self.t(ctx.language, "intake_stages_default")
            return [
                Reply(text=self.t(ctx.language, "intake_stages_set", vendor=name, stages=stages))
            ]
        if command.signature_key is not None or command.api_key is not None:
            return [self._vendor_key(ctx, existing, command)]
        if existing is not None and not command.rotate:
            # The secret is shown once: asking again gives the state and the way to a new one.
            return [
                Reply(
                    text=self._line(ctx.language, existing)
                    + "\n"
                    + self.t(ctx.language, "intake_rotate_hint", ats=command.vendor)
                )
            ]
        token, secret = new_token(), new_secret()
        if command.vendor in VENDOR_MADE_KEYS and existing is not None:
            # The vendor made the signature key: a new URL keeps it.
            secret = existing.secret
        await store.save_integration(
            ctx.session, workspace_id, command.vendor, token, secret, ctx.now
        )
        privacy_store.audit(
            ctx.session,
            workspace_id,
            ctx.who.user,
            f"ats_{'rotate' if existing else 'setup'}",
            None,
            ctx.now,
        )
        base = self.services.settings.public_url.rstrip("/")
        url = f"{base}/webhooks/{command.vendor}/{token}"
        key = "intake_rotated" if existing is not None else "intake_created"
        if command.vendor in VENDOR_MADE_KEYS:
            key += "_vendor_key"
        text = self.t(ctx.language, key, vendor=name, url=url, secret=secret)
        text += "\n" + self.t(ctx.language, f"intake_steps_{command.vendor}")
        return [Reply(text=text)]

    def _vendor_key(
        self, ctx: Context, existing: AtsIntegration | None, command: commands.Integration
    ) -> Reply:
        """A key the vendor made (Teamtailor's signature key, its API key), sent by the admin."""
        assert command.vendor is not None
        name = VENDOR_NAMES[command.vendor]
        if command.vendor not in VENDOR_MADE_KEYS:
            return self.refused(self.t(ctx.language, "intake_no_vendor_key", vendor=name))
        if existing is None:
            return self.refused(
                text=self.t(ctx.language, "intake_not_set_up", vendor=name, ats=command.vendor)
            )
        if command.signature_key is not None:
            existing.secret = command.signature_key
            action, key = "ats_signature_key", "intake_signature_key_saved"
        else:
            existing.api_key = command.api_key
            action, key = "ats_api_key", "intake_api_key_saved"
        privacy_store.audit(ctx.session, existing.workspace_id, ctx.who.user, action, None, ctx.now)
        return Reply(text=self.t(ctx.language, key, vendor=name))

    async def _status(self, ctx: Context, workspace_id: int) -> str:
        rows = await store.workspace_integrations(ctx.session, workspace_id)
        waiting = len(await store.unassigned(ctx.session, workspace_id))
        if not rows:
            return self.t(ctx.language, "intake_none")
        lines = [self._line(ctx.language, row) for row in rows]
        lines.append(self.t(ctx.language, "intake_unassigned_count", count=waiting))
        return self.t(ctx.language, "intake_status_header") + "\n" + "\n".join(lines)

    def _line(self, language: str, row: AtsIntegration) -> str:
        never = self.t(language, "intake_never")
        last = (
            row.last_delivery_at.strftime("%Y-%m-%d %H:%M UTC") if row.last_delivery_at else never
        )
        return self.t(
            language,
            "intake_status_line",
            vendor=VENDOR_NAMES.get(row.vendor, row.vendor),
            last=last,
            errors=row.error_count,
            error=row.last_error or "-",
            ignored=row.ignored_count,
            stages=", ".join(row.interviewed_stages or [])
            or self.t(language, "intake_stages_default"),
        )

    async def unassigned(self, ctx: Context, command: commands.Command) -> list[Reply]:
        if not self._admin(ctx):
            return [self.refused(self.t(ctx.language, "intake_admins_only"))]
        rows = await store.unassigned(ctx.session, ctx.recruiter.workspace_id)
        if not rows:
            return [Reply(text=self.t(ctx.language, "intake_unassigned_empty"))]
        lines = [self._unassigned_line(ctx.language, row) for row in rows]
        text = (
            self.t(ctx.language, "intake_unassigned_header", count=len(rows))
            + "\n"
            + "\n".join(lines)
        )
        return [Reply(text=text)]

    def _unassigned_line(self, language: str, row: AtsApplication) -> str:
        return self.t(
            language,
            "intake_unassigned_line",
            ref=f"a{row.id}",
            name=row.name or "",
            position=row.position or "",
            date=row.rejected_at.date().isoformat() if row.rejected_at else "",
            vendor=VENDOR_NAMES.get(row.vendor, row.vendor),
            recruiter=row.recruiter_email or "-",
        )

    async def assign(self, ctx: Context, command: commands.Command) -> list[Reply]:
        assert isinstance(command, commands.Assign)
        if not self._admin(ctx):
            return [self.refused(self.t(ctx.language, "intake_admins_only"))]
        rows = await store.unassigned(ctx.session, ctx.recruiter.workspace_id)
        ref = command.candidate.strip()
        found = matching(rows, ref)
        if not found:
            return [self.refused(self.t(ctx.language, "intake_assign_not_found", ref=ref))]
        if len(found) > 1:
            lines = [self._unassigned_line(ctx.language, row) for row in found]
            return [
                self.refused(
                    text=self.t(ctx.language, "intake_assign_ambiguous", ref=ref)
                    + "\n"
                    + "\n".join(lines)
                )
            ]
        row = found[0]
        target = command.recruiter.strip().lstrip("@")
        if target.startswith("<@") and target.endswith(">"):
            target = target[2:-1].split("|")[0]
        recruiter = None
        if "@" in target:
            recruiter = await store.recruiter_by_email(ctx.session, row.workspace_id, target)
            if recruiter is None:
                return [
                    self.refused(self.t(ctx.language, "intake_assign_unknown_email", email=target))
                ]
        elif not is_platform_id(target):
            return [self.refused(self.t(ctx.language, "intake_assign_unknown_email", email=target))]
        else:
            recruiter = await queries.recruiter_for(
                ctx.session, ctx.who.platform, ctx.who.workspace, target, ctx.now
            )
        assert row.name and row.position and row.rejected_at
        candidate = await self.intake.new_candidate(
            ctx.session, recruiter, row.name, row.position, row.internal, row.rejected_at, ctx.now
        )
        privacy_store.audit(
            ctx.session, row.workspace_id, ctx.who.user, "ats_assign", candidate.public_id, ctx.now
        )
        name = row.name
        row.status, row.candidate_id, row.notified_at, row.updated_at = (
            "pending",
            candidate.id,
            None,
            ctx.now,
        )
        row.name = row.position = row.recruiter_email = None
        return [
            Reply(
                text=self.t(
                    ctx.language,
                    "intake_assigned",
                    name=name,
                    id=candidate.public_id,
                    recruiter=recruiter.external_id,
                ),
                candidate_id=candidate.public_id,
            )
        ]


def reference(row: AtsApplication) -> str:
    """How admins name an unassigned candidate: it has no candidate id until assigned."""
    return f"a{row.id}"


def matching(rows: Sequence[AtsApplication], ref: str) -> list[AtsApplication]:
    """By reference, else by whole name, else by part of the name."""
    wanted = ref.strip().casefold()
    found = [row for row in rows if reference(row) == wanted]
    if not found:
        found = [row for row in rows if row.name and row.name.casefold() == wanted]
    if not found:
        found = [row for row in rows if row.name and wanted in row.name.casefold()]
    return found


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


class UnassignedPrivacy:
    """`export` and `erase` for a candidate still waiting for a recruiter (no candidate row
    yet, only the ATS's application row). The privacy commands ask here when the reference
    names no candidate; the caller has checked that the user is an admin."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def t(self, language: str, key: str, **values: object) -> str:
        return self.services.t(language, key, **values)

    async def _one(self, ctx: Context, ref: str) -> tuple[AtsApplication | None, Reply | None]:
        rows = await store.unassigned(ctx.session, ctx.recruiter.workspace_id)
        found = matching(rows, ref)
        if not found:
            return None, None
        if len(found) > 1:
            lines = [
                IntakeAdmin(self.services)._unassigned_line(ctx.language, row) for row in found
            ]
            text = self.t(ctx.language, "intake_privacy_ambiguous", ref=ref.strip())
            return None, Reply(text=text + "\n" + "\n".join(lines), status=Status.REFUSED)
        return found[0], None

    async def export(self, ctx: Context, ref: str) -> list[Reply] | None:
        """The export of an unassigned candidate; None when no unassigned candidate matches."""
        row, problem = await self._one(ctx, ref)
        if problem is not None:
            return [problem]
        if row is None:
            return None
        public = reference(row)
        # Audited first, so the export lists itself, as a candidate's export does.
        privacy_store.audit(
            ctx.session, row.workspace_id, ctx.who.user, "export", public, ctx.now, "unassigned"
        )
        await ctx.session.flush()
        document = {
            "unassigned_candidate": public,
            "exported_at": ctx.now,
            "exported_by": ctx.who.user,
            "data": {
                "ats_applications": [store.unassigned_export(row)],
                "audit_events": await store.audit_of(ctx.session, row.workspace_id, public),
            },
        }
        content = json.dumps(document, ensure_ascii=False, indent=2, default=_json_value)
        attachment = Attachment(filename=f"unassigned-{public}.json", content=content)
        return [Reply(text=content, attachment=attachment)]

    async def erase(self, ctx: Context, ref: str) -> list[Reply] | None:
        """Erase an unassigned candidate (a name gets a question back, the reference acts);
        None when no unassigned candidate matches."""
        row, problem = await self._one(ctx, ref)
        if problem is not None:
            return [problem]
        if row is None:
            return None
        public = reference(row)
        if ref.strip().casefold() != public:
            text = self.t(ctx.language, "intake_erase_confirm", name=row.name or "", id=public)
            button = Button(
                label=self.t(ctx.language, "button_erase"),
                command=f"erase {public}",
                style="danger",
            )
            card = Card(title=f"{row.name} ({public})", buttons=[button])
            return [Reply(text=text, cards=[card])]
        store.erase_unassigned(row, ctx.now)
        privacy_store.audit(
            ctx.session, row.workspace_id, ctx.who.user, "erase", public, ctx.now, "unassigned"
        )
        return [Reply(text=self.t(ctx.language, "intake_erased", id=public))]
