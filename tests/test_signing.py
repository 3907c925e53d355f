"""Tests for redress.api.signing (Standard Webhooks)."""

from __future__ import annotations

import base64

import pytest

from redress.api.signing import WebhookSigner, WebhookVerificationError, generate_secret

# Published Standard Webhooks test vector.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIG = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

NOW = 1_700_000_000
BODY = b'{"type": "complaint.resolved", "case_id": "c-1"}'


@pytest.fixture
def signer() -> WebhookSigner:
    return WebhookSigner(generate_secret())


def test_known_answer_vector() -> None:
    signer = WebhookSigner(VECTOR_SECRET)
    assert signer.sign(VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIG
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TS),
        "webhook-signature": VECTOR_SIG,
    }
    signer.verify(headers, VECTOR_BODY, now=VECTOR_TS)


def test_secret_without_prefix_accepted() -> None:
    signer = WebhookSigner(VECTOR_SECRET.removeprefix("whsec_"))
    assert signer.sign(VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIG


@pytest.mark.parametrize("secret", ["whsec_not base64!", "whsec_a", "whsec_ab-_cd", "whsec_", ""])
def test_invalid_secret_rejected(secret: str) -> None:
    with pytest.raises(ValueError):
        WebhookSigner(secret)


# The secret forms the official library's own tests accept
# (standard-webhooks/standard-webhooks, libraries/python/tests/test_webhooks.py:
# test_signature_verification_with_and_without_prefix, ..._with_unpadded_secret): each as
# it is written there, and the padded form the payload was signed with.
OFFICIAL_SECRETS = [
    ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),  # no padding needed
    ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS="),  # one `=` left out
    ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr=="),  # two left out
    ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwBr=="),
    ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS=", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS="),
]


@pytest.mark.parametrize(("secret", "padded"), OFFICIAL_SECRETS)
def test_every_secret_form_the_official_library_accepts(secret: str, padded: str) -> None:
    """Signed by the official package (`standardwebhooks`) as its tests sign (the HMAC keyed
    with the padded secret's bytes); verified here with the secret as written."""
    from datetime import UTC, datetime

    from standardwebhooks import Webhook

    official = Webhook(padded)
    at = datetime.fromtimestamp(VECTOR_TS, tz=UTC)
    signature = official.sign(msg_id=VECTOR_ID, timestamp=at, data=VECTOR_BODY.decode())
    ours = WebhookSigner(secret)
    assert ours.sign(VECTOR_ID, VECTOR_TS, VECTOR_BODY) == signature
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TS),
        "webhook-signature": signature,
    }
    ours.verify(headers, VECTOR_BODY, now=VECTOR_TS)
    # And the other way: what redress signs, the official library verifies.
    assert Webhook(secret).sign(msg_id=VECTOR_ID, timestamp=at, data=VECTOR_BODY.decode()) == (
        ours.sign(VECTOR_ID, VECTOR_TS, VECTOR_BODY)
    )


def test_raw_bytes_secret_as_the_official_library_takes_it() -> None:
    from datetime import UTC, datetime

    from standardwebhooks import Webhook

    key = base64.b64decode(VECTOR_SECRET.removeprefix("whsec_"))
    at = datetime.fromtimestamp(VECTOR_TS, tz=UTC)
    assert (
        Webhook(key).sign(msg_id=VECTOR_ID, timestamp=at, data=VECTOR_BODY.decode()) == VECTOR_SIG
    )
    assert WebhookSigner(key).sign(VECTOR_ID, VECTOR_TS, VECTOR_BODY) == VECTOR_SIG


def test_generate_secret() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert generate_secret() != secret


def test_round_trip(signer: WebhookSigner) -> None:
    headers = signer.headers("msg_1", BODY, timestamp=NOW)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-timestamp"] == str(NOW)
    assert headers["webhook-signature"].startswith("v1,")
    signer.verify(headers, BODY, now=NOW)


