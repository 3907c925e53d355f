"""AntomProvider: notifyDispute signed by Antom's own SDK (`signature_tool.sign`, with a
fresh RSA key pair) and mapped to `DisputeEvent`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from com.alipay.ams.api.tools import signature_tool
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.datastructures import Headers

from redress import kinds
from redress.models.dispute import DisputeEvent
from redress.providers import Rejected, Unhandled
from redress.providers.antom import AntomProvider
from tests.providers.samples import ANTOM_CREATED as CREATED
from tests.providers.samples import CLIENT_ID, NOTIFY_TIME, PATH


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    """Antom's key pair: the private key as the SDK takes it (PKCS#1 "RSA PRIVATE KEY"),
    the public key as Antom's dashboard gives it (PEM)."""
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
    assert "BEGIN RSA PRIVATE KEY" in private
    return private, public


@pytest.fixture
def provider(keys: tuple[str, str]) -> AntomProvider:
    return AntomProvider(keys[1], CLIENT_ID, merchant_id="M-ACME", notify_path=PATH)


def signed(
    keys: tuple[str, str],
    payload: dict[str, Any],
    request_time: str | None = None,
    client_id: str = CLIENT_ID,
    path: str = PATH,
) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload)
    req_time = request_time or str(int(time.time() * 1000))
    signature = signature_tool.sign("POST", path, client_id, req_time, body, keys[0])
    headers = {
        "Content-Type": "application/json; charset=UTF-8",
        "Client-Id": client_id,
        "Request-Time": req_time,
        "Signature": f"algorithm=RSA256,keyVersion=1,signature={signature}",
    }
    return headers, body.encode()


@contextmanager
def rejected(status: int, match: str = "") -> Iterator[None]:
    with pytest.raises(Rejected, match=match) as info:
        yield
    assert info.value.status == status, info.value.message


def mapped(provider: AntomProvider, **fields: Any) -> DisputeEvent:
    payload = {k: v for k, v in {**CREATED, **fields}.items() if v is not None}
    inbound = provider.parse(payload)
    assert inbound.kind is kinds.KINDS["dispute"]
    assert isinstance(inbound.event, DisputeEvent)
    assert inbound.event_id == inbound.event.event_id
    return inbound.event


# --- signature ----------------------------------------------------------------------------


def test_valid_signature_accepted_and_mapped(
    provider: AntomProvider, keys: tuple[str, str]
) -> None:
    headers, body = signed(keys, CREATED, request_time="1736219357000")
    identity = provider.verify(headers, body, now=1736219357.0)
    assert identity.startswith(f"{CLIENT_ID}.1736219357000.")
    assert len(identity.rsplit(".", 1)[1]) == 32
    e = provider.parse(json.loads(body)).event
    assert isinstance(e, DisputeEvent)
    assert e.event_id == f"{CREATED['disputeId']}:{NOTIFY_TIME}"
    assert (e.type, e.provider, e.dispute_id) == (
        "DISPUTE_CREATED",
        "antom",
        "202501061900000000000012345",
    )
    assert e.occurred_at == datetime(2025, 1, 7, 3, 9, 17, tzinfo=UTC)
    assert e.merchant_id == "M-ACME"
    assert (e.stage, e.raw_status) == ("needs_response", "DISPUTE_CREATED")
    assert (e.amount, e.currency) == (Decimal("14204"), "KRW")
    assert (e.reason, e.category) == ("13.1", "product_not_received")
    assert e.due_by == datetime(2025, 1, 14, 3, 9, 16, tzinfo=UTC)
    assert e.charge == "20250106194010800100188170212345678"
    assert e.defendable is True


def test_signature_checked_by_the_sdk_too(keys: tuple[str, str]) -> None:
    headers, body = signed(keys, CREATED)
    encoded = headers["Signature"].rsplit("signature=", 1)[1]
    assert signature_tool.verify(
        "POST", PATH, CLIENT_ID, headers["Request-Time"], body.decode(), encoded, keys[1]
    )


