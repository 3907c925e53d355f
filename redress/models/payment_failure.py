"""Payment failures (rules F1–F6, seeds/002 the failure-handling guide, seeds/001 decline
causes): the payment events as they arrive, the reviewer actions, the workflow input.
How the intake takes them is `payment_failure_intake.py`; the policy section's model is
`redress/payments/failure_policy.py` (`SECTION` here is what the registry carries), and the
kind's store tables are `payment_failure_tables.py`.

F6: a card number never goes past these models. The intake keeps its last four digits
and drops the rest (and the expiry) before anything is stored, started or logged; a
number that is not a plausible card number (13–19 digits passing the Luhn check) is
refused without being echoed.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

from redress.logs import redact
from redress.models.case import CaseInput, CaseUser, Role
from redress.models.values import (
    Amount,
    Currency,
    Ident,
    Note,
    Plain,
    Prose,
    Text,
    in_minor_units,
    incoming,
    known_currency,
)
from redress.payments.failure_policy import CAUSES, ChannelName, PaymentFailurePolicy
from redress.policy import Policy, PolicySection, PolicySnapshot

KIND = "payment_failure"
RULES = 1
PREFIX = "failure"

CaseStatus = Literal["reconciling", "awaiting_retry", "escalated", "closed"]
Outcome = Literal["recovered", "refunded", "abandoned", "resolved"]
ChannelState = Literal["captured", "not_captured", "unknown"]

SECTION = PolicySection(KIND, PaymentFailurePolicy)


def rules_of(policy: Policy | PolicySnapshot) -> PaymentFailurePolicy:
    """The policy's (or a case's snapshot's) `[payment_failure]` section."""
    return policy.section(SECTION.name, PaymentFailurePolicy)


EventId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


Channel = Annotated[ChannelName, BeforeValidator(_lower)]
_SEPARATORS = re.compile(r"[ -]")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def last_four(number: Any) -> str:
    """The last four digits of a plausible card number; ValueError (never naming the
    number) for anything else."""
    digits = _SEPARATORS.sub("", number) if isinstance(number, str) else ""
    if not (digits.isascii() and digits.isdigit() and 13 <= len(digits) <= 19):
        raise ValueError("number is not a plausible card number (13 to 19 digits)")
    if not luhn_ok(digits):
        raise ValueError("number is not a plausible card number (its check digit is wrong)")
    return digits[-4:]


class Card(BaseModel):
    """The card as redress keeps it: its last four digits, nothing else."""

    model_config = ConfigDict(extra="ignore")

    last4: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] | None = None

    @model_validator(mode="before")
    @classmethod
    def _keep_last_four(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        kept = {"last4": value.get("last4")}
        if value.get("number") is not None:
            four = last_four(value["number"])
            if kept["last4"] is not None and kept["last4"] != four:
                raise ValueError("last4 is not the card number's last four digits")
            kept["last4"] = four
        return kept  # the number and the expiry go no further


class Payment(BaseModel):
    """One payment as the channel reports it (`payment.succeeded`, `payment.captured`)."""

    model_config = ConfigDict(extra="ignore")

    id: Ident
    order_no: Ident
    merchant_id: Ident
    channel: Channel  # alipay, wechat, unionpay, card, …
    amount: Amount
    currency: Currency
    occurred_at: AwareDatetime
    card: Card | None = None
    user: CaseUser | None = None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        return known_currency(value)

    @model_validator(mode="after")
    def _amount_in_minor_units(self, info: ValidationInfo) -> Payment:
        if incoming(info):
            try:
                self.amount = in_minor_units(self.amount, self.currency)
            except ValueError as err:
                raise ValueError(f"amount: {err}") from None
        return self


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class FailedPayment(Payment):
    """A failed payment (`payment.failed`): the channel's return code and message."""

    return_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Plain
    ]
    # Free text from the channel: card numbers, phones and IDs in it are masked.
    return_message: (
        Annotated[str, BeforeValidator(_redacted), StringConstraints(max_length=500), Prose] | None
    ) = None
    user: CaseUser  # the notice goes to them


class PaymentFailed(BaseModel):
    event_id: EventId
    type: Literal["payment.failed"]
    payment: FailedPayment


class PaymentSucceeded(BaseModel):
    event_id: EventId
    type: Literal["payment.succeeded"]
    payment: Payment


class PaymentCaptured(BaseModel):
    event_id: EventId
    type: Literal["payment.captured"]
    payment: Payment


class PaymentFailureCaseInput(CaseInput):
    payment: FailedPayment  # facts fixed at opening: merchant, amount, payment, order


# --- reviewer actions -------------------------------------------------------------------


class RecordReconciliation(BaseModel):
    """The channel cannot answer: the desk records what it found out (F4)."""

    type: Literal["record_reconciliation"] = "record_reconciliation"
    channel_state: Literal["captured", "not_captured"]
    note: Note = ""


class RefundTaken(BaseModel):
    """Give back what the channel took (never more than was taken)."""

    type: Literal["refund"] = "refund"
    amount: Amount
    note: Note = ""

    def moves_money(self) -> bool:
        return True


class Close(BaseModel):
    type: Literal["close"] = "close"
    reason: Text


class AddNote(BaseModel):
    """An internal note: in the timeline for reviewers, never shown to the user."""

    type: Literal["note"] = "note"
    text: Text


# The channel's later events, as the intake delivers them (role `user`).


class Captured(BaseModel):
    """The channel took the money of this case's payment."""

    type: Literal["captured"] = "captured"
    event_id: str
    at: AwareDatetime


class Succeeded(BaseModel):
    """A payment of the same order succeeded: the user paid again."""

    type: Literal["succeeded"] = "succeeded"
    event_id: str
    payment_id: str
    at: AwareDatetime


Action = Annotated[
    RecordReconciliation | RefundTaken | Close | AddNote | Captured | Succeeded,
    Field(discriminator="type"),
]
ACTIONS: TypeAdapter[Action] = TypeAdapter(Action)

_DESK = frozenset({"record_reconciliation", "refund", "close", "note"})
ROLE_ACTIONS: dict[Role, frozenset[str]] = {
    "agent": _DESK,
    "supervisor": _DESK,
    "user": frozenset({"captured", "succeeded"}),
}


# --- the activities' messages -------------------------------------------------------------


class ReconcileRequest(BaseModel):
    """Record the failure in the attempts ledger (once), then ask the channel (F4, F5)."""

    case_id: str
    source: str
    payment: FailedPayment
    cause: str


class ReconcileResult(BaseModel):
    state: ChannelState
    captured_at: AwareDatetime | None = None
    reason: str = ""  # why the channel could not say


assert "unknown" in CAUSES
