"""Shared: cases, the simulated gateway's refunds and the notices delivered.

The shared tables come in the order they came to the store, one revision each time, so
that a store made before migrations is stamped at the revision matching what it has.

Revision ID: shared_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shared_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("shared",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(length=160), nullable=False),
        sa.Column("workflow_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=60), nullable=True),
        sa.Column("merchant_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_index("ix_cases_merchant_id", "cases", ["merchant_id"])
    op.create_index("ix_cases_next_deadline", "cases", ["next_deadline"])
    op.create_table(
        "simulated_refunds",
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("refund_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=160), nullable=False),
        sa.Column("trade_no", sa.String(length=128), nullable=False),
        sa.Column("amount", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key"),
    )
    op.create_index("ix_simulated_refunds_case_id", "simulated_refunds", ["case_id"])
    op.create_table(
        "notice_deliveries",
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=160), nullable=False),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("recipient_kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=256), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key"),
    )
    op.create_index("ix_notice_deliveries_case_id", "notice_deliveries", ["case_id"])


def downgrade() -> None:
    op.drop_table("notice_deliveries")
    op.drop_table("simulated_refunds")
    op.drop_table("cases")
