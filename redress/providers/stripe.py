"""`stripe`: Stripe's own webhook events about disputes, signed with `Stripe-Signature`.

Header `Stripe-Signature: t=<Unix seconds>,v1=<hex>[,v1=<hex>…]`: each `v1` is the
HMAC-SHA256, keyed with the endpoint's secret (`whsec_…`, used as-is), of `"{t}.{raw body}"`;
while a secret is being rolled Stripe sends one `v1` per active secret, and any one that
matches is enough. A delivery verifies for 300 s either side of `t`.

Body: a Stripe Event (`{"id": "evt_…", "object": "event", "type", "created", "account"?,
"data": {"object": <Dispute>}}`). The `charge.dispute.*` events map to `DisputeEvent`; any
other type is recorded and not acted on.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from redress.api.errors import printable, validation_detail
from redress.models.dispute import DisputeEvent, Stage
from redress.models.evidence import Category
from redress.models.values import INCOMING
from redress.providers import Inbound, Rejected, Unhandled, kind_for, single_header
from redress.providers import stripe_dispute as read

HEADER = "stripe-signature"
SCHEME = "v1"

EVENT_ID = re.compile(r"[\x21-\x7e]{1,200}")  # printable ASCII: recorded as it is
FUNDS = {
    "charge.dispute.funds_withdrawn": "withdrawn",
    "charge.dispute.funds_reinstated": "reinstated",
}

# Stripe's own table of minor units (https://docs.stripe.com/currencies): API amounts are
# in the currency's smallest unit; these have none, these three, every other one two.
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])

# The Stripe field each normalized date came from, for a refusal to name it.
SOURCES = {"occurred_at": "created", "due_by": "data.object.evidence_details.due_by"}

# Every `status` the Dispute object documents (stripe-python `_dispute.py`, 16.x): the stage
# it reports and the response stage it is about (warning_*: an inquiry; appeal_*: the
# appeal after a lost chargeback). A status Stripe adds later maps to no stage: recorded,
# not acted on.
STAGES: dict[str, Stage] = {
    "warning_needs_response": "needs_response",
    "needs_response": "needs_response",
    "appeal_needs_response": "needs_response",
    "warning_under_review": "under_review",
    "under_review": "under_review",
    "appeal_under_review": "under_review",
    "won": "won",
    "lost": "lost",
    "warning_closed": "withdrawn",  # an inquiry closed without becoming a chargeback
    "prevented": "withdrawn",  # resolved before it became a chargeback
}
ANSWERS = frozenset(s for s, stage in STAGES.items() if stage == "needs_response")

CATEGORIES: dict[str, Category] = {
    "fraudulent": "fraud",
    "unrecognized": "fraud",
    "duplicate": "duplicate",
    "product_not_received": "product_not_received",
    "subscription_canceled": "subscription_canceled",
    "credit_not_processed": "consumer_dispute",
    "product_unacceptable": "consumer_dispute",
    "debit_not_authorized": "authorization",
    "customer_initiated": "authorization",
    "bank_cannot_process": "authorization",
    "incorrect_account_details": "processing_error",
    "insufficient_funds": "processing_error",
    "check_returned": "check_returned",
    "noncompliant": "noncompliant",
    "general": "general",
}


def exponent(currency: str) -> int:
    """How many decimals Stripe's minor units of `currency` (upper-case) stand for."""
    if currency in ZERO_DECIMAL:
        return 0
    return 3 if currency in THREE_DECIMAL else 2


def major(minor: int, currency: str) -> Decimal:
    """`minor` units of `currency` in major units, exactly: 4999 USD → 49.99."""
    return Decimal(minor).scaleb(-exponent(currency))