def test_round_trip_default_timestamp(signer: WebhookSigner) -> None:
    headers = signer.headers("msg_1", BODY)
    signer.verify(headers, BODY)


def test_tampered_body_fails(signer: WebhookSigner) -> None:
    headers = signer.headers("msg_1", BODY, timestamp=NOW)
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        signer.verify(headers, BODY + b" ", now=NOW)


def test_tampered_id_fails(signer: WebhookSigner) -> None:
    headers = signer.headers("msg_1", BODY, timestamp=NOW)
    headers["webhook-id"] = "msg_2"
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        signer.verify(headers, BODY, now=NOW)


def test_wrong_secret_fails(signer: WebhookSigner) -> None:
    headers = signer.headers("msg_1", BODY, timestamp=NOW)
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        WebhookSigner(generate_secret()).verify(headers, BODY, now=NOW)


@pytest.mark.parametrize("offset", [-301, 301])
def test_timestamp_outside_tolerance_fails(signer: WebhookSigner, offset: int) -> None:
    headers = signer.headers("msg_1", BODY, timestamp=NOW + offset)
    with pytest.raises(
        WebhookVerificationError, match="webhook-timestamp is outside the 300 s tolerance"
    ):
        signer.verify(headers, BODY, now=NOW)


@pytest.mark.parametrize("offset", [-300, 300])
def test_timestamp_at_tolerance_edge_passes(signer: WebhookSigner, offset: int) -> None:
    headers = signer.headers("msg_1", BODY, timestamp=NOW + offset)
    signer.verify(headers, BODY, now=NOW)


def test_non_integer_timestamp_fails(signer: WebhookSigner) -> None:
    headers = signer.headers("msg_1", BODY, timestamp=NOW)
    for bad in ("soon", "1700000000.5", "1_700_000_000"):
        headers["webhook-timestamp"] = bad
        with pytest.raises(WebhookVerificationError, match="webhook-timestamp is not an integer"):
            signer.verify(headers, BODY, now=NOW)


@pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_fails(signer: WebhookSigner, name: str) -> None:
    headers = signer.headers("msg_1", BODY, timestamp=NOW)
    del headers[name]
    with pytest.raises(WebhookVerificationError, match=f"missing {name} header"):
        signer.verify(headers, BODY, now=NOW)


def test_multiple_signatures_one_valid_passes(signer: WebhookSigner) -> None:
    headers = signer.headers("msg_1", BODY, timestamp=NOW)
    other = WebhookSigner(generate_secret()).sign("msg_1", NOW, BODY)
    valid = headers["webhook-signature"]
    headers["webhook-signature"] = f"{other} v1a,c2lnbmF0dXJl {valid}"
    signer.verify(headers, BODY, now=NOW)


def test_only_other_versions_fail(signer: WebhookSigner) -> None:
    headers = signer.headers("msg_1", BODY, timestamp=NOW)
    sig = headers["webhook-signature"].removeprefix("v1,")
    headers["webhook-signature"] = f"v2,{sig} v1a,{sig}"
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        signer.verify(headers, BODY, now=NOW)


def test_header_names_case_insensitive(signer: WebhookSigner) -> None:
    headers = signer.headers("msg_1", BODY, timestamp=NOW)
    mixed = {
        "Webhook-Id": headers["webhook-id"],
        "WEBHOOK-TIMESTAMP": headers["webhook-timestamp"],
        "Webhook-Signature": headers["webhook-signature"],
    }
    signer.verify(mixed, BODY, now=NOW)


def test_starlette_headers_accepted(signer: WebhookSigner) -> None:
    starlette = pytest.importorskip("starlette.datastructures")
    raw = signer.headers("msg_1", BODY, timestamp=NOW)
    headers = starlette.Headers(raw=[(k.title().encode(), v.encode()) for k, v in raw.items()])
    signer.verify(headers, BODY, now=NOW)


def test_repr_hides_key() -> None:
    assert "MfKQ9r8G" not in repr(WebhookSigner(VECTOR_SECRET))
