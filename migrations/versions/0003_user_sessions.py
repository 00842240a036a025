"""Login sessions of their own: a user may be logged in on several devices at once.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_user_session_user_id_user"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("key", name=op.f("uq_user_session_key")),
    )
    with op.batch_alter_table("user_session") as batch:
        batch.create_index(batch.f("ix_user_session_user_id"), ["user_id"], unique=False)
    # Every cookie carried the old per-user token: all logins end once, at the upgrade.
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint("uq_user_session_token", type_="unique")
        batch.drop_column("session_token")


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    op.execute("UPDATE \"user\" SET session_token = 'reset-' || id")
    with op.batch_alter_table("user") as batch:
        batch.alter_column("session_token", nullable=False)
        batch.create_unique_constraint(batch.f("uq_user_session_token"), ["session_token"])
    with op.batch_alter_table("user_session") as batch:
        batch.drop_index(batch.f("ix_user_session_user_id"))
    op.drop_table("user_session")
