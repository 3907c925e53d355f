"""Payment failures' own store tables (rules F4, F5): the attempts ledger and the
failure-rate alerts, on the same metadata as the shared ones (the registry's `tables` names
this module), their migrations on the kind's Alembic branch (payment_failure_0001), and how
the retention purge clears them (`RETENTION`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from redress.store.retention import Purge


class PaymentAttempt(SQLModel, table=True):
    """One payment as the channel reported it: failed, succeeded or captured (the money
    taken). Keyed by source, payment and outcome, so a redelivered event counts once; the
    failure rates' numerators (failed) and denominators (every payment) per merchant and
    channel. Never a card number: none reaches redress past the intake."""

    __tablename__ = "payment_attempts"
    __table_args__ = (
        Index("ix_payment_attempts_merchant_at", "merchant_id", "at"),
        Index("ix_payment_attempts_order", "merchant_id", "order_no"),
    )

    source: str = Field(primary_key=True, max_length=40)
    payment_id: str = Field(primary_key=True, max_length=128)
    outcome: str = Field(primary_key=True, max_length=16)  # failed | succeeded | captured
    merchant_id: str = Field(max_length=128)
    order_no: str = Field(max_length=128)
    channel: str = Field(max_length=32)
    at: datetime = Field(index=True)  # the channel's own time of the event
    amount: str = Field(max_length=32)
    currency: str = Field(max_length=3)
    cause: str | None = Field(default=None, max_length=32)  # failed: the cause class
    return_code: str | None = Field(default=None, max_length=64)  # failed: as the channel sent it
    case_id: str | None = Field(default=None, max_length=160)  # failed: its case


class PaymentFailureAlert(SQLModel, table=True):
    """One incident: a merchant's channel whose failure rate crossed the policy's
    threshold (raised) and fell back (cleared). At most one open per merchant and channel
    (a partial unique index); the `*_noticed_at` columns are the notice outbox."""

    __tablename__ = "payment_failure_alerts"
    __table_args__ = (
        Index(
            "uq_payment_failure_alerts_open",
            "merchant_id",
            "channel",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(index=True, max_length=128)
    channel: str = Field(max_length=32)
    opened_at: datetime
    cleared_at: datetime | None = None
    rate: str = Field(max_length=16)  # at the raise, a decimal as a string
    failures: int
    attempts: int
    top_causes: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    raise_noticed_at: datetime | None = None
    clear_noticed_at: datetime | None = None


# F5's ledger and its incidents age out with the records (C1); an open incident (not
# cleared) stays, however old.
RETENTION = (
    Purge(PaymentAttempt, "at", aged=True, count_as="intake_entries"),
    Purge(PaymentFailureAlert, "cleared_at", aged=True, count_as="audit_entries"),
)
