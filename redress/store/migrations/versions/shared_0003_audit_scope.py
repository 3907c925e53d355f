"""Shared: the merchants an audited token was scoped to (`*` for every merchant).

Revision ID: shared_0003
Revises: shared_0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shared_0003"
down_revision: str | Sequence[str] | None = "shared_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(
            sa.Column("scope", sa.String(length=1000), nullable=False, server_default="*")
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("scope")
