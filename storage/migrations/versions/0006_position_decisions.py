"""call script: what decided a position, the recruiter's name, the organisation, "strongest"

Adds to positions what decided for the whole position (written once by `position <title>`),
to recruiters the name they introduce themselves with, to workspaces the organisation's name
from the platform, and to call preparations whether the candidate was among the strongest
(only then is the talent-pool question asked).

Revision ID: 0006_position_decisions
Revises: 0009_ats_intake
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_position_decisions"
down_revision: str | None = "0009_ats_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decided_requirements", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("decided_strengths", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("recruiters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=200), nullable=True))
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation", sa.String(length=200), nullable=True))
    with op.batch_alter_table("call_preparations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("strongest", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("call_preparations", schema=None) as batch_op:
        batch_op.drop_column("strongest")
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("organisation")
    with op.batch_alter_table("recruiters", schema=None) as batch_op:
        batch_op.drop_column("display_name")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_strengths")
        batch_op.drop_column("decided_requirements")
