"""Payment failures: the attempts ledger and the failure-rate alerts (rules F4, F5).

A kind's tables are a branch of their own (its label is the kind), resting on the shared
tables' first revision.

Revision ID: payment_failure_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "payment_failure_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("payment_failure",)
depends_on: str | Sequence[str] | None = "shared_0001"


def upgrade() -> None:
    op.create_table(
        "payment_attempts",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("payment_id", sa.String(length=128), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("merchant_id", sa.String(length=128), nullable=False),
        sa.Column("order_no", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cause", sa.String(length=32), nullable=True),
        sa.Column("return_code", sa.String(length=64), nullable=True),
        sa.Column("case_id", sa.String(length=160), nullable=True),
        sa.PrimaryKeyConstraint("source", "payment_id", "outcome"),
    )
    op.create_index("ix_payment_attempts_at", "payment_attempts", ["at"])
    op.create_index("ix_payment_attempts_merchant_at", "payment_attempts", ["merchant_id", "at"])
    op.create_index("ix_payment_attempts_order", "payment_attempts", ["merchant_id", "order_no"])
    op.create_table(
        "payment_failure_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rate", sa.String(length=16), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("top_causes", sa.JSON(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("raise_noticed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clear_noticed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_payment_failure_alerts_merchant_id", "payment_failure_alerts", ["merchant_id"]
    )
    # At most one open alert per merchant and channel.
    op.create_index(
        "uq_payment_failure_alerts_open",
        "payment_failure_alerts",
        ["merchant_id", "channel"],
        unique=True,
        sqlite_where=sa.text("cleared_at IS NULL"),
        postgresql_where=sa.text("cleared_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("payment_failure_alerts")
    op.drop_table("payment_attempts")