class StripeProvider:
    name = "stripe"
    ack: dict[str, Any] | None = None

    def __init__(self, secret: str, merchant_id: str = "", tolerance_seconds: int = 300) -> None:
        self._secret = secret
        self.merchant_id = merchant_id
        self.tolerance_seconds = tolerance_seconds
        # A delivery verifies for the tolerance on either side of its timestamp.
        self.replay_window = timedelta(seconds=2 * tolerance_seconds)

    def __repr__(self) -> str:  # never show the secret
        return f"StripeProvider(merchant_id={self.merchant_id!r})"

    # --- signature ------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes, now: float | None = None) -> str:
        if not self._secret:
            raise Rejected(503, "REDRESS_STRIPE_WEBHOOK_SECRET is not configured")
        value = single_header(headers, HEADER)
        if value is None or not value.strip():
            raise Rejected(400, "Stripe-Signature: the header is missing")
        timestamp, signatures = _parse_header(value)
        signed = f"{timestamp}.".encode() + body
        expected = hmac.new(self._secret.encode(), signed, hashlib.sha256).hexdigest()
        # Compare with every entry (constant time each): no early exit on the first match.
        matches = [hmac.compare_digest(expected.encode(), s.encode()) for s in signatures]
        if not any(matches):
            raise Rejected(
                400,
                "Stripe-Signature: no v1 signature matches the body "
                "(wrong endpoint secret, or the body was changed)",
            )
        clock = time.time() if now is None else now
        if abs(clock - timestamp) > self.tolerance_seconds:
            raise Rejected(
                400, f"Stripe-Signature: timestamp outside the {self.tolerance_seconds} s tolerance"
            )
        # The matching signature is the one over this timestamp and body, in lower-case hex:
        # the same delivery gives the same identity whatever else the header holds.
        return f"{timestamp}.{hashlib.sha256(expected.encode()).hexdigest()}"

    # --- event ----------------------------------------------------------------------------

    def parse(self, payload: Any) -> Inbound:
        if not isinstance(payload, dict):
            raise Rejected(422, "body: expected a Stripe event object")
        event_id = payload.get("id")
        if not isinstance(event_id, str) or not EVENT_ID.fullmatch(event_id):
            raise Rejected(422, f"id: expected the event's ID (evt_…), got {_shown(event_id)}")
        if payload.get("object") != "event":
            raise Rejected(422, f"object: expected 'event', got {_shown(payload.get('object'))}")
        event_type = payload.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise Rejected(422, "type: expected the event's type")
        kind = kind_for(self.name, event_type)  # the registry: the kind that takes it
        if kind is None:
            raise Unhandled(event_id, event_type)
        created = _integer(payload.get("created"), "created")
        data = payload.get("data")
        dispute = data.get("object") if isinstance(data, dict) else None
        if not isinstance(dispute, dict):
            raise Rejected(422, "data.object: expected the Dispute object")
        if dispute.get("object", "dispute") != "dispute":
            raise Rejected(
                422, f"data.object.object: expected 'dispute', got {_shown(dispute.get('object'))}"
            )
        fields = self._map(event_id, event_type, created, payload.get("account"), dispute)
        try:
            event = DisputeEvent.model_validate(fields, context=INCOMING)
        except ValidationError as err:
            raise Rejected(422, validation_detail(err)) from err
        event = event.named(SOURCES)  # the intake's date checks name Stripe's fields
        return Inbound(kind=kind, event=event, event_id=event.event_id)

    def _map(
        self, event_id: str, event_type: str, created: int, account: Any, dispute: dict[str, Any]
    ) -> dict[str, Any]:
        where = "data.object"
        currency_raw = dispute.get("currency")
        if not (isinstance(currency_raw, str) and re.fullmatch(r"[A-Za-z]{3}", currency_raw)):
            raise Rejected(
                422, f"{where}.currency: expected a 3-letter ISO code, got {_shown(currency_raw)}"
            )
        currency = currency_raw.upper()
        amount = _integer(dispute.get("amount"), f"{where}.amount")
        if amount <= 0:  # a dispute is over money taken: never nothing, never a credit
            raise Rejected(
                422, f"{where}.amount: expected a positive amount in minor units, got {amount}"
            )
        metadata = dispute.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        details = dispute.get("evidence_details")
        details = details if isinstance(details, dict) else {}
        status = dispute.get("status")
        reason = dispute.get("reason")
        due_by = details.get("due_by")
        if due_by is not None:
            due_by = _integer(due_by, f"{where}.evidence_details.due_by")
        # due_by 0 ("the customer's bank doesn't allow a response"), or none while the status
        # asks for one: nothing can be answered, no deadline to count.
        answers = isinstance(status, str) and status in ANSWERS
        no_response = answers and not due_by
        card = read.card(dispute.get("payment_method_details"))
        fields: dict[str, Any] = {
            "event_id": event_id,
            "type": event_type,
            "provider": "stripe",
            "dispute_id": dispute.get("id"),
            "occurred_at": _instant(created, "created"),
            "merchant_id": self._merchant(account, metadata),
            "stage": STAGES.get(status) if isinstance(status, str) else None,
            "raw_status": status,
            "amount": major(amount, currency),
            "currency": currency,
            "reason": reason,
            "category": CATEGORIES.get(reason, "general") if isinstance(reason, str) else "general",
            "due_by": (
                None if not due_by else _instant(due_by, f"{where}.evidence_details.due_by")
            ),
            "no_response": no_response,
            "defendable": (not no_response) if answers else None,
            "phase": read.phase(status, card),
            "charge": dispute.get("charge"),
            "has_evidence": details.get("has_evidence"),
            "submission_count": details.get("submission_count"),
            "is_charge_refundable": dispute.get("is_charge_refundable"),
            "network": read.network(dispute.get("payment_method_details")),
            "enhanced_eligibility": read.eligibility(dispute, details),
        }
        funds = FUNDS.get(event_type)
        if funds is not None:
            fields["funds"] = funds
            fields["funds_amount"], fields["fee"], fields["funds_currency"] = _moved(
                dispute.get("balance_transactions"), funds, currency
            )
        return fields

    def _merchant(self, account: Any, metadata: dict[str, Any]) -> str:
        """The Connect account the event is about, else the dispute's
        `metadata.merchant_id`, else the configured merchant."""
        for candidate in (account, metadata.get("merchant_id"), self.merchant_id):
            if isinstance(candidate, str) and candidate:
                return candidate
        raise Rejected(
            422,
            "no merchant: the event has no Connect `account`, the dispute no "
            "`metadata.merchant_id`, and REDRESS_STRIPE_MERCHANT_ID is not set",
        )


