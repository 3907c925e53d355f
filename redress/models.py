"""The domain's data: complaints as they arrive, reviewer actions, and the case view.

These pydantic models are the workflow's and activities' inputs and outputs (through
temporalio's pydantic data converter) and the API's request/response bodies, so a field
means the same thing at every hop.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
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
EvidenceRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
# Money: positive, at most two decimals, at most 12 integer digits.
Amount = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]

# ISO 4217 codes a complaint may carry; others are refused with a clear message.
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

Role = Literal["agent", "supervisor", "platform"]
Locale = Literal["zh-CN", "en"]
CaseStatus = Literal[
    "awaiting_response",  # M1 clock running
    "overdue",  # M1 missed, penalty recorded; handling still possible
    "awaiting_outcome",  # handled; waiting for the user's or platform's outcome
    "platform_review",  # refund refused or escalated; the platform decides
    "pending_refund",  # M6: "must refund", 7-day clock running
    "closed",
]
PenaltyReason = Literal["response_overdue", "refund_overdue"]
PenaltyState = Literal["active", "appealed", "revoked", "upheld", "final"]


class Contact(BaseModel):
    channel: Literal["sms", "email", "app"]
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]


class ComplaintUser(BaseModel):
    id: Ident
    locale: Locale = "zh-CN"
    contact: Contact


class Complaint(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Ident
    merchant_id: Ident
    trade_no: Ident
    amount: Amount
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    created_at: AwareDatetime
    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    description: Annotated[str, StringConstraints(max_length=4000)] = ""
    user: ComplaintUser

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value not in CURRENCIES:
            raise ValueError(f"unknown currency {value!r}")
        return value


# --- reviewer actions -------------------------------------------------------------------


class Reply(BaseModel):
    type: Literal["reply"] = "reply"
    message: Text
    to: Literal["user", "platform"] = "user"


class Refund(BaseModel):
    type: Literal["refund"] = "refund"
    amount: Amount
    note: Annotated[str, StringConstraints(max_length=1000)] = ""


class RefuseRefund(BaseModel):
    type: Literal["refuse_refund"] = "refuse_refund"
    explanation: Text
    evidence: list[EvidenceRef] = Field(min_length=1, max_length=20)


class PlatformVerdict(BaseModel):
    type: Literal["platform_verdict"] = "platform_verdict"
    verdict: Literal["must_refund", "no_refund"]
    note: Annotated[str, StringConstraints(max_length=1000)] = ""


class Resolve(BaseModel):
    """The user (or platform) accepted the handling: the case closes."""

    type: Literal["resolve"] = "resolve"
    note: Annotated[str, StringConstraints(max_length=1000)] = ""


class Escalate(BaseModel):
    """The user did not accept the handling: the platform reviews the case."""

    type: Literal["escalate"] = "escalate"
    note: Annotated[str, StringConstraints(max_length=1000)] = ""


class Appeal(BaseModel):
    type: Literal["appeal"] = "appeal"
    penalty_id: Ident
    statement: Text
    evidence: list[EvidenceRef] = Field(min_length=1, max_length=20)


class AppealDecision(BaseModel):
    type: Literal["appeal_decision"] = "appeal_decision"
    penalty_id: Ident
    approved: bool
    note: Annotated[str, StringConstraints(max_length=1000)] = ""


Action = Annotated[
    Reply | Refund | RefuseRefund | PlatformVerdict | Resolve | Escalate | Appeal | AppealDecision,
    Field(discriminator="type"),
]

# Which roles may take which action; the case state decides the rest.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "agent": frozenset({"reply", "refund", "refuse_refund", "appeal", "resolve", "escalate"}),
    "supervisor": frozenset({"reply", "refund", "refuse_refund", "appeal", "resolve", "escalate"}),
    "platform": frozenset({"platform_verdict", "appeal_decision", "resolve", "escalate", "reply"}),
}


class CaseAction(BaseModel):
    """One reviewer action, as an Update or Signal input."""

    actor: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    role: Role
    action: Action
    request_id: str | None = None


# --- the case as the workflow holds it --------------------------------------------------


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
    reason: PenaltyReason
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
    case_id: str
    workflow_id: str
    kind: Literal["merchant_complaint"] = "merchant_complaint"
    status: CaseStatus
    outcome: str | None = None
    merchant_id: str
    trade_no: str
    amount: Decimal
    refunded: Decimal = Decimal("0")
    currency: str
    category: str
    locale: Locale
    created_at: datetime
    closed_at: datetime | None = None
    policy: str
    deadlines: dict[str, datetime] = Field(default_factory=dict)
    penalties: list[Penalty] = Field(default_factory=list)
    timeline: list[TimelineEvent] = Field(default_factory=list)
    version: int = 0


# --- workflow and activity inputs/outputs -----------------------------------------------


# How a case carries out its effects (projection, notices), fixed when it starts and kept
# in its history: "batched" = one local activity per state change. Cases started before
# the field existed hold None and keep what the `local-effects` patch chose for them.
Effects = Literal["batched"]
CURRENT_EFFECTS: Effects = "batched"


class ComplaintCaseInput(BaseModel):
    case_id: str
    source: str
    complaint: Complaint
    policy: PolicySnapshot
    received_at: datetime
    event_id: str | None = None
    effects: Effects | None = None


class CaseResult(BaseModel):
    case_id: str
    status: CaseStatus
    outcome: str | None
    points: int
    refunded: Decimal


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