def test_ack_is_antoms_required_body(provider: AntomProvider) -> None:
    assert provider.ack == {
        "result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}
    }
    assert (provider.name, provider.replay_window.total_seconds()) == ("antom", 600)


def test_bare_base64_key(keys: tuple[str, str]) -> None:
    bare = "".join(line for line in keys[1].splitlines() if "-----" not in line)
    provider = AntomProvider(bare, CLIENT_ID, notify_path=PATH)
    assert provider.verify(*signed(keys, CREATED))


def test_tampered_body_refused(provider: AntomProvider, keys: tuple[str, str]) -> None:
    headers, body = signed(keys, CREATED)
    with rejected(400, "does not verify"):
        provider.verify(headers, body.replace(b"14204", b"94204"))


def test_other_path_refused(keys: tuple[str, str]) -> None:
    provider = AntomProvider(keys[1], CLIENT_ID, notify_path="/other")
    with rejected(400, "does not verify"):
        provider.verify(*signed(keys, CREATED))


def test_wrong_client_id_refused(provider: AntomProvider, keys: tuple[str, str]) -> None:
    with rejected(400, "client-id"):
        provider.verify(*signed(keys, CREATED, client_id="SANDBOX_SOMEONE_ELSE"))


@pytest.mark.parametrize("age", [301, -301, 86_400])
def test_stale_request_time_refused(
    provider: AntomProvider, keys: tuple[str, str], age: int
) -> None:
    headers, body = signed(keys, CREATED, request_time=str(int((time.time() - age) * 1000)))
    with rejected(400, "request-time: outside the 300 s tolerance"):
        provider.verify(headers, body)


def test_iso_request_time_accepted(provider: AntomProvider, keys: tuple[str, str]) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    headers, body = signed(keys, CREATED, request_time=now.isoformat())
    assert provider.verify(headers, body).startswith(f"{CLIENT_ID}.{now.isoformat()}.")


@pytest.mark.parametrize("key", ["", "   ", "not a key"])
def test_no_public_key(keys: tuple[str, str], key: str) -> None:
    with rejected(503, "REDRESS_ANTOM_PUBLIC_KEY is not"):
        AntomProvider(key, CLIENT_ID).verify(*signed(keys, CREATED))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"Signature": None}, "signature header is missing"),
        ({"Client-Id": None}, "client-id header is missing"),
        ({"Request-Time": None}, "request-time header is missing"),
        ({"Request-Time": "yesterday"}, "neither milliseconds"),
        ({"Request-Time": "2025-01-06T19:09:16"}, "UTC offset"),
        ({"Signature": "algorithm=RSA512,keyVersion=1,signature=AAAA"}, "must be RSA256"),
        ({"Signature": "algorithm=RSA256,keyVersion=1"}, "no signature="),
        ({"Signature": "algorithm=RSA256,signature=%%%"}, "not URL-encoded Base64"),
        ({"Signature": "garbage"}, "cannot read"),
    ],
)
def test_bad_headers_refused(
    provider: AntomProvider, keys: tuple[str, str], change: dict[str, str | None], reason: str
) -> None:
    headers, body = signed(keys, CREATED)
    headers = {k: v for k, v in {**headers, **change}.items() if v is not None}
    with rejected(400, reason):
        provider.verify(headers, body)


def test_header_given_twice_refused(provider: AntomProvider, keys: tuple[str, str]) -> None:
    headers, body = signed(keys, CREATED)
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"request-time", headers["Request-Time"].encode()))
    with rejected(400, "request-time header is given more than once"):
        provider.verify(Headers(raw=raw), body)


def test_same_notification_same_identity(provider: AntomProvider, keys: tuple[str, str]) -> None:
    headers, body = signed(keys, CREATED)
    identity = provider.verify(headers, body)
    lower = {**headers, "Signature": headers["Signature"].replace("%2B", "%2b")}
    assert provider.verify(lower, body) == identity  # the same signature bytes


