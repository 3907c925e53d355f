"""The providers' own payloads, as they publish them: the samples the provider tests and the
webhook-bound tests sign (Stripe's event object from its API reference, Antom's
notifyDispute body from its reference)."""

from __future__ import annotations

from typing import Any

# --- Stripe ---------------------------------------------------------------------------

SECRET = "whsec_test_4eC39HqLyjWDarjtT1zdp7dc"
OLD_SECRET = "whsec_test_retired_0123456789abcdef"
CREATED = 1_700_000_000
DUE_BY = 1_700_863_999

# A `charge.dispute.created` event as Stripe sends it (fields as in its API reference).
EVENT: dict[str, Any] = {
    "id": "evt_1OeCrE2eZvKYlo2CWn5wm5YQ",
    "object": "event",
    "api_version": "2024-06-20",
    "created": CREATED,
    "data": {
        "object": {
            "id": "dp_1OeCrD2eZvKYlo2C5ZkDgiBW",
            "object": "dispute",
            "amount": 4999,
            "balance_transactions": [],
            "charge": "ch_3OeCr92eZvKYlo2C1Q9rfyNp",
            "created": CREATED - 5,
            "currency": "usd",
            "evidence": {"customer_name": None, "product_description": None, "receipt": None},
            "evidence_details": {
                "due_by": DUE_BY,
                "enhanced_eligibility": {},
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
            "enhanced_eligibility_types": [],
            "is_charge_refundable": True,
            "livemode": False,
            "metadata": {"merchant_id": "M-ACME"},
            "payment_intent": "pi_3OeCr92eZvKYlo2C1lUcUGFJ",
            "payment_method_details": {
                "card": {
                    "brand": "visa",
                    "case_type": "chargeback",
                    "network": "visa",
                    "network_reason_code": "13.1",
                },
                "type": "card",
            },
            "reason": "product_not_received",
            "status": "needs_response",
        }
    },
    "livemode": False,
    "pending_webhooks": 1,
    "request": {"id": None, "idempotency_key": None},
    "type": "charge.dispute.created",
}


# A dispute eligible for enhanced evidence, as Stripe sends it (`stripe/_dispute.py`:
# `enhanced_eligibility_types`, `evidence_details.enhanced_eligibility.<type>.status` and
# VCE3's `required_actions`; stripe/openapi `fixtures3.json` lists the type the same way).
ELIGIBLE: dict[str, Any] = {
    "enhanced_eligibility_types": ["visa_compelling_evidence_3", "visa_compliance"],
    "evidence_details": {
        "due_by": DUE_BY,
        "enhanced_eligibility": {
            "visa_compelling_evidence_3": {
                "required_actions": ["missing_prior_undisputed_transactions"],
                "status": "requires_action",
            },
            "visa_compliance": {"status": "requires_fee_acknowledgement"},
        },
        "has_evidence": False,
        "past_due": False,
        "submission_count": 0,
    },
}


# --- Antom ----------------------------------------------------------------------------

CLIENT_ID = "SANDBOX_5YBZ1K2YCRCS06197"
PATH = "/webhooks/antom"
NOTIFY_TIME = "2025-01-06T19:09:17-08:00"

# A notifyDispute body as Antom sends it: every value a string, amounts in minor units.
ANTOM_CREATED: dict[str, Any] = {
    "arn": "74987505012345678901234",
    "defendable": "true",
    "defenseDueTime": "2025-01-13T19:09:16-08:00",
    "disputeAmount": {"currency": "KRW", "value": "14204"},
    "disputeId": "202501061900000000000012345",
    "disputeNotificationType": "DISPUTE_CREATED",
    "disputeReasonCode": "13.1",
    "disputeReasonMsg": "Merchandise/Services Not Received",
    "disputeSource": "Visa",
    "disputeTime": "2025-01-06T19:09:16-08:00",
    "disputeType": "CHARGEBACK",
    "notifyTime": NOTIFY_TIME,
    "paymentId": "20250106194010800100188170212345678",
    "paymentRequestId": "PAY_20250106_0001",
}