def _parse_header(value: str) -> tuple[int, list[str]]:
    """`t` and the `v1` entries of a `Stripe-Signature` value; other schemes are ignored."""
    timestamps: list[str] = []
    signatures: list[str] = []
    for item in value.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep or not key:
            raise Rejected(400, f"Stripe-Signature: cannot read {printable(item.strip()[:40])!r}")
        if key == "t":
            timestamps.append(val.strip())
        elif key == SCHEME:
            signatures.append(val.strip())
    if len(timestamps) != 1:
        raise Rejected(
            400, "Stripe-Signature: " + ("no timestamp (t=)" if not timestamps else "t= twice")
        )
    if not (timestamps[0].isascii() and timestamps[0].isdigit()) or len(timestamps[0]) > 12:
        raise Rejected(400, "Stripe-Signature: the timestamp (t=) is not Unix seconds")
    if not signatures:
        raise Rejected(400, "Stripe-Signature: no v1 signature")
    return int(timestamps[0]), signatures


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Rejected(422, f"{where}: expected an integer, got {_shown(value)}")
    return value


def _instant(seconds: int, where: str) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as err:
        raise Rejected(422, f"{where}: {seconds} is not a Unix time") from err


def _moved(
    transactions: Any, funds: str, currency: str
) -> tuple[Decimal | None, Decimal | None, str | None]:
    """What a funds_withdrawn / funds_reinstated event moved, in major units: the amount and
    the fees of its balance transactions, and their currency (the balance's, which may not
    be the dispute's).

    The dispute lists zero, one or two of them: the withdrawal (amount < 0) and, once funds
    come back, the reinstatement (amount > 0). A reinstatement event counts the positive
    one, a withdrawal event the negative one (if the list holds only the other direction,
    all of it): summing both would give 0."""
    if transactions is None or transactions == []:
        return None, None, None
    if not isinstance(transactions, list):
        raise Rejected(422, "data.object.balance_transactions: expected a list")
    rows: list[tuple[int, int, str]] = []
    for i, txn in enumerate(transactions):
        where = f"data.object.balance_transactions.{i}"
        if not isinstance(txn, dict):
            raise Rejected(422, f"{where}: expected a balance transaction object (expanded)")
        amount = _integer(txn.get("amount"), f"{where}.amount")
        fee = _integer(txn.get("fee", 0), f"{where}.fee")
        cur = txn.get("currency")
        rows.append((amount, fee, cur.upper() if isinstance(cur, str) and cur else currency))
    wanted = [r for r in rows if (r[0] < 0 if funds == "withdrawn" else r[0] > 0)] or rows
    moved = wanted[0][2]  # one balance, one currency: rows in another are not summed in
    wanted = [r for r in wanted if r[2] == moved]
    total = sum((major(a, c) for a, _, c in wanted), Decimal(0))
    fees = sum((major(f, c) for _, f, c in wanted), Decimal(0))
    return abs(total), fees, moved


def _shown(value: Any) -> str:
    return printable(repr(value)[:60])
