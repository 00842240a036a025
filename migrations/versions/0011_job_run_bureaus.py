"""job_run_bureau: each bureau's line of a job run over many bureaus (issue 15 §5) — its departments,
rows written and what else the job counted (rule packs, lamps, grades, packages sent or refused) —
so /jobs and /api/v1/job-runs show a finance user its subtree's lines only. Runs before this
migration have no lines.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_run_bureau",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("bureau_id", sa.Integer(), nullable=True),
        sa.Column("bureau_code", sa.String(length=32), nullable=False),
        sa.Column("bureau_name", sa.String(length=200), nullable=False),
        sa.Column("departments", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bureau_id"], ["bureau.id"], name=op.f("fk_job_run_bureau_bureau_id_bureau"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["job_run.id"], name=op.f("fk_job_run_bureau_run_id_job_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run_bureau")),
    )
    with op.batch_alter_table("job_run_bureau") as batch:
        batch.create_index(batch.f("ix_job_run_bureau_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_run_bureau") as batch:
        batch.drop_index(batch.f("ix_job_run_bureau_run_id"))
    op.drop_table("job_run_bureau")
