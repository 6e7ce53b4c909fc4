"""candidates: one index for a recruiter's list, in list order

The single-column index on recruiter_id is replaced by (recruiter_id, rejected_at, id),
which answers `list` and `help` without a sort and serves the foreign key just as well.

Revision ID: 0002_perf
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_perf"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_candidates_recruiter_id_rejected_at",
            ["recruiter_id", "rejected_at", "id"],
            unique=False,
        )
        batch_op.drop_index(batch_op.f("ix_candidates_recruiter_id"))


def downgrade() -> None:
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_candidates_recruiter_id"), ["recruiter_id"], unique=False
        )
        batch_op.drop_index("ix_candidates_recruiter_id_rejected_at")
