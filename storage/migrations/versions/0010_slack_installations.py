"""Slack installations for many workspaces, OAuth states, and a workspace's uninstall

Revision ID: 0010_slack_installations
Revises: 0002_perf
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_slack_installations"
down_revision: str | None = "0002_perf"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uninstalled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "slack_installations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("bot_token", sa.LargeBinary(), nullable=True),
        sa.Column("bot_refresh_token", sa.LargeBinary(), nullable=True),
        sa.Column("bot_token_expires_at", sa.Integer(), nullable=True),
        sa.Column("user_token", sa.LargeBinary(), nullable=True),
        sa.Column("user_refresh_token", sa.LargeBinary(), nullable=True),
        sa.Column("user_token_expires_at", sa.Integer(), nullable=True),
        sa.Column("installed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uninstalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_installations")),
        sa.UniqueConstraint(
            "enterprise_id", "team_id", name=op.f("uq_slack_installations_enterprise_id_team_id")
        ),
    )
    op.create_table(
        "slack_teams",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_slack_teams")),
    )
    with op.batch_alter_table("slack_teams", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_teams_enterprise_id"), ["enterprise_id"], unique=False
        )
    op.create_table(
        "slack_oauth_states",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_slack_oauth_states")),
    )
    with op.batch_alter_table("slack_oauth_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slack_oauth_states_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("slack_oauth_states")
    op.drop_table("slack_teams")
    op.drop_table("slack_installations")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("uninstalled_at")
