"""Case-store tables. The workflow is the source of truth; these rows are its
queryable projection, plus the idempotency records of refunds and notices."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Numeric, SmallInteger, text
from sqlmodel import Field, SQLModel

# A case without a deadline sorts as if its deadline were this far (`CaseRecord.due_at`):
# after every dated case in ascending order, before them in descending order.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)
# The queue's urgency key (`CaseRecord.urgency`): urgent cases (P4) first.
URGENCY = {"urgent": 0}
REGULAR_URGENCY = 1


class CaseRecord(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        # The queue (redress/store/queue.py): each order, with and without `open`, keyset
        # pagination on the order's key and `case_id`.
        Index("ix_cases_queue", "urgency", "due_at", "case_id"),
        Index("ix_cases_queue_open", "open", "urgency", "due_at", "case_id"),
        Index("ix_cases_queue_merchant", "merchant_id", "open", "urgency", "due_at", "case_id"),
        Index("ix_cases_open_due", "open", "due_at", "case_id"),
        Index("ix_cases_open_created", "open", "created_at", "case_id"),
        Index("ix_cases_created", "created_at", "case_id"),
        Index("ix_cases_open_amount", "open", "amount", "case_id"),
        # The monitoring figures count a kind's cases per merchant and month (C5).
        Index("ix_cases_kind_merchant_created", "kind", "merchant_id", "created_at"),
        # The deadline watchdog's sweep: cases with a running deadline (finished cases have
        # none, so they stay out of the index), by deadline, with when the case last moved.
        Index(
            "ix_cases_running_deadline",
            "next_deadline",
            "updated_at",
            sqlite_where=text("next_deadline IS NOT NULL"),
            postgresql_where=text("next_deadline IS NOT NULL"),
        ),
    )

    case_id: str = Field(primary_key=True, max_length=160)
    workflow_id: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    status: str = Field(index=True, max_length=40)
    outcome: str | None = Field(default=None, max_length=60)
    merchant_id: str = Field(index=True, max_length=128)
    created_at: datetime
    updated_at: datetime
    next_deadline: datetime | None = Field(default=None, index=True)
    priority: str = Field(default="regular", max_length=16)  # urgent cases list first
    points: int = 0
    version: int = 0
    seq: int = Field(default=0, sa_type=BigInteger)  # CaseView.seq: what a write must exceed
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # Set by the deadline watchdog when the case stalled (its deadline passed, nothing moved
    # it); every projection write clears it (the case moved). See `DeadlineAlert`.
    stalled_since: datetime | None = None
    # The queue's columns, written by the projection from the case view. `amount` is the
    # case's amount in its currency's major unit, as an exact decimal (NUMERIC(20, 4)), so
    # the store sorts it as a number; `points` are the penalty points not revoked.
    amount: Decimal = Field(default=Decimal("0"), sa_type=Numeric(20, 4))
    currency: str = Field(default="", max_length=3)
    category: str | None = Field(default=None, max_length=64)
    next_deadline_name: str | None = Field(default=None, max_length=80)
    # Not in a final status of its kind (`CaseKind.final_statuses`).
    open: bool = True
    # Sort keys: 0 for urgent cases, 1 for the others; `next_deadline`, or `NO_DEADLINE`.
    urgency: int = Field(default=REGULAR_URGENCY, sa_type=SmallInteger)
    due_at: datetime = NO_DEADLINE
    # Who works the case (`POST /cases/{id}/claim`): written by people, never by the
    # projection. The principal's stable actor ID and its display name.
    assignee: str | None = Field(default=None, max_length=128)
    assignee_name: str | None = Field(default=None, max_length=80)
    claimed_at: datetime | None = None


class RefundRecord(SQLModel, table=True):
    """Refunds issued by the simulated gateway, one per idempotency key."""

    __tablename__ = "simulated_refunds"

    idempotency_key: str = Field(primary_key=True, max_length=200)
    refund_id: str = Field(max_length=64)
    case_id: str = Field(index=True, max_length=160)
    trade_no: str = Field(max_length=128)
    amount: str = Field(max_length=32)
    currency: str = Field(max_length=3)
    issued_at: datetime


class NoticeRecord(SQLModel, table=True):
    """Notices delivered by the recording channel, one per idempotency key."""

    __tablename__ = "notice_deliveries"

    idempotency_key: str = Field(primary_key=True, max_length=200)
    case_id: str = Field(index=True, max_length=160)
    template: str = Field(max_length=60)
    locale: str = Field(max_length=8)
    recipient_kind: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=256)
    subject: str
    body: str
    delivered_at: datetime


class AuditEntry(SQLModel, table=True):
    """Every reviewer action the API or the Signal `act_signal` received, accepted or refused."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    request_id: str = Field(max_length=128)
    case_id: str = Field(index=True, max_length=160)
    actor: str = Field(max_length=128)
    # The token's display name (`name=` in REDRESS_API_TOKENS), when it has one.
    actor_name: str | None = Field(default=None, max_length=80)
    role: str = Field(max_length=16)
    # The merchants the token was scoped to (`m1+m2`), or `*` for every merchant.
    scope: str = Field(default="*", max_length=1000)
    action: str = Field(max_length=32)
    accepted: bool
    status_code: int
    reason: str = ""
    # How it came: `api` (a token's request) or `signal` (the Signal act_signal: a claim,
    # with no token behind it; `scope` is then empty).
    via: str = Field(default="api", max_length=16)
    # A signalled entry's key, so the workflow's effects, however often retried, write it once.
    effect_key: str | None = Field(default=None, max_length=200, unique=True, index=True)


