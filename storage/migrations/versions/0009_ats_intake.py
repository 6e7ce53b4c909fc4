"""ATS intake: webhook integrations, applications by the source's ids, recruiters' e-mails,
and when a recruiter last heard about new candidates

Revision ID: 0009_ats_intake
Revises: 0008_practice_runs
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_ats_intake"
down_revision: str | None = "0008_practice_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ats_integrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("api_key", sa.String(length=128), nullable=True),
        sa.Column("interviewed_stages", sa.JSON(), nullable=True),
        sa.Column("last_delivery_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ignored_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_ats_integrations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ats_integrations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_ats_integrations_token_hash")),
        sa.UniqueConstraint(
            "workspace_id", "vendor", name=op.f("uq_ats_integrations_workspace_id_vendor")
        ),
    )
    op.create_table(
        "ats_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=16), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("ats_candidate_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=200), nullable=True),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("position", sa.String(length=200), nullable=True),
        sa.Column("internal", sa.Boolean(), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("recruiter_email", sa.String(length=254), nullable=True),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_ats_applications_candidate_id_candidates"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_ats_applications_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ats_applications")),
        sa.UniqueConstraint(
            "workspace_id",
            "vendor",
            "application_id",
            name=op.f("uq_ats_applications_workspace_id_vendor_application_id"),
        ),
    )
    with op.batch_alter_table("ats_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ats_applications_ats_candidate_id"), ["ats_candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ats_applications_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ats_applications_workspace_id"), ["workspace_id"], unique=False
        )
    op.create_table(
        "recruiter_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("recruiter_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["recruiters.id"],
            name=op.f("fk_recruiter_emails_recruiter_id_recruiters"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_recruiter_emails_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recruiter_emails")),
        sa.UniqueConstraint(
            "workspace_id", "email", name=op.f("uq_recruiter_emails_workspace_id_email")
        ),
    )
    with op.batch_alter_table("recruiter_emails", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recruiter_emails_recruiter_id"), ["recruiter_id"], unique=False
        )
    op.create_table(
        "intake_notices",
        sa.Column("recruiter_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["recruiters.id"],
            name=op.f("fk_intake_notices_recruiter_id_recruiters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recruiter_id", name=op.f("pk_intake_notices")),
    )


def downgrade() -> None:
    op.drop_table("intake_notices")
    with op.batch_alter_table("recruiter_emails", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recruiter_emails_recruiter_id"))
    op.drop_table("recruiter_emails")
    with op.batch_alter_table("ats_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ats_applications_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_ats_applications_candidate_id"))
        batch_op.drop_index(batch_op.f("ix_ats_applications_ats_candidate_id"))
    op.drop_table("ats_applications")
    op.drop_table("ats_integrations")
