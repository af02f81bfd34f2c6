"""Links that businesses attach to their codes on the resolver.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resolver_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("anchor_key", sa.String(length=120), nullable=False),
        sa.Column("lot", sa.String(length=20), nullable=True),
        sa.Column("serial", sa.String(length=20), nullable=True),
        sa.Column("serial_first", sa.String(length=20), nullable=True),
        sa.Column("serial_last", sa.String(length=20), nullable=True),
        sa.Column("link_type", sa.String(length=64), nullable=False),
        sa.Column("href", sa.String(length=2000), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("hreflang", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=255), nullable=False),
        sa.Column("context", sa.String(length=100), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_resolver_links_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolver_links")),
        sa.UniqueConstraint(
            "anchor_key",
            "link_type",
            "hreflang",
            "media_type",
            "context",
            name="uq_resolver_links_identity",
        ),
    )
    op.create_index(op.f("ix_resolver_links_gtin"), "resolver_links", ["gtin"], unique=False)
    op.create_index(
        op.f("ix_resolver_links_organization_id"),
        "resolver_links",
        ["organization_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_resolver_links_organization_id"), table_name="resolver_links")
    op.drop_index(op.f("ix_resolver_links_gtin"), table_name="resolver_links")
    op.drop_table("resolver_links")
