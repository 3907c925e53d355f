"""What a case asks of its activities and gets back: notices (and where they go), refunds,
the projection with its audit entries, and the retention purge."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from redress.models.case import CaseView, Locale

# --- effects: notices, refunds, projection ----------------------------------------------


# Whom a case's notice is for, as its kind names them (`_notify(template, to, …)`): the
# kernel knows `user` and `merchant`, a kind the others it sends to (`desk`, `supervisor`,
# `bank`, `result`: the way the complaint came); a name its kind does not know is an error.
Addressee = Literal["user", "merchant", "desk", "supervisor", "bank", "result"]


class Recipient(BaseModel):
    # desk: the platform's own complaint desk (assignees, supervisors); bank: a counterparty
    kind: Literal["user", "merchant", "desk", "bank"]
    channel: str  # sms | email | app for users; desk for a queue
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


class ActionAudit(BaseModel):
    """A signalled action, taken or refused, as the audit log keeps it: what it claimed and
    what the case made of it. `key` makes writing it twice write one row."""

    key: str
    at: datetime
    request_id: str
    actor: str
    role: str
    action: str
    accepted: bool
    status_code: int
    reason: str = ""
    via: Literal["signal"] = "signal"


class CaseEffects(BaseModel):
    """One state change's effects: the projection to write, the notices it queued and the
    audit entries of the signals it took or refused."""

    view: CaseView
    notices: list[NoticeRequest] = Field(default_factory=list)
    audit: list[ActionAudit] = Field(default_factory=list)


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
    intake_entries: int = 0  # ledger rows, provider events, action keys
