"""A sample dispute to try the stack with: Stripe's `charge.dispute.created` as Stripe
publishes it, due after the policy's own clocks."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from redress.models.dispute import rules_of
from redress.policy import Policy


def sample_event(
    dispute_id: str,
    locale: str = "en",
    merchant_id: str = "M-DEMO",
    created_at: datetime | None = None,
    trade_no: str | None = None,
    due_in: timedelta = timedelta(minutes=3),
    amount: str | None = None,
    policy: Policy | None = None,
) -> dict[str, Any]:
    """A Stripe `charge.dispute.created` event body (unsigned) to try the stack with; due a
    few minutes ahead, or, given a `policy`, after its safety margin and reminders (so the
    policy's own clocks run while one watches). `amount` in USD (Stripe's minor units)."""
    now = created_at or datetime.now(UTC)
    if policy is not None:
        due_in = rules_of(policy).sample_due_in()
    due = now + due_in
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
