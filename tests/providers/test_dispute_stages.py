"""Every status, notification type and judged result the providers document, as each
provider signs and sends it (Stripe: the `stripe` package's signature over the event;
Antom: its SDK's `signature_tool.sign`), mapped to the stage, the response stage (`phase`)
and what the dispute allows (`defendable`, `no_response`). docs/disputes.md has the table.
"""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import stripe
from com.alipay.ams.api.tools import signature_tool
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from redress.models.dispute import DisputeEvent
from redress.providers.antom import AntomProvider
from redress.providers.stripe import StripeProvider
from tests.providers.samples import (
    ANTOM_CREATED,
    ANTOM_JUDGED_MERCHANT,
    ANTOM_RETRIEVAL,
    ANTOM_VALIDATE_FAIL,
    ANTOM_VALIDATE_SUCCESS,
    APPEAL_DUE_BY,
    APPEAL_EVENT,
    CLIENT_ID,
    EVENT,
    NO_RESPONSE_EVENT,
    PATH,
    SECRET,
)

# --- Stripe -------------------------------------------------------------------------------


def stripe_event(payload: dict[str, Any]) -> DisputeEvent:
    """Signed with the `stripe` package, verified and mapped as the webhook does."""
    provider = StripeProvider(SECRET)
    body = json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(
        body, SECRET, timestamp=int(time.time())
    )
    provider.verify({"Stripe-Signature": header}, body.encode())
    event = provider.parse(json.loads(body)).event
    assert isinstance(event, DisputeEvent)
    return event


def with_status(status: str, base: dict[str, Any] = EVENT, **dispute: Any) -> dict[str, Any]:
    body = copy.deepcopy(base)
    body["data"]["object"].update(status=status, **dispute)
    return body


@pytest.mark.parametrize(
    ("status", "stage", "phase", "defendable"),
    [
        ("warning_needs_response", "needs_response", "inquiry", True),
        ("warning_under_review", "under_review", "inquiry", None),
        ("warning_closed", "withdrawn", None, None),
        ("needs_response", "needs_response", "chargeback", True),
        ("under_review", "under_review", "chargeback", None),
        ("appeal_needs_response", "needs_response", "appeal", True),
        ("appeal_under_review", "under_review", "appeal", None),
        ("won", "won", None, None),
        ("lost", "lost", None, None),
        ("prevented", "withdrawn", None, None),
        ("a_status_stripe_adds_later", None, None, None),
    ],
)
@pytest.mark.rule("C6")
def test_every_stripe_status(
    status: str, stage: str | None, phase: str | None, defendable: bool | None
) -> None:
    """stripe-python 16.x `_dispute.py` `Dispute.status`: every value it lists."""
    e = stripe_event(with_status(status))
    assert (e.stage, e.raw_status, e.phase, e.defendable) == (stage, status, phase, defendable)
    assert e.no_response is False


@pytest.mark.rule("C6")
def test_stripe_appeal() -> None:
    """An appeal after a lost chargeback: `appeal_needs_response`, its own `due_by`."""
    e = stripe_event(APPEAL_EVENT)
    assert (e.type, e.stage, e.phase, e.defendable) == (
        "charge.dispute.updated",
        "needs_response",
        "appeal",
        True,
    )
    assert e.due_by == datetime.fromtimestamp(APPEAL_DUE_BY, UTC)


@pytest.mark.parametrize("due_by", [0, None])
@pytest.mark.rule("C6")
def test_stripe_no_response_allowed(due_by: int | None) -> None:
    """`evidence_details.due_by` 0 ("will be 0 if the customer's bank … doesn't allow a
    response", `_dispute.py`), or none while the status asks for one: no due time (not
    1970), nothing to defend."""
    payload = copy.deepcopy(NO_RESPONSE_EVENT)
    payload["data"]["object"]["evidence_details"]["due_by"] = due_by
    e = stripe_event(payload)
    assert (e.stage, e.due_by, e.no_response, e.defendable) == (
        "needs_response",
        None,
        True,
        False,
    )


@pytest.mark.parametrize(
    ("case_type", "phase"),
    [
        ("chargeback", "chargeback"),
        ("inquiry", "inquiry"),
        ("compliance", "compliance"),
        ("block", None),
        ("resolution", None),
    ],
)
def test_stripe_case_type(case_type: str, phase: str | None) -> None:
    """`payment_method_details.card.case_type` says which response stage needs_response is."""
    details = {"type": "card", "card": {"brand": "visa", "case_type": case_type}}
    e = stripe_event(with_status("needs_response", payment_method_details=details))
    assert e.phase == phase


