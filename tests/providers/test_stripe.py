"""StripeProvider: Stripe's own `Stripe-Signature` (made here with the `stripe` package)
and its Dispute events mapped to `DisputeEvent`."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import stripe
from starlette.datastructures import Headers

from redress import kinds
from redress.models.dispute import DisputeEvent
from redress.providers import Inbound, Rejected, Unhandled
from redress.providers.stripe import StripeProvider
from tests.providers.samples import CREATED, DUE_BY, EVENT, OLD_SECRET, SECRET


def event(event_type: str = "charge.dispute.created", **dispute: Any) -> dict[str, Any]:
    body = copy.deepcopy(EVENT)
    body["type"] = event_type
    body["data"]["object"].update(dispute)
    return body


def signed(
    payload: dict[str, Any], secret: str = SECRET, timestamp: int | None = None
) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload)
    ts = int(time.time()) if timestamp is None else timestamp
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=ts)
    return {"Stripe-Signature": header}, body.encode()


def receive(provider: StripeProvider, payload: dict[str, Any]) -> DisputeEvent:
    headers, body = signed(payload)
    provider.verify(headers, body)
    inbound = provider.parse(json.loads(body))
    assert isinstance(inbound, Inbound)
    assert inbound.kind is kinds.KINDS["dispute"]
    assert isinstance(inbound.event, DisputeEvent)
    assert inbound.event_id == inbound.event.event_id
    return inbound.event


@pytest.fixture
def provider() -> StripeProvider:
    return StripeProvider(SECRET)


@contextmanager
def rejected(status: int, match: str = "") -> Iterator[None]:
    with pytest.raises(Rejected, match=match) as info:
        yield
    assert info.value.status == status, info.value.message


# --- signature ----------------------------------------------------------------------------


def test_valid_signature_accepted_and_mapped(provider: StripeProvider) -> None:
    ts = int(time.time())
    headers, body = signed(EVENT, timestamp=ts)
    assert provider.verify(headers, body).startswith(f"{ts}.")
    e = provider.parse(json.loads(body)).event
    assert isinstance(e, DisputeEvent)
    assert e.event_id == "evt_1OeCrE2eZvKYlo2CWn5wm5YQ"
    assert (e.type, e.provider, e.dispute_id) == (
        "charge.dispute.created",
        "stripe",
        "dp_1OeCrD2eZvKYlo2C5ZkDgiBW",
    )
    assert e.occurred_at == datetime.fromtimestamp(CREATED, UTC)
    assert e.merchant_id == "M-ACME"
    assert (e.amount, e.currency) == (Decimal("49.99"), "USD")
    assert (e.stage, e.raw_status) == ("needs_response", "needs_response")
    assert (e.reason, e.category) == ("product_not_received", "product_not_received")
    assert e.due_by is not None and int(e.due_by.timestamp()) == DUE_BY
    assert e.due_by == datetime.fromtimestamp(DUE_BY, UTC)
    assert e.charge == "ch_3OeCr92eZvKYlo2C1Q9rfyNp"
    assert e.network == "visa"  # payment_method_details.card.network, for C5's figures
    assert (e.has_evidence, e.submission_count, e.is_charge_refundable) == (False, 0, True)
    assert (e.funds, e.funds_amount, e.fee) == (None, None, None)


def test_tampered_body_refused(provider: StripeProvider) -> None:
    headers, body = signed(EVENT)
    with rejected(400, "no v1 signature matches"):
        provider.verify(headers, body.replace(b"4999", b"9999"))


@pytest.mark.parametrize("age", [301, -301, 86_400])
def test_timestamp_outside_tolerance_refused(provider: StripeProvider, age: int) -> None:
    headers, body = signed(EVENT, timestamp=int(time.time()) - age)
    with rejected(400, "timestamp outside the 300 s tolerance"):
        provider.verify(headers, body)


def test_rotated_secret_any_v1_is_enough(provider: StripeProvider) -> None:
    body = json.dumps(EVENT)
    ts = int(time.time())
    old = stripe.WebhookSignature.generate_signature_header(body, OLD_SECRET, timestamp=ts)
    new = stripe.WebhookSignature.generate_signature_header(body, SECRET, timestamp=ts)
    both = old + "," + new.split(",", 1)[1]  # t=…,v1=<old>,v1=<new>
    assert both.count("v1=") == 2
    assert provider.verify({"Stripe-Signature": both}, body.encode())
    with rejected(400, "no v1 signature matches"):
        provider.verify({"Stripe-Signature": old}, body.encode())


def test_no_secret_configured() -> None:
    headers, body = signed(EVENT)
    with rejected(503, "REDRESS_STRIPE_WEBHOOK_SECRET is not configured"):
        StripeProvider("").verify(headers, body)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("garbage", "cannot read"),
        ("t=abc,v1=00", "not Unix seconds"),
        ("v1=00", "no timestamp"),
        ("t=1,t=2,v1=00", "t= twice"),
        ("t={ts},v0=00", "no v1 signature"),
    ],
)
def test_bad_header_refused(provider: StripeProvider, value: str | None, reason: str) -> None:
    headers = {} if value is None else {"Stripe-Signature": value.format(ts=int(time.time()))}
    with rejected(400, reason):
        provider.verify(headers, b"{}")


def test_header_given_twice_refused(provider: StripeProvider) -> None:
    headers, body = signed(EVENT)
    value = headers["Stripe-Signature"].encode()
    twice = Headers(raw=[(b"stripe-signature", value), (b"stripe-signature", value)])
    with rejected(400, "more than once"):
        provider.verify(twice, body)


def test_identity_is_normalized(provider: StripeProvider) -> None:
    headers, body = signed(EVENT)
    identity = provider.verify(headers, body)
    # The same delivery with other entries beside the valid one: the same identity.
    extra = {"Stripe-Signature": headers["Stripe-Signature"] + ",v1=deadbeef,v0=00"}
    assert provider.verify(extra, body) == identity
    assert provider.verify(*signed(event(amount=5000))) != identity


# --- mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "currency", "amount", "code"),
    [
        (4999, "usd", "49.99", "USD"),
        (500, "jpy", "500", "JPY"),
        (1234, "kwd", "1.234", "KWD"),
        (15000, "clp", "15000", "CLP"),
        (1, "eur", "0.01", "EUR"),
    ],
)
def test_amount_in_major_units(
    provider: StripeProvider, minor: int, currency: str, amount: str, code: str
) -> None:
    e = receive(provider, event(amount=minor, currency=currency))
    assert (e.amount, e.currency) == (Decimal(amount), code)
    assert e.amount is not None and e.amount.as_tuple() == Decimal(amount).as_tuple()


@pytest.mark.parametrize(
    ("account", "metadata", "setting", "merchant"),
    [
        ("acct_1Connect", {"merchant_id": "M-META"}, "M-SET", "acct_1Connect"),
        (None, {"merchant_id": "M-META"}, "M-SET", "M-META"),
        (None, {}, "M-SET", "M-SET"),
        (None, {}, "", None),
    ],
)
def test_merchant(
    account: str | None, metadata: dict[str, str], setting: str, merchant: str | None
) -> None:
    provider = StripeProvider(SECRET, merchant_id=setting)
    payload = event(metadata=metadata)
    if account:
        payload["account"] = account
    if merchant is None:
        with rejected(422, "no merchant"):
            provider.parse(payload)
    else:
        assert receive(provider, payload).merchant_id == merchant


@pytest.mark.parametrize(
    ("status", "stage"),
    [
        ("warning_needs_response", "needs_response"),
        ("needs_response", "needs_response"),
        ("warning_under_review", "under_review"),
        ("under_review", "under_review"),
        ("won", "won"),
        ("lost", "lost"),
        ("appeal_needs_response", "needs_response"),
        ("appeal_under_review", "under_review"),
        ("warning_closed", "withdrawn"),
        ("prevented", "withdrawn"),
        ("some_new_status", None),
    ],
)
def test_stage(provider: StripeProvider, status: str, stage: str | None) -> None:
    e = receive(provider, event("charge.dispute.updated", status=status))
    assert (e.stage, e.raw_status) == (stage, status)


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        ("fraudulent", "fraud"),
        ("unrecognized", "fraud"),
        ("duplicate", "duplicate"),
        ("product_not_received", "product_not_received"),
        ("subscription_canceled", "subscription_canceled"),
        ("credit_not_processed", "consumer_dispute"),
        ("product_unacceptable", "consumer_dispute"),
        ("debit_not_authorized", "authorization"),
        ("customer_initiated", "authorization"),
        ("bank_cannot_process", "authorization"),
        ("incorrect_account_details", "processing_error"),
        ("insufficient_funds", "processing_error"),
        ("general", "general"),
        ("check_returned", "check_returned"),
        ("noncompliant", "noncompliant"),
    ],
)
@pytest.mark.rule("C6")
def test_category(provider: StripeProvider, reason: str, category: str) -> None:
    e = receive(provider, event(reason=reason))
    assert (e.reason, e.category) == (reason, category)


WITHDRAWAL = {
    "id": "txn_1",
    "object": "balance_transaction",
    "amount": -4999,
    "fee": 1500,
    "currency": "usd",
    "type": "adjustment",
    "reporting_category": "dispute",
}
REINSTATEMENT = {
    "id": "txn_2",
    "object": "balance_transaction",
    "amount": 4999,
    "fee": -1500,
    "currency": "usd",
    "type": "adjustment",
    "reporting_category": "dispute_reversal",
}


@pytest.mark.parametrize(
    ("event_type", "transactions", "funds", "amount", "fee"),
    [
        ("charge.dispute.funds_withdrawn", [WITHDRAWAL], "withdrawn", "49.99", "15.00"),
        # Once reinstated, the dispute lists both: the event counts the money coming back.
        (
            "charge.dispute.funds_reinstated",
            [WITHDRAWAL, REINSTATEMENT],
            "reinstated",
            "49.99",
            "-15.00",
        ),
        ("charge.dispute.funds_withdrawn", [], "withdrawn", None, None),
    ],
)
def test_funds(
    provider: StripeProvider,
    event_type: str,
    transactions: list[dict[str, Any]],
    funds: str,
    amount: str | None,
    fee: str | None,
) -> None:
    e = receive(provider, event(event_type, balance_transactions=transactions))
    assert e.funds == funds
    assert e.funds_amount == (Decimal(amount) if amount else None)
    assert e.fee == (Decimal(fee) if fee else None)


def test_closed_event(provider: StripeProvider) -> None:
    e = receive(
        provider,
        event(
            "charge.dispute.closed",
            status="won",
            evidence_details={
                "due_by": None,
                "has_evidence": True,
                "past_due": False,
                "submission_count": 1,
            },
        ),
    )
    assert (e.type, e.stage, e.due_by, e.has_evidence, e.submission_count) == (
        "charge.dispute.closed",
        "won",
        None,
        True,
        1,
    )


@pytest.mark.parametrize(
    "event_type",
    ["charge.refunded", "payment_intent.succeeded", "radar.early_fraud_warning.created"],
)
def test_other_event_types_unhandled(provider: StripeProvider, event_type: str) -> None:
    with pytest.raises(Unhandled) as info:
        provider.parse(event(event_type))
    assert (info.value.event_id, info.value.event_type) == (EVENT["id"], event_type)


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ([], "body"),
        ({**EVENT, "object": "dispute"}, "object"),
        ({k: v for k, v in EVENT.items() if k != "id"}, "id"),
        ({**EVENT, "type": "charge.refunded", "id": "evt 1\n"}, "id"),
        ({**EVENT, "created": "yesterday"}, "created"),
        ({**EVENT, "data": {}}, "data.object"),
        (event(amount="49.99"), "data.object.amount"),
        (event(currency="dollars"), "data.object.currency"),
        (event(currency="eür"), "data.object.currency"),
        (event(evidence_details={"due_by": "soon"}), "due_by"),
        (event(id="dp bad id"), "dispute_id"),
        (
            event("charge.dispute.funds_withdrawn", balance_transactions=["txn_1"]),
            "balance_transactions",
        ),
    ],
)
def test_malformed_payload_refused(provider: StripeProvider, payload: Any, where: str) -> None:
    with rejected(422, where):
        provider.parse(payload)


def test_replay_window_and_ack() -> None:
    provider = StripeProvider(SECRET, tolerance_seconds=120)
    assert provider.replay_window.total_seconds() == 240
    assert (provider.name, provider.ack) == ("stripe", None)
    assert SECRET not in repr(provider)
