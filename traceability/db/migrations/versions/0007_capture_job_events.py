"""Capture jobs list the eventIDs they captured, one row per event in the order captured.

Jobs finished before this revision list none (their events are still found by a query).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capture_job_events",
        sa.Column("capture_job_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=512), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_job_id"],
            ["capture_jobs.id"],
            name=op.f("fk_capture_job_events_capture_job_id_capture_jobs"),
        ),
        sa.PrimaryKeyConstraint("capture_job_id", "position", name=op.f("pk_capture_job_events")),
    )


def downgrade() -> None:
    op.drop_table("capture_job_events")
