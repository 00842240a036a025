"""Delivery.content_sha256 (one record per package, its 编制日期 left out) and sending_since (the
claim of an attempt being sent), issue 12 §6.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    # Records from before this revision have no content hash: a send of the same data finds them by
    # their files' hashes, as before.
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sending_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            "uq_delivery_kind_department_id_year_month_content_sha256",
            ["kind", "department_id", "year", "month", "content_sha256"],
        )


def downgrade():
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_constraint("uq_delivery_kind_department_id_year_month_content_sha256", type_="unique")
        batch_op.drop_column("sending_since")
        batch_op.drop_column("content_sha256")
