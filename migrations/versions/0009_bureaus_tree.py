"""财政局 as a tree (SPEC §1a): the bureau table, each department's and each finance user's bureau.

Departments and finance users without a bureau belong to the root, so existing rows need no value:
an installation that had one finance bureau keeps reading every department until it imports its tree.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bureau",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.Column("rule_pack", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["bureau.id"], name=op.f("fk_bureau_parent_id_bureau")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bureau")),
        sa.UniqueConstraint("code", name=op.f("uq_bureau_code")),
    )
    with op.batch_alter_table("bureau") as batch:
        batch.create_index(batch.f("ix_bureau_parent_id"), ["parent_id"], unique=False)
        batch.create_index(batch.f("ix_bureau_path"), ["path"], unique=False)
    with op.batch_alter_table("department") as batch:
        batch.add_column(sa.Column("bureau_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_department_bureau_id_bureau"), "bureau", ["bureau_id"], ["id"])
        batch.create_index(batch.f("ix_department_bureau_id"), ["bureau_id"], unique=False)
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("bureau_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_user_bureau_id_bureau"), "bureau", ["bureau_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_constraint(batch.f("fk_user_bureau_id_bureau"), type_="foreignkey")
        batch.drop_column("bureau_id")
    with op.batch_alter_table("department") as batch:
        batch.drop_index(batch.f("ix_department_bureau_id"))
        batch.drop_constraint(batch.f("fk_department_bureau_id_bureau"), type_="foreignkey")
        batch.drop_column("bureau_id")
    with op.batch_alter_table("bureau") as batch:
        batch.drop_index(batch.f("ix_bureau_path"))
        batch.drop_index(batch.f("ix_bureau_parent_id"))
    op.drop_table("bureau")
