"""Shared: a case's priority (urgent cases list first) and the intake ledger's link key
(same user and trade, for kinds that link such complaints to the open case).

Revision ID: shared_0005
Revises: shared_0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shared_0005"
down_revision: str | Sequence[str] | None = "shared_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("priority", sa.String(length=16), nullable=False, server_default="regular")
        )
    with op.batch_alter_table("intake_ledger") as batch:
        batch.add_column(sa.Column("link_key", sa.String(length=64), nullable=True))
    op.create_index("ix_intake_ledger_link_key", "intake_ledger", ["link_key"])


def downgrade() -> None:
    op.drop_index("ix_intake_ledger_link_key", table_name="intake_ledger")
    with op.batch_alter_table("intake_ledger") as batch:
        batch.drop_column("link_key")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("priority")
