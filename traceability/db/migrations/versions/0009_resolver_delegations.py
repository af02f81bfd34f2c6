"""Serials issued on printed label sheets, and Digital Links delegated to other resolvers.

``printed_serials``: a serial printed by its GTIN's owner on a label sheet of a lot is issued
(with the commissioning events, what tells a genuine serial from a guessed one).
``resolver_delegations``: a GS1 company prefix or a GTIN answered by another resolver.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "printed_serials",
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("serial", sa.String(length=20), nullable=False),
        sa.Column("lot_code", sa.String(length=20), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_printed_serials_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("gtin", "serial", "lot_code", name=op.f("pk_printed_serials")),
    )
    op.create_table(
        "resolver_delegations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=14), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_resolver_delegations_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolver_delegations")),
        sa.UniqueConstraint("kind", "key", name="uq_resolver_delegations_kind_key"),
    )
    op.create_index(
        op.f("ix_resolver_delegations_key"), "resolver_delegations", ["key"], unique=False
    )
    op.create_index(
        op.f("ix_resolver_delegations_organization_id"),
        "resolver_delegations",
        ["organization_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_resolver_delegations_organization_id"), table_name="resolver_delegations"
    )
    op.drop_index(op.f("ix_resolver_delegations_key"), table_name="resolver_delegations")
    op.drop_table("resolver_delegations")
    op.drop_table("printed_serials")
