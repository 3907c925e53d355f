"""Shared: the deadline watchdog: alerts, stalled mark, running-deadline index

Revision ID: shared_0008
Revises: shared_0007
Create Date: 2026-12-06 11:06:51.604256
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shared_0008"
down_revision: str | Sequence[str] | None = "shared_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deadline_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("merchant_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_name", sa.String(length=80), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_because", sa.String(length=16), nullable=True),
        sa.Column("raise_noticed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clear_noticed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deadline_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadline_alerts_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "uq_deadline_alerts_open",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("cleared_at IS NULL"),
            postgresql_where=sa.text("cleared_at IS NULL"),
        )

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stalled_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_cases_running_deadline",
            ["next_deadline", "updated_at"],
            unique=False,
            sqlite_where=sa.text("next_deadline IS NOT NULL"),
            postgresql_where=sa.text("next_deadline IS NOT NULL"),
        )

    with op.batch_alter_table("intake_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intake_ledger_opened_at"), ["opened_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("intake_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intake_ledger_opened_at"))

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_cases_running_deadline",
            sqlite_where=sa.text("next_deadline IS NOT NULL"),
            postgresql_where=sa.text("next_deadline IS NOT NULL"),
        )
        batch_op.drop_column("stalled_since")

    with op.batch_alter_table("deadline_alerts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_deadline_alerts_open",
            sqlite_where=sa.text("cleared_at IS NULL"),
            postgresql_where=sa.text("cleared_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_deadline_alerts_case_id"))

    op.drop_table("deadline_alerts")
