"""Money to six decimals of 万元 (元 and 分 as printed: 89.974), shown and exported with two.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MONEY_COLUMNS = {
    "project": ("initial_budget", "general_budget", "other_funds", "target_table_amount"),
    "department_budget_line": ("amount",),
    "spending_entry": ("amount",),
    "project_result": ("budget", "spent"),
}
NULLABLE = {("project", "general_budget"), ("project", "other_funds"), ("project", "target_table_amount")}


def _alter(old: sa.Numeric, new: sa.Numeric) -> None:
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(
                    column, existing_type=old, type_=new, existing_nullable=(table, column) in NULLABLE
                )


def upgrade() -> None:
    _alter(sa.Numeric(16, 2), sa.Numeric(22, 6))


def downgrade() -> None:
    # Amounts are rounded half-up to 分 of 万元 on the way down, as the old columns held them.
    _alter(sa.Numeric(22, 6), sa.Numeric(16, 2))
