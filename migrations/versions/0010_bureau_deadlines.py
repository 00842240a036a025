"""填报截止日期 per bureau (SPEC §1a, issue 15 §3): each bureau sets its own months' due dates for its
subtree; the rows that exist are the root's (bureau_id NULL), so they keep applying everywhere.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reporting_deadline") as batch:
        batch.add_column(sa.Column("bureau_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_reporting_deadline_bureau_id_bureau"), "bureau", ["bureau_id"], ["id"]
        )
        batch.drop_constraint("uq_reporting_deadline_year_month", type_="unique")
    op.create_index(
        "uq_reporting_deadline_bureau_year_month",
        "reporting_deadline",
        [sa.text("coalesce(bureau_id, 0)"), "year", "month"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_reporting_deadline_bureau_year_month", table_name="reporting_deadline")
    op.execute("DELETE FROM reporting_deadline WHERE bureau_id IS NOT NULL")
    with op.batch_alter_table("reporting_deadline") as batch:
        batch.create_unique_constraint("uq_reporting_deadline_year_month", ["year", "month"])
        batch.drop_constraint("fk_reporting_deadline_bureau_id_bureau", type_="foreignkey")
        batch.drop_column("bureau_id")
