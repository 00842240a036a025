"""Delivery.delivered_to: the recipients a delivery has reached, so a retry skips them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:03:15.017227

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # Deliveries recorded before this revision count as having reached nobody: a pending retry of
    # one goes to all its recipients, as it did before.
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delivered_to", sa.Text(), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("delivered_to")
