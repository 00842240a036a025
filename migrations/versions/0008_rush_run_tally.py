"""run_tally and period_summary: a stored run's counts and sums for the 看板 (lamp counts, 自评
totals by 等级 and band, 预算执行进度 by month), written with the run's results, and a period's
summary over every department, made when runs of the period are stored (issue 13 §2).

Runs stored before this migration get their lamp and score tallies here, from their result rows;
their 预算执行进度 tallies, and their period's stored summary, come with the next run of the period
(the monthly monitoring job, or 立即运行 on /jobs). Until then the dashboard makes the summary
from the runs on each visit, and a province's summed progress line leaves those departments out.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_tally")),
    )
    with op.batch_alter_table("run_tally", schema=None) as batch_op:
        batch_op.create_index("ix_run_tally_period", ["kind", "year", "month", "name"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_tally_run_id"), ["run_id"], unique=False)
    op.create_table(
        "period_summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_summary")),
        sa.UniqueConstraint("kind", "year", "month", name=op.f("uq_period_summary_kind_year_month")),
    )
    decile = (
        "CAST(FLOOR(p.total / 10) AS INTEGER)"
        if op.get_bind().dialect.name == "postgresql"
        else "CAST(p.total / 10 AS INTEGER)"
    )
    columns = "run_id, kind, department_id, year, month, name, value"
    op.execute(
        f"INSERT INTO run_tally ({columns}) "
        "SELECT r.id, r.kind, r.department_id, r.year, r.month, 'lamp:' || COALESCE(i.status, 'n/a'), COUNT(*) "
        "FROM evaluation_run r JOIN indicator_result i ON i.run_id = r.id WHERE r.kind = 'monitoring' "
        "GROUP BY r.id, r.kind, r.department_id, r.year, r.month, COALESCE(i.status, 'n/a')"
    )
    op.execute(
        f"INSERT INTO run_tally ({columns}) "
        f"SELECT r.id, r.kind, r.department_id, r.year, r.month, "
        f"'score:' || COALESCE(p.grade, '') || ':' || {decile}, COUNT(*) "
        "FROM evaluation_run r JOIN project_result p ON p.run_id = r.id "
        "WHERE r.kind = 'self_assessment' AND p.total IS NOT NULL "
        f"GROUP BY r.id, r.kind, r.department_id, r.year, r.month, COALESCE(p.grade, ''), {decile}"
    )


def downgrade() -> None:
    op.drop_table("period_summary")
    with op.batch_alter_table("run_tally", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_tally_run_id"))
        batch_op.drop_index("ix_run_tally_period")
    op.drop_table("run_tally")
