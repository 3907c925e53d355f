"""What every kind of case shares: the case envelope, the timeline, penalties, reviewer
commands, notices, refunds, and the value types (IDs, money, currencies).

These pydantic models are the workflows' and activities' inputs and outputs (through
temporalio's pydantic data converter) and the API's request/response bodies, so a field
means the same thing at every hop. A kind's own models live beside this module.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from redress.policy import PolicySnapshot

# IDs become workflow IDs and URL path segments: keep them plain.
Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Note = Annotated[str, StringConstraints(max_length=1000)]
EvidenceRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
Evidence = Annotated[list[EvidenceRef], Field(min_length=1, max_length=20)]
# Money: positive, at most two decimals, at most 12 integer digits.
Amount = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

# ISO 4217 codes a case may carry; others are refused with a clear message.
CURRENCIES = frozenset(
    [
        "CNY",
        "HKD",
        "MOP",
        "TWD",
        "USD",
        "EUR",
        "GBP",
        "JPY",
        "KRW",
        "SGD",
        "AUD",
        "CAD",
        "NZD",
        "CHF",
        "SEK",
        "NOK",
        "DKK",
        "THB",
        "MYR",
        "IDR",
        "PHP",
        "VND",
        "INR",
        "AED",
        "SAR",
        "BRL",
        "MXN",
        "RUB",
        "TRY",
        "ZAR",
    ]
)


def known_currency(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError(f"unknown currency {value!r}")
    return value


Role = Literal["agent", "supervisor", "platform"]
ROLES: tuple[Role, ...] = ("agent", "supervisor", "platform")
Locale = Literal["zh-CN", "en"]
PenaltyState = Literal["active", "appealed", "revoked", "upheld", "final"]


class Contact(BaseModel):
    channel: Literal["sms", "email", "app"]
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]


class CaseUser(BaseModel):
    """The person the case is about: notices reach them by `contact`, in `locale`."""

    id: Ident
    locale: Locale = "zh-CN"
    contact: Contact


# --- reviewer commands ------------------------------------------------------------------


class CaseAction(BaseModel):
    """One reviewer action, as the Update `act` or the Signal `act_signal` carries it.

    `action` is a JSON object with a `type`; each kind parses it with its own action models
    (the registry's), so one pair of handlers serves every kind."""

    actor: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    role: Role
    action: dict[str, Any]
    request_id: str | None = None

    @field_validator("action", mode="before")
    @classmethod
    def _as_object(cls, value: Any) -> Any:
        # Callers in Python may hand in the action model itself.
        return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


# --- the case as a workflow holds it ----------------------------------------------------


class AppealRecord(BaseModel):
    statement: str
    evidence: list[str]
    filed_at: datetime
    actor: str
    decided_at: datetime | None = None
    decided_by: str | None = None
    note: str = ""


class Penalty(BaseModel):
    id: str
    reason: str
    points: int
    state: PenaltyState = "active"
    imposed_at: datetime
    appeal_deadline: datetime
    review_deadline: datetime | None = None
    appeal: AppealRecord | None = None


class TimelineEvent(BaseModel):
    """One line of the negotiation history (协商历史); extra fields carry the details."""

    model_config = ConfigDict(extra="allow")

    at: datetime
    type: str
    actor: str


class CaseView(BaseModel):
    """The case envelope: the same fields for every kind, plus `details` for what only one
    kind has. Merchant complaints also fill `trade_no`, `refunded`, `category`, `locale`."""

    case_id: str
    workflow_id: str
    kind: str
    status: str
    outcome: str | None = None
    merchant_id: str
    trade_no: str | None = None
    amount: Decimal
    refunded: Decimal = Decimal("0")
    currency: str
    category: str | None = None
    locale: Locale = "zh-CN"
    created_at: datetime
    closed_at: datetime | None = None
    policy: str
    deadlines: dict[str, datetime] = Field(default_factory=dict)
    penalties: list[Penalty] = Field(default_factory=list)
    timeline: list[TimelineEvent] = Field(default_factory=list)
    version: int = 0
    details: dict[str, Any] = Field(default_factory=dict)


class CaseInput(BaseModel):
    """What every kind's workflow input carries beside the source's own record."""

    case_id: str
    source: str
    policy: PolicySnapshot
    received_at: datetime
    event_id: str | None = None


class CaseResult(BaseModel):
    case_id: str
    status: str
    outcome: str | None
    points: int
    refunded: Decimal


# --- effects: notices, refunds, projection ----------------------------------------------


class Recipient(BaseModel):
    kind: Literal["user", "merchant"]
    channel: str  # sms | email | app for users; desk for the merchant's queue
    address: str


class NoticeRequest(BaseModel):
    idempotency_key: str
    case_id: str
    template: str
    locale: Locale
    recipient: Recipient
    context: dict[str, Any]
    kind: str = "merchant_complaint"  # templates/<kind>/<locale>/<template>.txt.j2


class NoticeReceipt(BaseModel):
    idempotency_key: str
    delivered_at: datetime
    duplicate: bool


class CaseEffects(BaseModel):
    """One state change's effects: the projection to write and the notices it queued."""

    view: CaseView
    notices: list[NoticeRequest] = Field(default_factory=list)


class EffectsDone(BaseModel):
    projected: bool
    receipts: list[NoticeReceipt]


class RefundRequest(BaseModel):
    idempotency_key: str
    case_id: str
    merchant_id: str
    trade_no: str
    amount: Decimal
    currency: str


class RefundReceipt(BaseModel):
    idempotency_key: str
    refund_id: str
    amount: Decimal
    issued_at: datetime
    duplicate: bool


class RetentionInput(BaseModel):
    keep_for_seconds: float


class PurgeRequest(BaseModel):
    closed_before: datetime


class PurgeResult(BaseModel):
    cases: int
    refunds: int
    notices: int
    audit_entries: int
