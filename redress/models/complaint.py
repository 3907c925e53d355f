"""Merchant trade complaints (rules M1–M8, seeds/003): the complaint as it arrives, the
reviewer actions on it, its workflow input and how the intake opens one."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from redress.deadlines import DeadlineRule
from redress.models.case import CaseInput, CaseUser, Role
from redress.models.intake import CaseStart, IntakeContext
from redress.models.values import (
    Amount,
    Currency,
    Evidence,
    Ident,
    Note,
    Plain,
    Prose,
    Text,
    in_minor_units,
    incoming,
    known_currency,
)
from redress.policy import (
    Duration,
    Policy,
    PolicySection,
    PolicySnapshot,
    Span,
)

KIND = "merchant_complaint"
# The rules new cases run on. 2: a must-refund verdict fixes the amount due and only that
# amount, refunded in total, closes the case; only the platform resolves a case in review;
# replies are capped; a long case continues as new. Cases opened before run on 1. 3: a
# reply's bytes are capped too, and the reply count is carried to the next run.
RULES = 3

CaseStatus = Literal[
    "awaiting_response",  # M1 clock running
    "overdue",  # M1 missed, penalty recorded; handling still possible
    "awaiting_outcome",  # handled; waiting for the user's or platform's outcome
    "platform_review",  # refund refused or escalated; the platform decides
    "pending_refund",  # M6: "must refund", 7-day clock running
    "closed",
]
PenaltyReason = Literal["response_overdue", "refund_overdue"]

ComplaintUser = CaseUser


# --- the kind's policy section ------------------------------------------------------


class ComplaintPolicy(BaseModel):
    """Merchant-side trade complaints, rules M1–M8 (seeds/003)."""

    handle_within: Duration  # M1: 96 h from the complaint's creation
    reminders_before: list[Duration]  # warnings before the M1 deadline
    outcome_wait: Duration  # after handling: wait for the user's/platform's outcome
    response_overdue_points: int = Field(ge=0)  # M2
    response_appeal_window: Duration  # M3: 7 days from the penalty
    appeal_review: Span  # M4: 3 working days
    refund_within: Duration  # M6: 7 days after a "must refund" verdict
    refund_overdue_points: int = Field(ge=0)  # M7
    refund_appeal_window: Duration  # M8: 30 days from the penalty
    # Bounds that keep a case inside Temporal's history limits, whatever its users send.
    max_messages: int = Field(default=100, ge=1)  # replies per case; the next one is a 409
    message_bytes: int = Field(default=8192, ge=256)  # one reply's text, UTF-8 (422 over it)
    history_limit: int = Field(default=10_000, ge=20)  # events before a case continues as new
    # A refund the gateway has not confirmed by then is refused (503) and the case goes on.
    refund_timeout: Duration = Field(default=timedelta(minutes=2))

    def deadline_rules(self) -> list[DeadlineRule]:
        """The case's deadlines and what each counts from (`redress policy check`)."""
        return [
            DeadlineRule("respond_by", self.handle_within, "the complaint's creation"),
            DeadlineRule("outcome_by", self.outcome_wait, "handling"),
            DeadlineRule("refund_by", self.refund_within, "a must-refund verdict"),
            DeadlineRule("appeal_by", self.response_appeal_window, "a response penalty"),
            DeadlineRule("appeal_by", self.refund_appeal_window, "a refund penalty"),
            DeadlineRule("review_by", self.appeal_review, "an appeal"),
        ]


SECTION = PolicySection("complaint", ComplaintPolicy)


def rules_of(policy: Policy | PolicySnapshot) -> ComplaintPolicy:
    """The policy's (or a case's snapshot's) `[complaint]` section."""
    return policy.section(SECTION.name, ComplaintPolicy)


class Complaint(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Ident
    merchant_id: Ident
    trade_no: Ident
    amount: Amount
    currency: Currency
    created_at: AwareDatetime
    category: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Plain
    ]
    description: Annotated[str, StringConstraints(max_length=4000), Prose] = ""
    user: ComplaintUser

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return known_currency(value)

    @model_validator(mode="after")
    def _amount_in_minor_units(self, info: ValidationInfo) -> Complaint:
        if not incoming(info):
            return self
        try:
            self.amount = in_minor_units(self.amount, self.currency)
        except ValueError as err:
            raise ValueError(f"amount: {err}") from None
        return self


