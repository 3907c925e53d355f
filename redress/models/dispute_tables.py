"""The dispute's own store tables, on the same metadata as the shared ones (the registry's
`tables` names this module), their migrations on the kind's Alembic branch, and how the
retention purge clears them (`RETENTION`): the simulated dispute client's requests, the
reviewers' evidence texts, and card-network monitoring's inputs and alerts (C5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from redress.store.retention import Purge
from redress.store.tables import TransactionRecord


class DisputeRequestRecord(SQLModel, table=True):
    """Defences submitted and disputes accepted through the simulated dispute client, one
    per idempotency key, with the body exactly as the provider's API would get it."""

    __tablename__ = "simulated_dispute_requests"

    idempotency_key: str = Field(primary_key=True, max_length=200)
    reference: str = Field(max_length=80)
    case_id: str = Field(index=True, max_length=160)
    provider: str = Field(max_length=16)
    dispute_id: str = Field(max_length=128)
    action: str = Field(max_length=32)
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    at: datetime


class CaseEvidenceText(SQLModel, table=True):
    """A dispute's evidence text as a reviewer gave it, kept out of the workflow's state
    (which holds its digest and size) and read back when the defence is submitted."""

    __tablename__ = "case_evidence_texts"

    case_id: str = Field(primary_key=True, max_length=160)
    digest: str = Field(primary_key=True, max_length=64)  # sha256 of the text, 32 hex
    text: str
    stored_at: datetime


# --- C5: card-network monitoring (redress/monitoring/) ---------------------------------


class SettledTransaction(SQLModel, table=True):
    """A settled card transaction, the denominator of the networks' dispute ratios. Keyed by
    its source (the acquirer's ID namespace) and ID, so a re-import changes nothing."""

    __tablename__ = "settled_transactions"

    source: str = Field(primary_key=True, max_length=40)
    transaction_id: str = Field(primary_key=True, max_length=128)
    merchant_id: str = Field(index=True, max_length=128)
    settled_at: datetime = Field(index=True)
    amount: str = Field(max_length=32)  # a decimal, as a string
    currency: str = Field(max_length=3)
    card_not_present: bool
    network: str = Field(max_length=20)  # visa | mastercard | another network's name


class FraudReport(SQLModel, table=True):
    """A fraud report a network passed on (Visa TC40); VAMP counts them beside disputes."""

    __tablename__ = "fraud_reports"

    report_id: str = Field(primary_key=True, max_length=128)
    merchant_id: str = Field(index=True, max_length=128)
    network: str = Field(max_length=20)
    reported_at: datetime = Field(index=True)


class MonitoringAlert(SQLModel, table=True):
    """One programme level a merchant reached (raised) and left (cleared). At most one open
    alert per merchant and programme (a partial unique index); the `*_noticed_at` columns
    are the notice outbox: set once the merchant desk's notice went out."""

    __tablename__ = "monitoring_alerts"
    __table_args__ = (
        Index(
            "uq_monitoring_alerts_open",
            "merchant_id",
            "programme",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(index=True, max_length=128)
    month: str = Field(max_length=7)  # YYYY-MM whose figures reached the level
    programme: str = Field(max_length=8)  # vamp | ecm | hecm
    level: str = Field(max_length=16)  # warning | excessive
    previous_level: str | None = Field(default=None, max_length=16)  # the level it replaced
    raised_at: datetime
    cleared_at: datetime | None = None
    superseded: bool = False  # cleared because another level replaced it (no clear notice)
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    raise_noticed_at: datetime | None = None
    clear_noticed_at: datetime | None = None


class MerchantTimelineEntry(SQLModel, table=True):
    """What happened to a merchant as a whole (not one case): monitoring alerts raised and
    cleared."""

    __tablename__ = "merchant_timeline"

    id: int | None = Field(default=None, primary_key=True)
    merchant_id: str = Field(index=True, max_length=128)
    at: datetime
    type: str = Field(max_length=40)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


RETENTION = (
    Purge(DisputeRequestRecord),
    Purge(CaseEvidenceText),  # the reviewers' evidence texts, by reference
    # C1: a transaction's records go once untouched for as long as the policy keeps them,
    # whether or not a case used them.
    Purge(TransactionRecord, "updated_at", aged=True, count_as="intake_entries"),
    # C5's inputs age out with the records: settled transactions and fraud reports.
    Purge(SettledTransaction, "settled_at", aged=True, count_as="intake_entries"),
    Purge(FraudReport, "reported_at", aged=True, count_as="intake_entries"),
)
