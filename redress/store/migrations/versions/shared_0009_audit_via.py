"""Shared: audit rows of signalled actions

Revision ID: shared_0009
Revises: shared_0008
Create Date: 2026-12-06 11:12:14.999977
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "shared_0009"
down_revision: str | Sequence[str] | None = "shared_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("via", sa.String(length=16), nullable=False, server_default="api")
        )
        batch_op.add_column(sa.Column("effect_key", sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_effect_key"), ["effect_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_effect_key"))
        batch_op.drop_column("effect_key")
        batch_op.drop_column("via")
