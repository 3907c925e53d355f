"""Shared: the queue's columns and indexes, claims, display names in the audit log

Revision ID: shared_0010
Revises: shared_0009
Create Date: 2026-12-06 13:30:00.000000
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "shared_0010"
down_revision: str | Sequence[str] | None = "shared_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As redress/store/tables.py stores them: a case without a deadline is due at NO_DEADLINE.
NO_DEADLINE = "9999-12-31 00:00:00.000000"
BATCH = 1000

QUEUE_INDEXES: list[tuple[str, list[str]]] = [
    ("ix_cases_queue", ["urgency", "due_at", "case_id"]),
    ("ix_cases_queue_open", ["open", "urgency", "due_at", "case_id"]),
    ("ix_cases_queue_merchant", ["merchant_id", "open", "urgency", "due_at", "case_id"]),
    ("ix_cases_open_due", ["open", "due_at", "case_id"]),
    ("ix_cases_open_created", ["open", "created_at", "case_id"]),
    ("ix_cases_created", ["created_at", "case_id"]),
    ("ix_cases_open_amount", ["open", "amount", "case_id"]),
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    no_deadline = NO_DEADLINE if dialect == "sqlite" else NO_DEADLINE + "+00:00"
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("amount", sa.Numeric(20, 4), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("currency", sa.String(length=3), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("category", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("next_deadline_name", sa.String(length=80), nullable=True))
        batch_op.add_column(
            sa.Column("open", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("urgency", sa.SmallInteger(), nullable=False, server_default="1")
        )
        batch_op.add_column(
            sa.Column(
                "due_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.text(f"'{no_deadline}'"),
            )
        )
        batch_op.add_column(sa.Column("assignee", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("assignee_name", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    _backfill()
    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name, columns in QUEUE_INDEXES:
            batch_op.create_index(name, columns, unique=False)

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_name", sa.String(length=80), nullable=True))


def _backfill() -> None:
    """The existing rows' queue columns, from the case view each row keeps (`data`)."""
    from redress import kinds  # the kinds' final statuses, as the projection reads them

    conn = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("case_id", sa.String),
        sa.column("kind", sa.String),
        sa.column("status", sa.String),
        sa.column("priority", sa.String),
        sa.column("next_deadline", sa.DateTime(timezone=True)),
        sa.column("data", sa.JSON),
    )
    stmt = sa.text(
        "UPDATE cases SET amount = :amount, currency = :currency, category = :category, "
        "next_deadline_name = :deadline_name, open = :open, urgency = :urgency, "
        "due_at = COALESCE(next_deadline, due_at) WHERE case_id = :case_id"
    ).bindparams(sa.bindparam("amount", type_=sa.Numeric(20, 4)))
    last = ""
    while True:
        rows = conn.execute(
            sa.select(cases).where(cases.c.case_id > last).order_by(cases.c.case_id).limit(BATCH)
        ).all()
        if not rows:
            return
        conn.execute(stmt, [_values(row, kinds.is_open) for row in rows])
        last = rows[-1].case_id


def _values(row: Any, is_open: Any) -> dict[str, Any]:
    data = row.data if isinstance(row.data, dict) else json.loads(row.data or "{}")
    try:
        amount = Decimal(str(data.get("amount", "0")))
    except InvalidOperation:
        amount = Decimal("0")
    deadlines: dict[str, Any] = data.get("deadlines") or {}
    name = None
    if deadlines:
        name = min(deadlines, key=lambda n: (datetime.fromisoformat(str(deadlines[n])), n))
    category = data.get("category")
    return {
        "case_id": row.case_id,
        "amount": amount if amount.is_finite() else Decimal("0"),
        "currency": str(data.get("currency") or "")[:3],
        "category": str(category)[:64] if category else None,
        "deadline_name": str(name)[:80] if name else None,
        "open": is_open(row.kind, row.status),
        "urgency": 0 if row.priority == "urgent" else 1,
    }


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("actor_name")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        for name, _ in reversed(QUEUE_INDEXES):
            batch_op.drop_index(name)
        for column in (
            "claimed_at",
            "assignee_name",
            "assignee",
            "due_at",
            "urgency",
            "open",
            "next_deadline_name",
            "category",
            "currency",
            "amount",
        ):
            batch_op.drop_column(column)
