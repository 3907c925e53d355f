"""The platform complaint's own store tables, on the same metadata as the shared ones (the
registry's `tables` names this module), their migrations on the kind's Alembic branch, and
how the retention purge clears them (`RETENTION`)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from redress.store.retention import Purge


class VerificationRecord(SQLModel, table=True):
    """Identity verifications requested from the simulated verifier, one per key."""

    __tablename__ = "simulated_verifications"

    idempotency_key: str = Field(primary_key=True, max_length=200)
    request_id: str = Field(max_length=64)
    case_id: str = Field(index=True, max_length=160)
    method: str = Field(max_length=16)
    passed: bool | None = None
    requested_at: datetime


RETENTION = (Purge(VerificationRecord),)
