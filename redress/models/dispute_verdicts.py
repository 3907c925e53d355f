"""A provider's verdict on a dispute already open, in the provider's published shape, for
`redress send-event --verdict won|lost --dispute ID` (the kind's `sample_verdict`): Stripe's
`charge.dispute.closed` Event with the Dispute's `status` `won` or `lost`; Antom's
notifyDispute `DISPUTE_JUDGED` with `disputeJudgedResult` `ACCEPT_BY_CUSTOMER` (won) or
`ACCEPT_BY_MERCHANT` (lost, `disputeJudgedAmount` deducted). The case's own facts (amount,
currency, merchant, charge) fill the rest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

VERDICTS = ("won", "lost")
PROVIDERS = ("stripe", "antom")
ANTOM_RESULTS = {"won": "ACCEPT_BY_CUSTOMER", "lost": "ACCEPT_BY_MERCHANT"}


def _minor(amount: Any, places: int) -> int:
    return int(Decimal(str(amount or "0")).scaleb(places))


def verdict_event(
    provider: str,
    dispute_id: str,
    verdict: str,
    case: dict[str, Any],
    now: datetime | None = None,
) -> dict[str, Any]:
    """The provider's event closing `dispute_id` with `verdict` (won | lost); `case`: the
    case as `GET /cases/{id}` shows it. ValueError for a provider or verdict it has none of."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict: won or lost, not {verdict!r}")
    at = (now or datetime.now(UTC)).replace(microsecond=0)
    currency = str(case.get("currency") or "USD").upper()
    if provider == "stripe":
        return _stripe(dispute_id, verdict, case, currency, at)
    if provider == "antom":
        return _antom(dispute_id, verdict, case, currency, at)
    raise ValueError(f"provider: a verdict by {', '.join(PROVIDERS)}, not {provider!r}")


def _stripe(
    dispute_id: str, verdict: str, case: dict[str, Any], currency: str, at: datetime
) -> dict[str, Any]:
    from redress.providers.stripe import exponent

    created = int(at.timestamp())
    opened = case.get("created_at")
    opened_at = datetime.fromisoformat(opened.replace("Z", "+00:00")) if opened else at
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "data": {
            "object": {
                "id": dispute_id,
                "object": "dispute",
                "amount": _minor(case.get("amount"), exponent(currency)),
                "balance_transactions": [],
                "charge": case.get("trade_no") or f"ch_{uuid.uuid4().hex[:24]}",
                "created": int(opened_at.timestamp()),
                "currency": currency.lower(),
                "evidence": {"customer_name": None, "product_description": None, "receipt": None},
                "evidence_details": {
                    "due_by": None,
                    "enhanced_eligibility": {},
                    "has_evidence": True,
                    "past_due": False,
                    "submission_count": 1,
                },
                "enhanced_eligibility_types": [],
                "is_charge_refundable": False,
                "livemode": False,
                "metadata": {"merchant_id": case.get("merchant_id") or "M-DEMO"},
                "payment_intent": f"pi_{uuid.uuid4().hex[:24]}",
                "payment_method_details": {
                    "card": {"brand": "visa", "case_type": "chargeback", "network": "visa"},
                    "type": "card",
                },
                "reason": "product_not_received",
                "status": verdict,
            }
        },
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "charge.dispute.closed",
    }


def _antom(
    dispute_id: str, verdict: str, case: dict[str, Any], currency: str, at: datetime
) -> dict[str, Any]:
    from redress.providers.antom import exponent

    money = {
        "currency": currency,
        "value": str(_minor(case.get("amount"), exponent(currency))),
    }
    event: dict[str, Any] = {
        "disputeId": dispute_id,
        "paymentId": case.get("trade_no") or f"pay{uuid.uuid4().hex[:20]}",
        "paymentRequestId": f"PAY-{dispute_id}"[:64],
        "disputeNotificationType": "DISPUTE_JUDGED",
        "disputeJudgedResult": ANTOM_RESULTS[verdict],
        "disputeJudgedTime": at.isoformat(),
        "disputeAmount": money,
        "notifyTime": at.isoformat(),
    }
    if verdict == "lost":  # the merchant is liable: the disputed sum is deducted
        event["disputeJudgedAmount"] = money
    return event