class ComplaintCreated(BaseModel):
    """The webhook body that opens a merchant complaint."""

    event_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    type: Literal["complaint.created"]
    complaint: Complaint


# --- reviewer actions -------------------------------------------------------------------


class Reply(BaseModel):
    type: Literal["reply"] = "reply"
    message: Text
    to: Literal["user", "platform"] = "user"


class Refund(BaseModel):
    type: Literal["refund"] = "refund"
    amount: Amount
    note: Note = ""

    def moves_money(self) -> bool:
        return True


class RefuseRefund(BaseModel):
    type: Literal["refuse_refund"] = "refuse_refund"
    explanation: Text
    evidence: Evidence


class PlatformVerdict(BaseModel):
    VERDICT: ClassVar[bool] = True
    type: Literal["platform_verdict"] = "platform_verdict"
    verdict: Literal["must_refund", "no_refund"]
    # must_refund: the amount due (default: all that is still refundable)
    amount: Amount | None = None
    note: Note = ""


class Resolve(BaseModel):
    """The user (or platform) accepted the handling: the case closes."""

    type: Literal["resolve"] = "resolve"
    note: Note = ""


class Escalate(BaseModel):
    """The user did not accept the handling: the platform reviews the case."""

    type: Literal["escalate"] = "escalate"
    note: Note = ""


class Appeal(BaseModel):
    type: Literal["appeal"] = "appeal"
    penalty_id: Ident
    statement: Text
    evidence: Evidence


class AppealDecision(BaseModel):
    VERDICT: ClassVar[bool] = True
    type: Literal["appeal_decision"] = "appeal_decision"
    penalty_id: Ident
    approved: bool
    note: Note = ""


Action = Annotated[
    Reply | Refund | RefuseRefund | PlatformVerdict | Resolve | Escalate | Appeal | AppealDecision,
    Field(discriminator="type"),
]
ACTIONS: TypeAdapter[Action] = TypeAdapter(Action)


# Which roles may take which action; the case state decides the rest.
_MERCHANT = frozenset({"reply", "refund", "refuse_refund", "appeal", "resolve", "escalate"})
ROLE_ACTIONS: dict[Role, frozenset[str]] = {
    "agent": _MERCHANT,
    "supervisor": _MERCHANT,
    "platform": frozenset({"platform_verdict", "appeal_decision", "resolve", "escalate", "reply"}),
}


class ComplaintCaseInput(CaseInput):
    complaint: Complaint


# --- intake -----------------------------------------------------------------------------


def open_case(event: ComplaintCreated, ctx: IntakeContext) -> CaseStart:
    """The workflow start for a `complaint.created` event."""
    c = event.complaint
    ctx.created_at(c.created_at, "complaint.created_at")
    rules = rules_of(ctx.policy)
    return CaseStart(
        case_id=ctx.case_id(c.id),
        merchant_id=c.merchant_id,
        status="awaiting_response",
        next_deadline=c.created_at + rules.handle_within,
        # Shown in the Web UI list: IDs, amount and category, no personal data.
        summary=(
            f"Complaint {c.id} · merchant {c.merchant_id} · {c.amount} {c.currency} · {c.category}"
        ),
        input=ComplaintCaseInput(
            case_id=ctx.case_id(c.id),
            source=ctx.source,
            complaint=c,
            policy=ctx.policy.snapshot(c.created_at, sections=(SECTION.name,)),
            received_at=ctx.now,
            event_id=event.event_id,
            rules=RULES,
        ),
    )


def sample_event(
    complaint_id: str,
    locale: str = "zh-CN",
    merchant_id: str = "M-DEMO",
    created_at: datetime | None = None,
    trade_no: str | None = None,
    amount: str | None = None,
    policy: Policy | None = None,  # the sample's clocks may read it (unused here)
) -> dict[str, Any]:
    """A `complaint.created` body to try the stack with (`redress send-sample`, the bench)."""
    return {
        "event_id": f"evt-{uuid.uuid4().hex[:16]}",
        "type": "complaint.created",
        "complaint": {
            "id": complaint_id,
            "merchant_id": merchant_id,
            "trade_no": trade_no or f"T{int(time.time())}",
            "amount": amount or "88.00",
            "currency": "CNY",
            "created_at": (created_at or datetime.now(UTC)).isoformat(),
            "category": "not_received",
            "description": "paid, goods not received",
            "user": {
                "id": "U-DEMO",
                "locale": locale,
                "contact": {"channel": "sms", "address": "+8613800000000"},
            },
        },
    }
