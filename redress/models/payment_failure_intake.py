"""How the intake takes payment failures (F1, F4): `payment.failed` opens a case, one per
payment (`failure-<source>-<payment id>`); `payment.succeeded` and `payment.captured` open
none: they go into the attempts ledger and to the failure cases they concern. And a
sample event to try the stack with."""

from __future__ import annotations

import functools
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from redress import search_attributes as sa
from redress.models.intake import CaseNews, CaseStart, IntakeContext
from redress.models.payment_failure import (
    RULES,
    SECTION,
    Captured,
    PaymentCaptured,
    PaymentFailed,
    PaymentFailureCaseInput,
    PaymentSucceeded,
    Succeeded,
    rules_of,
)
from redress.payments import attempts

if TYPE_CHECKING:
    from redress.policy import Policy


def open_case(event: PaymentFailed, ctx: IntakeContext) -> CaseStart:
    p = event.payment
    ctx.created_at(p.occurred_at, "payment.occurred_at")
    case_id = ctx.case_id(p.id)
    cause, _, _ = rules_of(ctx.policy).classify(p.channel, p.return_code)
    return CaseStart(
        case_id=case_id,
        merchant_id=p.merchant_id,
        status="reconciling",
        next_deadline=None,  # the workflow sets it with its first state change
        summary=(
            f"Payment failure {p.id} · order {p.order_no} · {p.channel} · merchant "
            f"{p.merchant_id} · {p.amount} {p.currency} · code {p.return_code}"
        ),
        input=PaymentFailureCaseInput(
            case_id=case_id,
            source=ctx.source,
            payment=p,
            policy=ctx.policy.snapshot(ctx.now, sections=(SECTION.name,)),
            received_at=ctx.now,
            event_id=event.event_id,
            rules=RULES,
        ),
        search_attributes=sa.priority_pairs("regular"),
        # The failure in the attempts ledger before the answer: a success or a capture the
        # provider sends next finds this case (the workflow's reconciliation records it too).
        record=functools.partial(_failed, payment=p, cause=cause, case_id=case_id),
    )


def _failed(engine: Any, source: str, payment: Any, cause: str, case_id: str) -> None:
    attempts.record(engine, source, payment, "failed", cause=cause, case_id=case_id)


def on_event(event: BaseModel, ctx: IntakeContext) -> CaseStart | CaseNews:
    if isinstance(event, PaymentFailed):
        return open_case(event, ctx)
    p = event.payment  # type: ignore[attr-defined]
    ctx.created_at(p.occurred_at, "payment.occurred_at")
    if isinstance(event, PaymentCaptured):
        return CaseNews(
            case_id=ctx.case_id(p.id),
            record=functools.partial(_captured, payment=p),
            action=Captured(event_id=event.event_id, at=p.occurred_at).model_dump(mode="json"),
        )
    assert isinstance(event, PaymentSucceeded)
    return CaseNews(
        case_id=ctx.case_id(p.id),
        record=functools.partial(_succeeded, payment=p),
        action=Succeeded(event_id=event.event_id, payment_id=p.id, at=p.occurred_at).model_dump(
            mode="json"
        ),
    )


def _captured(engine: Any, source: str, payment: Any) -> list[str]:
    return attempts.on_captured(engine, source, payment)


def _succeeded(engine: Any, source: str, payment: Any) -> list[str]:
    return attempts.on_succeeded(engine, source, payment)


EVENTS: dict[str, type[BaseModel]] = {
    "payment.failed": PaymentFailed,
    "payment.succeeded": PaymentSucceeded,
    "payment.captured": PaymentCaptured,
}


def sample_event(
    payment_id: str,
    locale: str = "zh-CN",
    merchant_id: str = "M-DEMO",
    created_at: datetime | None = None,
    trade_no: str | None = None,
    return_code: str = "101",
    channel: str = "alipay",
    amount: str | None = None,
    policy: Policy | None = None,  # the sample's clocks may read it (unused here)
) -> dict[str, Any]:
    """A complete `payment.failed` body (`redress send-sample --kind payment_failure`)."""
    now = created_at or datetime.now(UTC)
    return {
        "event_id": f"evt-{uuid.uuid4().hex[:16]}",
        "type": "payment.failed",
        "payment": {
            "id": payment_id,
            "order_no": trade_no or f"O{int(time.time())}",
            "merchant_id": merchant_id,
            "channel": channel,
            "amount": amount or "268.00",
            "currency": "CNY",
            "return_code": return_code,
            "return_message": "余额不足",
            "occurred_at": now.isoformat(),
            "card": {"last4": "1111"},
            "user": {
                "id": "U-DEMO",
                "locale": locale,
                "contact": {"channel": "sms", "address": "+8613800000000"},
            },
        },
    }
