"""`antom`: Antom's `notifyDispute` notifications, signed with Antom's RSA key.

Headers `client-id`, `request-time` (milliseconds since the epoch, or ISO 8601) and
`signature: algorithm=RSA256,keyVersion=1,signature=<URL-encoded Base64>`; the signature
is RSA PKCS#1 v1.5 with SHA-256, by Antom's private key, over
`"POST {notification path}\\n{client-id}.{request-time}.{raw body}"`
(https://docs.antom.com/ac/ams/digital_signature). A notification verifies for 300 s either
side of its request-time.

Body (https://docs.antom.com/ac/ams/notify_dispute): every value a string, amounts
`{"currency", "value"}` in minor units. Antom resends a notification until it is answered
with its own success body (`ack`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pydantic import ValidationError

from redress.api.errors import printable, validation_detail
from redress.models.dispute import DisputeEvent, Phase, Stage
from redress.models.values import INCOMING
from redress.providers import Inbound, Rejected, Unhandled, kind_for, single_header
from redress.providers.antom_reasons import category

ACK: dict[str, Any] = {
    "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}
}

EVENT_ID = re.compile(r"[\x21-\x7e]{1,200}")  # printable ASCII: recorded as it is

# disputeNotificationType → the stage it reports (DISPUTE_JUDGED: by its result, below).
STAGES: dict[str, Stage | None] = {
    "DISPUTE_CREATED": "needs_response",
    "DEFENSE_SUPPLIED": "under_review",
    "DISPUTE_JUDGED": None,
    "DISPUTE_CANCELLED": "withdrawn",
    "DISPUTE_ACCEPTED": "accepted",
    "RDR_RESOLVED": "accepted",  # settled by Visa's Rapid Dispute Resolution: refunded
    "DEFENSE_DUE_ALERT": None,  # a reminder that the defence is due within 24 h
}
# disputeJudgedResult (global-open-sdk-python `DisputeJudgedResult`): ACCEPT_BY_CUSTOMER,
# the customer bears it; ACCEPT_BY_MERCHANT, the merchant does (disputeJudgedAmount is
# deducted); VALIDATE_SUCCESS / VALIDATE_FAIL judge the materials uploaded for a retrieval
# (or compliance) request, not the dispute: accepted, the request waits on the network;
# refused, they must be supplied again (a person decides: never the policy on its own).
JUDGED: dict[str, Stage] = {
    "ACCEPT_BY_CUSTOMER": "won",
    "ACCEPT_BY_MERCHANT": "lost",
    "VALIDATE_SUCCESS": "under_review",
    "VALIDATE_FAIL": "needs_response",
}
VALIDATION = frozenset({"VALIDATE_SUCCESS", "VALIDATE_FAIL"})
# disputeType (global-open-sdk-python `DisputeType`) → the response stage it is about.
PHASES: dict[str, Phase] = {
    "CHARGEBACK": "chargeback",
    "RETRIEVAL_REQUEST": "retrieval",
    "COMPLIANCE_REQUEST": "compliance",
}
# The notification's own time, where its type has one; every other type: disputeTime.
OWN_TIME = {
    "DISPUTE_JUDGED": "disputeJudgedTime",
    "DISPUTE_CANCELLED": "disputeCancelledTime",
    "DEFENSE_SUPPLIED": "defenseSuppliedTime",
    "DISPUTE_ACCEPTED": "disputeAcceptTime",
}

# ISO 4217 minor units (Antom amounts are in the currency's smallest unit); others: 2.
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL = frozenset(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"])
FOUR_DECIMAL = frozenset(["CLF", "UYW"])


def exponent(currency: str) -> int:
    if currency in ZERO_DECIMAL:
        return 0
    if currency in THREE_DECIMAL:
        return 3
    return 4 if currency in FOUR_DECIMAL else 2


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """Antom's public key, as a full PEM or as the bare Base64 body the dashboard shows."""
    text = text.strip().replace("\\n", "\n")  # an env file may hold the newlines escaped
    if "-----BEGIN" in text:
        key = serialization.load_pem_public_key(text.encode())
    else:  # the PEM body without its markers: the DER key in Base64
        key = serialization.load_der_public_key(base64.b64decode("".join(text.split())))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def _header(headers: Mapping[str, str], name: str) -> str:
    """The one value of header `name`, which must be there."""
    value = single_header(headers, name)
    if value is None or not value.strip():
        raise Rejected(400, f"the {name} header is missing")
    return value.strip()