# --- mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "stage", "raw_status"),
    [
        ({"disputeNotificationType": "DISPUTE_CREATED"}, "needs_response", "DISPUTE_CREATED"),
        ({"disputeNotificationType": "DEFENSE_SUPPLIED"}, "under_review", "DEFENSE_SUPPLIED"),
        (
            {
                "disputeNotificationType": "DISPUTE_JUDGED",
                "disputeJudgedResult": "ACCEPT_BY_CUSTOMER",
            },
            "won",
            "ACCEPT_BY_CUSTOMER",
        ),
        (
            {
                "disputeNotificationType": "DISPUTE_JUDGED",
                "disputeJudgedResult": "ACCEPT_BY_MERCHANT",
            },
            "lost",
            "ACCEPT_BY_MERCHANT",
        ),
        (
            {
                "disputeNotificationType": "DISPUTE_JUDGED",
                "disputeJudgedResult": "VALIDATE_SUCCESS",
            },
            "under_review",
            "VALIDATE_SUCCESS",
        ),
        (
            {"disputeNotificationType": "DISPUTE_JUDGED", "disputeJudgedResult": "VALIDATE_FAIL"},
            "needs_response",
            "VALIDATE_FAIL",
        ),
        ({"disputeNotificationType": "DISPUTE_CANCELLED"}, "withdrawn", "DISPUTE_CANCELLED"),
        ({"disputeNotificationType": "DISPUTE_ACCEPTED"}, "accepted", "DISPUTE_ACCEPTED"),
        ({"disputeNotificationType": "RDR_RESOLVED"}, "accepted", "RDR_RESOLVED"),
        ({"disputeNotificationType": "DEFENSE_DUE_ALERT"}, None, "DEFENSE_DUE_ALERT"),
    ],
)
def test_notification_types(
    provider: AntomProvider, fields: dict[str, str], stage: str | None, raw_status: str
) -> None:
    e = mapped(provider, **fields)
    assert (e.type, e.stage, e.raw_status) == (
        fields["disputeNotificationType"],
        stage,
        raw_status,
    )
    assert e.event_id == f"{CREATED['disputeId']}:{NOTIFY_TIME}"


def test_not_defendable(provider: AntomProvider) -> None:
    e = mapped(provider, defendable="false")
    assert (e.stage, e.defendable) == ("needs_response", False)


@pytest.mark.parametrize(
    ("kind", "own", "when"),
    [
        ("DISPUTE_CREATED", "disputeTime", "2025-01-06T19:09:16-08:00"),
        ("DISPUTE_JUDGED", "disputeJudgedTime", "2025-02-01T10:00:00+08:00"),
        ("DISPUTE_CANCELLED", "disputeCancelledTime", "2025-01-20T10:00:00+08:00"),
        ("DEFENSE_SUPPLIED", "defenseSuppliedTime", "2025-01-10T10:00:00+08:00"),
        ("DISPUTE_ACCEPTED", "disputeAcceptTime", "2025-01-09T10:00:00+08:00"),
        ("DEFENSE_DUE_ALERT", "disputeTime", "2025-01-06T19:09:16-08:00"),
    ],
)
def test_event_id_without_notify_time(
    provider: AntomProvider, kind: str, own: str, when: str
) -> None:
    e = mapped(provider, notifyTime=None, disputeNotificationType=kind, **{own: when})
    assert e.event_id == f"{CREATED['disputeId']}:{kind}:{when}"
    assert e.occurred_at == datetime.fromisoformat(when)


def test_no_time_at_all(provider: AntomProvider) -> None:
    with rejected(422, "disputeCancelledTime"):
        mapped(provider, notifyTime=None, disputeNotificationType="DISPUTE_CANCELLED")


