"""Shared: cases by kind, merchant and creation, for the monitoring figures (C5).

Revision ID: shared_0007
Revises: shared_0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "shared_0007"
down_revision: str | Sequence[str] | None = "shared_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_kind_merchant_created", "cases", ["kind", "merchant_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_cases_kind_merchant_created", table_name="cases")