class AntomProvider:
    name = "antom"

    def __init__(
        self,
        public_key: str,
        client_id: str,
        merchant_id: str = "",
        notify_path: str = "/webhooks/antom",
        tolerance_seconds: int = 300,
    ) -> None:
        self.client_id = client_id
        self.merchant_id = merchant_id
        self.notify_path = notify_path
        self.tolerance_seconds = tolerance_seconds
        # A delivery verifies for the tolerance on either side of its request-time.
        self.replay_window = timedelta(seconds=2 * tolerance_seconds)
        self.ack: dict[str, Any] | None = {"result": dict(ACK["result"])}
        self._key: rsa.RSAPublicKey | None = None
        self._key_error: str | None = None
        if not public_key.strip():
            self._key_error = "REDRESS_ANTOM_PUBLIC_KEY is not configured"
        else:
            try:
                self._key = load_public_key(public_key)
            except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm) as err:
                self._key_error = f"REDRESS_ANTOM_PUBLIC_KEY is not an RSA public key ({err})"

    def __repr__(self) -> str:
        return f"AntomProvider(client_id={self.client_id!r}, notify_path={self.notify_path!r})"

    # --- signature ------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes, now: float | None = None) -> str:
        if self._key is None:
            raise Rejected(503, self._key_error or "REDRESS_ANTOM_PUBLIC_KEY is not configured")
        signature_header = _header(headers, "signature")
        client_id = _header(headers, "client-id")
        request_time = _header(headers, "request-time")
        if self.client_id and client_id != self.client_id:
            raise Rejected(
                400, f"client-id: {printable(client_id[:64])!r} is not this merchant's client ID"
            )
        sent = _request_time(request_time)
        signature = _signature(signature_header)
        content = f"POST {self.notify_path}\n{client_id}.{request_time}.".encode() + body
        try:
            self._key.verify(signature, content, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as err:
            raise Rejected(
                400,
                "signature: does not verify with Antom's public key over this body, "
                f"client-id, request-time and path {self.notify_path!r}",
            ) from err
        clock = time.time() if now is None else now
        if abs(clock - sent) > self.tolerance_seconds:
            raise Rejected(400, f"request-time: outside the {self.tolerance_seconds} s tolerance")
        # RSA PKCS#1 v1.5 is deterministic: the same notification, the same signature bytes
        # (however its Base64 was URL-encoded).
        digest = hashlib.sha256(signature).hexdigest()[:32]
        return f"{client_id}.{request_time}.{digest}"

    # --- notification ---------------------------------------------------------------------

    def parse(self, payload: Any) -> Inbound:
        if not isinstance(payload, dict):
            raise Rejected(422, "body: expected a notifyDispute object")
        dispute_id = _required(payload, "disputeId")
        kind = _required(payload, "disputeNotificationType")
        notify_time = _text(payload, "notifyTime")
        own_field = OWN_TIME.get(kind, "disputeTime")
        own_time = _text(payload, own_field)
        result = _text(payload, "disputeJudgedResult") if kind == "DISPUTE_JUDGED" else None
        if notify_time:
            event_id = f"{dispute_id}:{notify_time}"
        elif own_time:
            event_id = f"{dispute_id}:{kind}:{own_time}"
        else:  # a judged notification need not say when (its time is not required)
            event_id = f"{dispute_id}:{kind}" + (f":{result}" if result else "")
        if not EVENT_ID.fullmatch(event_id):
            shown = printable(repr(event_id)[:80])
            raise Rejected(422, f"disputeId, notifyTime: no usable event ID from them ({shown})")
        case_kind = kind_for(self.name, kind)  # the registry: the kind that takes it
        if case_kind is None or kind not in STAGES:
            raise Unhandled(event_id, kind)
        if notify_time:
            occurred_at = _instant(notify_time, "notifyTime")
        elif own_time:
            occurred_at = _instant(own_time, own_field)
        elif kind == "DISPUTE_JUDGED":  # dated when it reached us: the newest word on it
            occurred_at = datetime.now(UTC).replace(microsecond=0)
        else:
            raise Rejected(422, f"{own_field}: required for {kind} when there is no notifyTime")
        stage = STAGES[kind]
        raw_status = kind
        if kind == "DISPUTE_JUDGED":
            stage = JUDGED.get(result or "")
            raw_status = result or kind
        amount, currency = _amount(payload, "disputeAmount")
        deducted, deducted_in = _amount(payload, "disputeJudgedAmount")
        dispute_type = _text(payload, "disputeType")
        phase: Phase | None = PHASES.get(dispute_type or "")
        if result in VALIDATION and phase is None:
            phase = "retrieval"
        elif kind == "DISPUTE_CREATED" and dispute_type is None:
            phase = "chargeback"  # a notification of chargeback (NoC) unless it says else
        code = _text(payload, "disputeReasonCode")
        due = _text(payload, "defenseDueTime")
        fields: dict[str, Any] = {
            "event_id": event_id,
            "type": kind,
            "provider": "antom",
            "dispute_id": dispute_id,
            "occurred_at": occurred_at,
            "merchant_id": self._merchant(),
            "stage": stage,
            "raw_status": raw_status,
            "amount": amount,
            "currency": currency,
            "reason": code or _text(payload, "disputeReasonMsg"),
            "category": category(code),
            "due_by": _instant(due, "defenseDueTime") if due else None,
            "charge": _text(payload, "paymentId"),
            "defendable": _boolean(payload.get("defendable")),
            "phase": phase,
            "network": _network(_text(payload, "disputeSource")),
        }
        if deducted is not None:  # what the judgement took: money moved, not the disputed sum
            fields.update(funds="deducted", funds_amount=deducted, funds_currency=deducted_in)
        try:
            event = DisputeEvent.model_validate(fields, context=INCOMING)
        except ValidationError as err:
            raise Rejected(422, validation_detail(err)) from err
        # The intake's date checks name Antom's own fields.
        event = event.named(
            {"occurred_at": "notifyTime" if notify_time else own_field, "due_by": "defenseDueTime"}
        )
        return Inbound(kind=case_kind, event=event, event_id=event.event_id)

    def _merchant(self) -> str:
        if self.merchant_id or self.client_id:
            return self.merchant_id or self.client_id
        raise Rejected(
            422, "no merchant: set REDRESS_ANTOM_MERCHANT_ID (or REDRESS_ANTOM_CLIENT_ID)"
        )


def _signature(value: str) -> bytes:
    """The signature bytes of `algorithm=RSA256,keyVersion=1,signature=<URL-encoded Base64>`."""
    parts: dict[str, str] = {}
    for item in value.split(","):
        key, sep, val = item.strip().partition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise Rejected(400, f"signature: cannot read {printable(item.strip()[:40])!r}")
        if key in parts:
            raise Rejected(400, f"signature: {key} is given twice")
        parts[key] = val.strip()
    algorithm = parts.get("algorithm")
    if algorithm != "RSA256":
        shown = printable(repr(algorithm)[:40])
        raise Rejected(400, f"signature: algorithm must be RSA256, got {shown}")
    encoded = parts.get("signature")
    if not encoded:
        raise Rejected(400, "signature: no signature= entry")
    try:
        # URL-decoded (not `+` → space: Base64 has no spaces, and a raw `+` is Base64's).
        raw = base64.b64decode(unquote(encoded), validate=True)
    except (binascii.Error, ValueError) as err:
        raise Rejected(400, "signature: the signature is not URL-encoded Base64") from err
    if not raw:
        raise Rejected(400, "signature: the signature is empty")
    return raw


def _request_time(value: str) -> float:
    """Unix seconds of a `request-time`: milliseconds since the epoch, or ISO 8601."""
    if value.isascii() and value.isdigit():
        if len(value) > 15:
            raise Rejected(400, "request-time: not milliseconds since the epoch")
        return int(value) / 1000
    try:
        when = datetime.fromisoformat(value)
    except ValueError as err:
        raise Rejected(
            400, "request-time: neither milliseconds since the epoch nor ISO 8601"
        ) from err
    if when.tzinfo is None:
        raise Rejected(400, "request-time: an ISO 8601 time needs its UTC offset")
    return when.timestamp()


def _required(payload: dict[str, Any], name: str) -> str:
    value = _text(payload, name)
    if value is None:
        raise Rejected(422, f"{name}: required")
    return value


def _text(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Rejected(422, f"{name}: expected a string, got {printable(repr(value)[:40])}")
    return value


def _instant(value: str, name: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError as err:
        raise Rejected(422, f"{name}: {printable(value[:40])!r} is not ISO 8601") from err
    if when.tzinfo is None:
        raise Rejected(422, f"{name}: {printable(value[:40])!r} has no UTC offset")
    return when


def _amount(payload: dict[str, Any], name: str) -> tuple[Decimal | None, str | None]:
    """An Amount field (disputeAmount: what is disputed; disputeJudgedAmount: what the
    judgement deducted), in major units, and its currency."""
    raw = payload.get(name)
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise Rejected(422, f"{name}: expected {{currency, value}}")
    currency = raw.get("currency")
    if not (isinstance(currency, str) and re.fullmatch(r"[A-Za-z]{3}", currency)):
        raise Rejected(422, f"{name}.currency: expected a 3-letter ISO code")
    value = raw.get("value")
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        minor = int(value)
    elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        minor = value
    else:
        raise Rejected(422, f"{name}.value: expected the amount in minor units")
    if minor == 0 and name == "disputeAmount":
        # What is disputed is money taken; a judged amount of 0 (nothing deducted) is a fact.
        raise Rejected(422, f"{name}.value: expected a positive amount in minor units, got 0")
    currency = currency.upper()
    return Decimal(minor).scaleb(-exponent(currency)), currency


def _network(source: str | None) -> str | None:
    """`disputeSource`, "the card scheme that handles the dispute" (负责处理争议的银行卡组织;
    returned on DISPUTE_CREATED and DISPUTE_JUDGED): `Visa` → `visa`, `Mastercard` →
    `mastercard`; another scheme (`Shinhan`, a Korean local card) by its own name, which the
    monitoring figures show apart."""
    if not source or not source.isascii():
        return None
    name = re.sub(r"[\s-]+", "_", source.strip().lower())[:32]
    return name or None


def _boolean(value: Any) -> bool | None:
    """Antom sends "true"/"false" (its guide's example shows a JSON boolean: both read)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
