"""The run ledger names a running claim's owner: process, lease token, PostgreSQL backend, heartbeat.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_ledger") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("lease", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("owner_backend", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_ledger") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("owner_backend")
        batch.drop_column("lease")
        batch.drop_column("owner")
