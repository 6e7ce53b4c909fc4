"""answer confirmations: a risky-flagged answer kept because the recruiter named the requirement

call_preparations.confirmations holds, per step, which requirement of the position the
recruiter confirmed a flagged text is about; audit_events.detail says which step and which
ground a logged action concerned (never the text).

Revision ID: 0005_answer_confirmations
Revises: 0003_greetings
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_answer_confirmations"
down_revision: str | None = "0003_greetings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_preparations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmations", sa.JSON(), nullable=True))
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("detail")
    with op.batch_alter_table("call_preparations", schema=None) as batch_op:
        batch_op.drop_column("confirmations")
