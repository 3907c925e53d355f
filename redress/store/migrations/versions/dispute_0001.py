"""Disputes: the simulated dispute client's requests, transactions' records (C1), and the
card-network monitoring's settled transactions, fraud reports, alerts and merchant
timeline (C5).

A kind's tables are a branch of their own (its label is the kind), resting on the shared
tables' first revision.

Revision ID: dispute_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dispute_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("dispute",)
depends_on: str | Sequence[str] | None = "shared_0001"


def upgrade() -> None:
    op.create_table(
        "simulated_dispute_requests",
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.String(length=160), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("dispute_id", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key"),
    )
    op.create_index(
        "ix_simulated_dispute_requests_case_id", "simulated_dispute_requests", ["case_id"]
    )
    op.create_table(
        "transaction_records",
        sa.Column("merchant_id", sa.String(length=128), nullable=False),
        sa.Column("transaction_id", sa.String(length=128), nullable=False),
        sa.Column("order_id", sa.String(length=128), nullable=True),
        sa.Column("authorization", sa.String(length=64), nullable=True),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "transaction_id"),
    )
    op.create_index("ix_transaction_records_recorded_at", "transaction_records", ["recorded_at"])
    op.create_table(
        "settled_transactions",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("transaction_id", sa.String(length=128), nullable=False),
        sa.Column("merchant_id", sa.String(length=128), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("card_not_present", sa.Boolean(), nullable=False),
        sa.Column("network", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("source", "transaction_id"),
    )
    op.create_index("ix_settled_transactions_merchant_id", "settled_transactions", ["merchant_id"])
    op.create_index("ix_settled_transactions_settled_at", "settled_transactions", ["settled_at"])
    op.create_table(
        "fraud_reports",
        sa.Column("report_id", sa.String(length=128), nullable=False),
        sa.Column("merchant_id", sa.String(length=128), nullable=False),
        sa.Column("network", sa.String(length=20), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("report_id"),
    )
    op.create_index("ix_fraud_reports_merchant_id", "fraud_reports", ["merchant_id"])
    op.create_index("ix_fraud_reports_reported_at", "fraud_reports", ["reported_at"])
    op.create_table(
        "monitoring_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.String(length=128), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("programme", sa.String(length=8), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("previous_level", sa.String(length=16), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("raise_noticed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clear_noticed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_monitoring_alerts_merchant_id", "monitoring_alerts", ["merchant_id"])
    # At most one open alert per merchant and programme.
    op.create_index(
        "uq_monitoring_alerts_open",
        "monitoring_alerts",
        ["merchant_id", "programme"],
        unique=True,
        sqlite_where=sa.text("cleared_at IS NULL"),
        postgresql_where=sa.text("cleared_at IS NULL"),
    )
    op.create_table(
        "merchant_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_merchant_timeline_merchant_id", "merchant_timeline", ["merchant_id"])


def downgrade() -> None:
    op.drop_table("merchant_timeline")
    op.drop_table("monitoring_alerts")
    op.drop_table("fraud_reports")
    op.drop_table("settled_transactions")
    op.drop_table("transaction_records")
    op.drop_table("simulated_dispute_requests")
