"""A sample dispute to try the stack with: Stripe's `charge.dispute.created` as Stripe
publishes it, or Antom's notifyDispute `DISPUTE_CREATED` as Antom publishes it, due after
the policy's own clocks."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from redress.models.dispute import rules_of
from redress.policy import Policy, format_duration

# How far ahead a sample dispute may be due when a person says (`send-sample --due-in`).
SAMPLE_DUE_MAX = timedelta(days=120)


def sample_due_in(due_in: timedelta | None, policy: Policy | None) -> timedelta:
    """The sample's time to its due time: `due_in` if given (ValueError unless later than
    the policy's safety margin and at most `SAMPLE_DUE_MAX`), else the policy's own
    (`DisputePolicy.sample_due_in`), else three minutes."""
    rules = rules_of(policy) if policy is not None else None
    if due_in is None:
        return rules.sample_due_in() if rules is not None else timedelta(minutes=3)
    if due_in > SAMPLE_DUE_MAX:
        raise ValueError(
            f"due in {format_duration(due_in)}: at most {format_duration(SAMPLE_DUE_MAX)}"
        )
    if rules is not None and due_in <= rules.safety_margin:
        raise ValueError(
            f"due in {format_duration(due_in)}: it must be later than the policy's safety "
            f"margin (dispute.safety_margin {format_duration(rules.safety_margin)}), else "
            "the defence is due at once"
        )
    if due_in <= timedelta(0):
        raise ValueError(f"due in {format_duration(due_in)}: give a time ahead")
    return due_in


def sample_event(
    dispute_id: str,
    locale: str = "en",
    merchant_id: str = "M-DEMO",
    created_at: datetime | None = None,
    trade_no: str | None = None,
    due_in: timedelta | None = None,
    amount: str | None = None,
    policy: Policy | None = None,
    provider: str = "stripe",
) -> dict[str, Any]:
    """A Stripe `charge.dispute.created` event body (unsigned) to try the stack with (or,
    `provider` "antom", Antom's notifyDispute `DISPUTE_CREATED`, `antom_created`); due
    `due_in` ahead (later than the policy's safety margin, at most `SAMPLE_DUE_MAX`), else,
    given a `policy`, after its safety margin and reminders (so the policy's own clocks run
    while one watches), else three minutes ahead. `amount` in USD (Stripe's minor units)."""
    now = created_at or datetime.now(UTC)
    due = now + sample_due_in(due_in, policy)
    if provider == "antom":
        return antom_created(dispute_id, now, due, amount, trade_no)
    if provider != "stripe":
        raise ValueError(f"a sample dispute comes from stripe or antom, not {provider!r}")
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(now.timestamp()),
        "type": "charge.dispute.created",
        "livemode": False,
        "pending_webhooks": 1,
        "data": {
            "object": {
                "id": dispute_id if dispute_id.startswith("dp_") else f"dp_{dispute_id}",
                "object": "dispute",
                "amount": int(Decimal(amount) * 100) if amount else 4999,
                "currency": "usd",
                "charge": trade_no or f"ch_{int(time.time())}",
                "payment_intent": f"pi_{uuid.uuid4().hex[:24]}",
                "reason": "product_not_received",
                "status": "needs_response",
                "created": int(now.timestamp()),
                "evidence_details": {
                    "due_by": int(due.timestamp()),
                    "has_evidence": False,
                    "past_due": False,
                    "submission_count": 0,
                },
                "is_charge_refundable": True,
                "payment_method_details": {
                    "card": {"brand": "visa", "case_type": "chargeback", "network": "visa"},
                    "type": "card",
                },
                "enhanced_eligibility_types": [],
                "balance_transactions": [],
                "livemode": False,
                "metadata": {"merchant_id": merchant_id},
            }
        },
    }


# Antom's times carry an offset (its examples: -08:00); the sample's are at +08:00.
ANTOM_OFFSET = timezone(timedelta(hours=8))


def antom_created(
    dispute_id: str,
    now: datetime,
    due: datetime,
    amount: str | None = None,
    payment_id: str | None = None,
) -> dict[str, Any]:
    """Antom's notifyDispute `DISPUTE_CREATED` body (unsigned), as Antom publishes it: every
    value a string, the amount in minor units; the merchant is the one the API is set up
    for (REDRESS_ANTOM_MERCHANT_ID, else its client ID)."""
    at = now.astimezone(ANTOM_OFFSET).replace(microsecond=0)
    return {
        "disputeId": dispute_id,
        "paymentId": payment_id or f"2026{uuid.uuid4().int % 10**28:028d}",
        "paymentRequestId": f"PAY_{uuid.uuid4().hex[:12]}",
        "disputeNotificationType": "DISPUTE_CREATED",
        "disputeTime": at.isoformat(),
        "notifyTime": at.isoformat(),
        "defenseDueTime": due.astimezone(ANTOM_OFFSET).replace(microsecond=0).isoformat(),
        "disputeAmount": {
            "currency": "USD",
            "value": str(int(Decimal(amount) * 100) if amount else 4999),
        },
        "disputeReasonCode": "13.1",
        "disputeReasonMsg": "Merchandise/Services Not Received",
        "disputeSource": "Visa",
        "disputeType": "CHARGEBACK",
        "defendable": "true",
    }
