"""Instance lots: the lot of each serialised item, from its commissioning.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 17:29:19.184073
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_lots",
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("lot_code", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("gtin", "serial", name=op.f("pk_instance_lots")),
    )


def downgrade() -> None:
    op.drop_table("instance_lots")
