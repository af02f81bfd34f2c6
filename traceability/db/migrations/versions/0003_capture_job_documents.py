"""Capture jobs keep the received document, so interrupted jobs can run again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 17:35:04.582372
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("capture_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "document",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("principal_role", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("capture_jobs", schema=None) as batch_op:
        batch_op.drop_column("principal_role")
        batch_op.drop_column("document")