def test_judged_amount_is_money_moved(provider: AntomProvider) -> None:
    """disputeJudgedAmount is "the deduction amount of the dispute" (notifyDispute): money
    moved in its own currency, never the disputed amount."""
    e = mapped(
        provider,
        disputeNotificationType="DISPUTE_JUDGED",
        disputeJudgedResult="ACCEPT_BY_MERCHANT",
        disputeAmount=None,
        disputeJudgedAmount={"currency": "USD", "value": "1050"},
    )
    assert (e.amount, e.currency) == (None, None)
    assert (e.funds, e.funds_amount, e.funds_currency) == ("deducted", Decimal("10.50"), "USD")


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("10.4", "fraud"),
        ("11.3", "authorization"),
        ("12.6.1", "duplicate"),
        ("12.5", "processing_error"),
        ("13.1", "product_not_received"),
        ("13.2", "subscription_canceled"),
        ("13.3", "consumer_dispute"),
        ("13.7", "consumer_dispute"),
        ("4837", "fraud"),
        ("4808", "authorization"),
        ("4834", "duplicate"),
        ("4855", "product_not_received"),
        ("4841", "subscription_canceled"),
        ("4853", "consumer_dispute"),
        ("F29", "fraud"),
        ("2006", "fraud"),
        ("2102", "authorization"),
        ("2201", "processing_error"),
        ("548", "fraud"),
        ("522", "authorization"),
        ("UA02", "fraud"),
        ("DA", "authorization"),
        ("C08", "general"),
    ],
)
@pytest.mark.rule("C6")
def test_category(provider: AntomProvider, code: str, category: str) -> None:
    e = mapped(provider, disputeReasonCode=code)
    assert (e.reason, e.category) == (code, category)


def test_reason_message_when_no_code(provider: AntomProvider) -> None:
    e = mapped(provider, disputeReasonCode=None)
    assert (e.reason, e.category) == ("Merchandise/Services Not Received", "general")


@pytest.mark.parametrize(
    ("client_id", "merchant_id", "merchant"),
    [(CLIENT_ID, "M-ACME", "M-ACME"), (CLIENT_ID, "", CLIENT_ID), ("", "", None)],
)
def test_merchant(
    keys: tuple[str, str], client_id: str, merchant_id: str, merchant: str | None
) -> None:
    provider = AntomProvider(keys[1], client_id, merchant_id=merchant_id)
    if merchant is None:
        with rejected(422, "no merchant"):
            provider.parse(CREATED)
    else:
        assert mapped(provider).merchant_id == merchant


def test_unknown_type_unhandled(provider: AntomProvider) -> None:
    with pytest.raises(Unhandled) as info:
        provider.parse({**CREATED, "disputeNotificationType": "DISPUTE_ESCALATED"})
    assert info.value.event_id == f"{CREATED['disputeId']}:{NOTIFY_TIME}"
    assert info.value.event_type == "DISPUTE_ESCALATED"


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ([], "body"),
        ({k: v for k, v in CREATED.items() if k != "disputeId"}, "disputeId"),
        (
            {k: v for k, v in CREATED.items() if k != "disputeNotificationType"},
            "disputeNotificationType",
        ),
        ({**CREATED, "notifyTime": "soon"}, "notifyTime"),
        ({**CREATED, "disputeNotificationType": "NEW", "disputeId": "x" * 300}, "event ID"),
        ({**CREATED, "defenseDueTime": "2025-01-13T19:09:16"}, "defenseDueTime"),
        (
            {**CREATED, "disputeAmount": {"currency": "KRW", "value": "14.204"}},
            "disputeAmount.value",
        ),
        ({**CREATED, "disputeAmount": {"currency": "KRÜ", "value": "1"}}, "disputeAmount.currency"),
        ({**CREATED, "disputeId": "2025/01/06"}, "dispute_id"),
    ],
)
def test_malformed_payload_refused(provider: AntomProvider, payload: Any, where: str) -> None:
    with rejected(422, where):
        provider.parse(payload)
