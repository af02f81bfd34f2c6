"""EPCIS query subscriptions delivered by webhook, and their outbox of deliveries.

Revision ID: 0014
Revises: 0007
Create Date: 2026-12-03 19:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_VALUE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "query_subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=False),
        sa.Column("principal_role", sa.String(length=20), nullable=False),
        sa.Column("query_name", sa.String(length=200), nullable=False),
        sa.Column("query", JSON_VALUE, nullable=False),
        sa.Column("dest", sa.String(length=2000), nullable=False),
        sa.Column("signature_token", sa.String(length=500), nullable=True),
        sa.Column("stream", sa.Boolean(), nullable=False),
        sa.Column("schedule", JSON_VALUE, nullable=True),
        sa.Column("report_if_empty", sa.Boolean(), nullable=False),
        sa.Column("initial_record_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_query_subscriptions_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_query_subscriptions")),
    )
    op.create_index(
        op.f("ix_query_subscriptions_organization_id"),
        "query_subscriptions",
        ["organization_id"],
        unique=False,
    )
    op.create_table(
        "subscription_deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("event_pks", JSON_VALUE, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["query_subscriptions.id"],
            name=op.f("fk_subscription_deliveries_subscription_id_query_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_deliveries")),
        sa.UniqueConstraint(
            "subscription_id", "idempotency_key", name="uq_subscription_deliveries_key"
        ),
    )
    op.create_index(
        op.f("ix_subscription_deliveries_subscription_id"),
        "subscription_deliveries",
        ["subscription_id"],
        unique=False,
    )
    op.create_index(
        "ix_subscription_deliveries_due",
        "subscription_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_subscription_deliveries_due", table_name="subscription_deliveries")
    op.drop_index(
        op.f("ix_subscription_deliveries_subscription_id"), table_name="subscription_deliveries"
    )
    op.drop_table("subscription_deliveries")
    op.drop_index(op.f("ix_query_subscriptions_organization_id"), table_name="query_subscriptions")
    op.drop_table("query_subscriptions")
