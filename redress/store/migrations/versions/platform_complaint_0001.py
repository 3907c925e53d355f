"""Platform complaints: the simulated verifier's identity verifications and the links of a
second complaint about the same user and trade to the open case.

A kind's tables are a branch of their own (its label is the kind), resting on the shared
tables' first revision.

Revision ID: platform_complaint_0001
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "platform_complaint_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("platform_complaint",)
depends_on: str | Sequence[str] | None = "shared_0001"


def upgrade() -> None:
    op.create_table(
        "simulated_verifications",
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=160), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key"),
    )
    op.create_index("ix_simulated_verifications_case_id", "simulated_verifications", ["case_id"])
    op.create_table(
        "case_links",
        sa.Column("case_id", sa.String(length=160), nullable=False),
        sa.Column("target_case_id", sa.String(length=160), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_case_links_target_case_id", "case_links", ["target_case_id"])


def downgrade() -> None:
    op.drop_table("case_links")
    op.drop_table("simulated_verifications")
