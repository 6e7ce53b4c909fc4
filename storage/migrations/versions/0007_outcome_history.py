"""call_logs: a correction names the outcome it replaced

A final outcome logged by mistake can be corrected. The correction is a new call log, so the
history keeps both, and `replaced_outcome` says which final outcome it overrode.

Revision ID: 0007_outcome_history
Revises: 0004_inbox
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_outcome_history"
down_revision: str | None = "0004_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_logs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_outcome", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_logs", schema=None) as batch_op:
        batch_op.drop_column("replaced_outcome")
