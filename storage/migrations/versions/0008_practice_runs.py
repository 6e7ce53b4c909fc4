"""practice_runs: that a practice call happened, when, and its debrief scores

Nothing the recruiter typed while practising is stored; the transcript stays on the client.

Revision ID: 0008_practice_runs
Revises: 0005_answer_confirmations
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_practice_runs"
down_revision: str | None = "0005_answer_confirmations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practice_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=32), nullable=False),
        sa.Column("recruiter_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("exchanges", sa.SmallInteger(), nullable=False),
        sa.Column("passed", sa.SmallInteger(), nullable=False),
        sa.Column("checked", sa.SmallInteger(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
            name=op.f("fk_practice_runs_candidate_id_candidates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recruiter_id"],
            ["recruiters.id"],
            name=op.f("fk_practice_runs_recruiter_id_recruiters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_runs")),
        sa.UniqueConstraint(
            "recruiter_id", "run_key", name=op.f("uq_practice_runs_recruiter_id_run_key")
        ),
    )
    with op.batch_alter_table("practice_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_runs_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_practice_runs_recruiter_id"), ["recruiter_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("practice_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_runs_recruiter_id"))
        batch_op.drop_index(batch_op.f("ix_practice_runs_candidate_id"))
    op.drop_table("practice_runs")