class IntakeRecord(SQLModel, table=True):
    """The intake ledger: every case the intake opened, kept with the case's records (not
    Temporal's retention), so a redelivery long after still finds its case."""

    __tablename__ = "intake_ledger"

    case_id: str = Field(primary_key=True, max_length=160)
    kind: str = Field(max_length=40)
    source: str = Field(max_length=40)
    event_id: str = Field(max_length=200)
    first_run_id: str = Field(max_length=64)
    opened_at: datetime = Field(index=True)  # the deadline watchdog: opened, never projected
    # Same user and trade (a hash), for kinds that link such complaints to the open case.
    link_key: str | None = Field(default=None, index=True, max_length=64)


class IntakeEvent(SQLModel, table=True):
    """Provider events taken in, by the provider's own event ID, and the case each went to."""

    __tablename__ = "intake_events"

    provider: str = Field(primary_key=True, max_length=40)
    event_id: str = Field(primary_key=True, max_length=200)
    case_id: str = Field(index=True, max_length=160)
    at: datetime


class DeliveryRecord(SQLModel, table=True):
    """Signed deliveries answered, by their verified and normalized identity (for Standard
    Webhooks `webhook-id` and timestamp): the same delivery twice is a replay. Rows expire
    with the signature tolerance."""

    __tablename__ = "webhook_deliveries"

    provider: str = Field(primary_key=True, max_length=40)
    delivery: str = Field(primary_key=True, max_length=300)
    expires_at: datetime = Field(index=True)


class ActionKey(SQLModel, table=True):
    """An `Idempotency-Key` bound to the request it first came with: the same key with
    another principal or body is refused, never taken as a retry."""

    __tablename__ = "action_keys"

    case_id: str = Field(primary_key=True, max_length=160)
    key: str = Field(primary_key=True, max_length=128)
    fingerprint: str = Field(max_length=64)  # sha256 of principal and body
    at: datetime


class CaseLink(SQLModel, table=True):
    """A complaint linked to a case already open about the same user and trade: its own
    case ID leads there, and the open case is found by the link key (a hash)."""

    __tablename__ = "case_links"

    case_id: str = Field(primary_key=True, max_length=160)  # the linked complaint's own
    target_case_id: str = Field(index=True, max_length=160)
    at: datetime


class TransactionRecord(SQLModel, table=True):
    """C1: a transaction's records kept as dispute-defence material for at least 360 days:
    order, authorization result, capture and ship dates, delivery proof, customer
    communication, notices sent, policies shown. `evidence` holds them as evidence items
    (Stripe's field names as kinds), which a dispute's packet takes in."""

    __tablename__ = "transaction_records"

    merchant_id: str = Field(primary_key=True, max_length=128)
    transaction_id: str = Field(primary_key=True, max_length=128)  # Stripe charge, Antom paymentId
    order_id: str | None = Field(default=None, max_length=128)
    authorization: str | None = Field(default=None, max_length=64)  # approved code / result
    captured_at: datetime | None = None
    shipped_at: datetime | None = None
    evidence: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    recorded_at: datetime = Field(index=True)
    updated_at: datetime


class DeadlineAlert(SQLModel, table=True):
    """A case the deadline watchdog found stalled: its next deadline passed more than the
    policy's grace ago and nothing moved the case since. Raised once (a partial unique
    index: one open alert per case), cleared once when the case moves; the `*_noticed_at`
    columns are the notice outbox, set once the supervisors' notices went out."""

    __tablename__ = "deadline_alerts"
    __table_args__ = (
        Index(
            "uq_deadline_alerts_open",
            "case_id",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(index=True, max_length=160)
    kind: str = Field(max_length=40)
    merchant_id: str = Field(max_length=128)
    status: str = Field(max_length=40)  # the case's status when it stalled
    deadline: datetime  # the deadline that passed
    deadline_name: str = Field(default="", max_length=80)  # e.g. respond_by
    # The projection as the watchdog found it: the case has moved once either differs.
    seq: int = Field(default=0, sa_type=BigInteger)
    version: int = 0
    raised_at: datetime
    cleared_at: datetime | None = None
    cleared_because: str | None = Field(default=None, max_length=16)  # moved | closed | gone
    raise_noticed_at: datetime | None = None
    clear_noticed_at: datetime | None = None
