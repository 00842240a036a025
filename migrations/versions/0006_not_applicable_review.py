"""不适用 indicators (issue 10 §3): a reviewer may score one 0 instead of sharing its points.

The 不适用 itself is the actual's grade (``indicator_actual.grade = '不适用'``), which needs no column.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviewer_override") as batch:
        batch.add_column(sa.Column("not_applicable_zero", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reviewer_override") as batch:
        batch.drop_column("not_applicable_zero")