def test_stripe_funds_in_the_balance_currency() -> None:
    """A balance transaction in the balance's currency: money moved in that currency."""
    txn = {"id": "txn_1", "amount": -4620, "fee": 1500, "currency": "eur"}
    payload = with_status("needs_response", balance_transactions=[txn])
    payload["type"] = "charge.dispute.funds_withdrawn"
    e = stripe_event(payload)
    assert (e.amount, e.currency) == (Decimal("49.99"), "USD")
    assert (e.funds, e.funds_amount, e.fee, e.funds_currency) == (
        "withdrawn",
        Decimal("46.20"),
        Decimal("15.00"),
        "EUR",
    )


# --- Antom --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def antom_keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def antom_event(keys: tuple[str, str], payload: dict[str, Any]) -> DisputeEvent:
    """Signed with Antom's SDK, verified and mapped as the webhook does."""
    provider = AntomProvider(keys[1], CLIENT_ID, merchant_id="M-ACME", notify_path=PATH)
    body = json.dumps(payload)
    now = str(int(time.time() * 1000))
    signature = signature_tool.sign("POST", PATH, CLIENT_ID, now, body, keys[0])
    headers = {
        "Client-Id": CLIENT_ID,
        "Request-Time": now,
        "Signature": f"algorithm=RSA256,keyVersion=1,signature={signature}",
    }
    provider.verify(headers, body.encode())
    event = provider.parse(json.loads(body)).event
    assert isinstance(event, DisputeEvent)
    return event


@pytest.mark.parametrize(
    ("payload", "stage", "phase"),
    [
        (ANTOM_CREATED, "needs_response", "chargeback"),
        (ANTOM_RETRIEVAL, "needs_response", "retrieval"),
        ({**ANTOM_CREATED, "disputeType": "COMPLIANCE_REQUEST"}, "needs_response", "compliance"),
        (ANTOM_VALIDATE_FAIL, "needs_response", "retrieval"),
        (ANTOM_VALIDATE_SUCCESS, "under_review", "retrieval"),
        (ANTOM_JUDGED_MERCHANT, "lost", None),
        ({**ANTOM_JUDGED_MERCHANT, "disputeJudgedResult": "ACCEPT_BY_CUSTOMER"}, "won", None),
    ],
)
@pytest.mark.rule("C6")
def test_antom_types_and_results(
    antom_keys: tuple[str, str], payload: dict[str, Any], stage: str, phase: str | None
) -> None:
    """notifyDispute's disputeType and disputeJudgedResult, each to its stage."""
    e = antom_event(antom_keys, payload)
    assert (e.stage, e.phase) == (stage, phase)


@pytest.mark.rule("C6")
def test_antom_not_defendable(antom_keys: tuple[str, str]) -> None:
    e = antom_event(antom_keys, {**ANTOM_CREATED, "defendable": "false"})
    assert (e.stage, e.defendable) == ("needs_response", False)


@pytest.mark.rule("C6")
def test_antom_judged_without_its_time(antom_keys: tuple[str, str]) -> None:
    """disputeJudgedTime is not required: a judged notification without it (nor notifyTime)
    is taken, dated when it reached us; its deduction is money moved, in its currency."""
    before = datetime.now(UTC).replace(microsecond=0)
    e = antom_event(antom_keys, ANTOM_JUDGED_MERCHANT)
    assert e.event_id == f"{ANTOM_CREATED['disputeId']}:DISPUTE_JUDGED:ACCEPT_BY_MERCHANT"
    assert before <= e.occurred_at <= datetime.now(UTC)
    assert (e.amount, e.currency) == (None, None)  # the disputed amount is not touched
    assert (e.funds, e.funds_amount, e.funds_currency) == ("deducted", Decimal("14204"), "KRW")


@pytest.mark.parametrize(
    ("code", "category"),
    [("2006", "fraud"), ("2103", "authorization"), ("2201", "processing_error")],
)
@pytest.mark.rule("C6")
def test_antom_other_scheme_reason_codes(
    antom_keys: tuple[str, str], code: str, category: str
) -> None:
    """Antom's "other card scheme" reason codes (docs.antom.com/ac/dispute/cs)."""
    e = antom_event(antom_keys, {**ANTOM_RETRIEVAL, "disputeReasonCode": code})
    assert (e.reason, e.category) == (code, category)
