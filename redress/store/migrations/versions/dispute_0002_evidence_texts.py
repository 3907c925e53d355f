"""Dispute: the reviewers' evidence texts, held by reference

Revision ID: dispute_0002
Revises: dispute_0001
Create Date: 2026-12-06 11:39:02.038371
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dispute_0002"
down_revision: str | Sequence[str] | None = "dispute_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_evidence_texts",
        sa.Column("case_id", sa.String(length=160), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "digest"),
    )


def downgrade() -> None:
    op.drop_table("case_evidence_texts")
