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


# --- the dispute's later stages, as the providers publish them ------------------------

APPEAL_DUE_BY = DUE_BY + 20 * 86_400

# Stripe: the Dispute after a lost chargeback, in its appeal stage (stripe-python 16.x
# `_dispute.py`: `status` "appeal_needs_response", `evidence.appeal.card` with
# `reason_for_filing` / `supporting_files`, `payment_method_details.card.case_type`).
APPEAL_EVENT: dict[str, Any] = {
    **EVENT,
    "id": "evt_1OgAppE2eZvKYlo2C0appeal1",
    "created": CREATED + 15 * 86_400,
    "type": "charge.dispute.updated",
    "data": {
        "object": {
            **EVENT["data"]["object"],
            "status": "appeal_needs_response",
            "evidence": {
                **EVENT["data"]["object"]["evidence"],
                "appeal": {"card": {"reason_for_filing": None, "supporting_files": []}},
            },
            "evidence_details": {
                "due_by": APPEAL_DUE_BY,
                "enhanced_eligibility": {},
                "has_evidence": False,
                "past_due": False,
                "submission_count": 1,
            },
            "payment_method_details": {
                "type": "card",
                "card": {
                    "brand": "visa",
                    "case_type": "chargeback",
                    "network": "visa",
                    "network_reason_code": "13.1",
                },
            },
        }
    },
}

# Stripe: `evidence_details.due_by` 0, "if the customer's bank or credit card company
# doesn't allow a response for this particular dispute" (`_dispute.py`).
NO_RESPONSE_EVENT: dict[str, Any] = {
    **EVENT,
    "id": "evt_1OgNoRE2eZvKYlo2C0noresp1",
    "data": {
        "object": {
            **EVENT["data"]["object"],
            "evidence_details": {
                "due_by": 0,
                "enhanced_eligibility": {},
                "has_evidence": False,
                "past_due": False,
                "submission_count": 0,
            },
        }
    },
}

# Antom: a retrieval request whose uploaded materials were checked (notifyDispute
# `disputeType` RETRIEVAL_REQUEST; `disputeJudgedResult` VALIDATE_FAIL / VALIDATE_SUCCESS,
# global-open-sdk-python `DisputeJudgedResult`, `DisputeType`).
ANTOM_RETRIEVAL: dict[str, Any] = {
    **ANTOM_CREATED,
    "disputeType": "RETRIEVAL_REQUEST",
    "disputeReasonCode": "2006",
    "disputeReasonMsg": "Other Fraud",
    "disputeSource": "Other card scheme",
}
ANTOM_VALIDATE_FAIL: dict[str, Any] = {
    "disputeId": ANTOM_CREATED["disputeId"],
    "paymentId": ANTOM_CREATED["paymentId"],
    "paymentRequestId": ANTOM_CREATED["paymentRequestId"],
    "disputeNotificationType": "DISPUTE_JUDGED",
    "disputeJudgedResult": "VALIDATE_FAIL",
    "disputeType": "RETRIEVAL_REQUEST",
    "defenseDueTime": "2025-01-16T19:09:16-08:00",
    "notifyTime": "2025-01-09T10:00:00-08:00",
}
ANTOM_VALIDATE_SUCCESS: dict[str, Any] = {
    **ANTOM_VALIDATE_FAIL,
    "disputeJudgedResult": "VALIDATE_SUCCESS",
    "notifyTime": "2025-01-12T10:00:00-08:00",
}
# DISPUTE_JUDGED with the merchant liable: disputeJudgedAmount is what was deducted; the
# notification need not carry disputeJudgedTime (not required) nor notifyTime.
ANTOM_JUDGED_MERCHANT: dict[str, Any] = {
    "disputeId": ANTOM_CREATED["disputeId"],
    "paymentId": ANTOM_CREATED["paymentId"],
    "paymentRequestId": ANTOM_CREATED["paymentRequestId"],
    "disputeNotificationType": "DISPUTE_JUDGED",
    "disputeJudgedResult": "ACCEPT_BY_MERCHANT",
    "disputeJudgedAmount": {"currency": "KRW", "value": "14204"},
}
