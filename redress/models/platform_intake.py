"""How the intake takes platform complaints (P1): a `platform_complaint.created` event opens
a case (or joins the open one of the same user and trade), the user's later events go to
their case as `user` actions; and a sample event to try the stack with."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from redress import search_attributes as sa
from redress.models.intake import CaseMessage, CaseStart, IntakeContext
from redress.models.platform_actions import Confirm, Link, Object, Supplemented
from redress.models.platform_complaint import (
    RULES,
    SECTION,
    PlatformComplaint,
    PlatformComplaintCaseInput,
    PlatformComplaintConfirmed,
    PlatformComplaintCreated,
    PlatformComplaintObjected,
    PlatformComplaintSupplemented,
    rules_of,
)
from redress.policy import Policy

# --- intake -----------------------------------------------------------------------------


def link_key(c: PlatformComplaint) -> str | None:
    """Same user, same trade: a hash, so neither is stored in the clear for this."""
    if not c.trade_no:
        return None
    return hashlib.sha256(f"{c.user.id}\x00{c.trade_no}".encode()).hexdigest()


def urgent(c: PlatformComplaint, ctx: IntakeContext) -> bool:
    return c.category in rules_of(ctx.policy).urgent_categories


def open_case(event: PlatformComplaintCreated, ctx: IntakeContext) -> CaseStart:
    c = event.complaint
    ctx.created_at(c.created_at, "complaint.created_at")
    rules = rules_of(ctx.policy)
    if c.amount is not None and c.currency is None:
        c = c.model_copy(update={"currency": "CNY"})  # the platform's own currency
    priority = "urgent" if urgent(c, ctx) else "regular"
    missing = c.missing()
    status = (
        "awaiting_info"
        if missing
        else ("awaiting_acceptance" if rules.acceptance.manual else "investigating")
    )
    amount = f"{c.amount} {c.currency}" if c.amount is not None else "amount missing"
    return CaseStart(
        case_id=ctx.case_id(c.id),
        merchant_id=c.merchant_id or "",
        status=status,
        next_deadline=None,  # the workflow sets it with its first state change
        summary=(
            f"Platform complaint {c.id} · {c.channel} · {amount} · "
            f"{c.category or 'uncategorized'} · {priority}"
        ),
        input=PlatformComplaintCaseInput(
            case_id=ctx.case_id(c.id),
            source=ctx.source,
            complaint=c,
            policy=ctx.policy.snapshot(ctx.now, sections=(SECTION.name,)),
            received_at=ctx.now,
            event_id=event.event_id,
            rules=RULES,
        ),
        search_attributes=sa.priority_pairs(priority),
        link_key=link_key(c),
        link_action=Link(
            event_id=event.event_id, complaint_id=c.id, channel=c.channel, evidence=c.evidence
        ).model_dump(mode="json"),
    )


def _message(
    event: PlatformComplaintSupplemented | PlatformComplaintConfirmed | PlatformComplaintObjected,
    ctx: IntakeContext,
) -> CaseMessage:
    action: BaseModel
    if isinstance(event, PlatformComplaintSupplemented):
        action = Supplemented(event_id=event.event_id, complaint=event.complaint)
    elif isinstance(event, PlatformComplaintConfirmed):
        action = Confirm(event_id=event.event_id)
    else:
        action = Object(event_id=event.event_id, reason=event.reason)
    return CaseMessage(
        case_id=ctx.case_id(event.complaint.id),
        actor="user",
        action=action.model_dump(mode="json", exclude_unset=False),
    )


def on_event(event: BaseModel, ctx: IntakeContext) -> CaseStart | CaseMessage:
    """`platform_complaint.created` opens a case; the user's later events go to it."""
    if isinstance(event, PlatformComplaintCreated):
        return open_case(event, ctx)
    return _message(event, ctx)  # type: ignore[arg-type]


EVENTS: dict[str, type[BaseModel]] = {
    "platform_complaint.created": PlatformComplaintCreated,
    "platform_complaint.supplemented": PlatformComplaintSupplemented,
    "platform_complaint.confirmed": PlatformComplaintConfirmed,
    "platform_complaint.objected": PlatformComplaintObjected,
}


def sample_event(
    complaint_id: str,
    locale: str = "zh-CN",
    merchant_id: str = "M-DEMO",
    created_at: datetime | None = None,
    trade_no: str | None = None,
    amount: str | None = None,
    policy: Policy | None = None,  # the sample's clocks may read it (unused here)
) -> dict[str, Any]:
    """A complete `platform_complaint.created` body (`redress send-sample --kind`)."""
    now = created_at or datetime.now(UTC)
    return {
        "event_id": f"evt-{uuid.uuid4().hex[:16]}",
        "type": "platform_complaint.created",
        "complaint": {
            "id": complaint_id,
            "channel": "app",
            "account": "acct-8842",
            "merchant_id": merchant_id,
            "trade_no": trade_no or f"T{int(time.time())}",
            "trade_time": now.isoformat(),
            "amount": amount or "268.00",
            "currency": "CNY",
            "created_at": now.isoformat(),
            "category": "charged_twice",
            "description": "charged twice for one order",
            "evidence": ["receipt-1.png", "transfer-record.pdf"],
            "user": {
                "id": "U-DEMO",
                "locale": locale,
                "contact": {"channel": "sms", "address": "+8613800000000"},
            },
        },
    }
