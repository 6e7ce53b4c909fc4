"""greetings: who has been welcomed, so the welcome is sent exactly once

Revision ID: 0003_greetings
Revises: 0010_slack_installations
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_greetings"
down_revision: str | None = "0010_slack_installations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "greetings",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("workspace", sa.String(length=128), nullable=False),
        sa.Column("audience", sa.String(length=255), nullable=False),
        sa.Column("greeted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "workspace", "audience", name=op.f("pk_greetings")),
    )


def downgrade() -> None:
    op.drop_table("greetings")
