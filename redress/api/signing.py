"""Standard Webhooks (https://www.standardwebhooks.com) signing and verification.

Signed content is ``f"{msg_id}.{timestamp}.".encode() + body``; the signature is
base64(HMAC-SHA256(key, content)) sent as ``v1,<sig>`` in the ``webhook-signature``
header (several space-separated entries allowed, e.g. during key rotation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping

__all__ = ["WebhookSigner", "WebhookVerificationError", "generate_secret"]

SECRET_PREFIX = "whsec_"
_INT_RE = re.compile(r"-?[0-9]+")


class WebhookVerificationError(Exception):
    """The request is not a valid, fresh, correctly signed webhook."""


def generate_secret() -> str:
    """A fresh ``whsec_`` secret holding 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


_BASE64 = re.compile(r"[A-Za-z0-9+/]*")


def _decode_secret(secret: str | bytes) -> bytes:
    """The key of a secret in every form the official library (`standardwebhooks`) takes:
    raw bytes, or Base64 with or without the `whsec_` prefix, padded or not (it adds the
    missing `=`). A character outside the Base64 alphabet is refused: that library would
    silently drop it and verify with another key."""
    if isinstance(secret, bytes):
        key = secret
    else:
        encoded = secret.removeprefix(SECRET_PREFIX)
        body = encoded.rstrip("=")
        if not _BASE64.fullmatch(body) or len(body) % 4 == 1:
            raise ValueError("webhook secret is not valid base64")
        try:
            key = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("webhook secret is not valid base64") from exc
    if not key:
        raise ValueError("webhook secret is empty")
    return key


class WebhookSigner:
    """Signs outgoing and verifies incoming webhooks with one shared secret."""

    def __init__(self, secret: str | bytes, tolerance_seconds: int = 300) -> None:
        self._key = _decode_secret(secret)
        self.tolerance_seconds = tolerance_seconds

    def __repr__(self) -> str:  # never leak the key
        return f"WebhookSigner(tolerance_seconds={self.tolerance_seconds})"

    def sign(self, msg_id: str, timestamp: int, body: bytes) -> str:
        """The ``v1,<base64 sig>`` signature of *body* for *msg_id* at *timestamp*."""
        content = f"{msg_id}.{timestamp}.".encode() + body
        digest = hmac.new(self._key, content, hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode("ascii")

    def headers(self, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """The three Standard Webhooks headers for sending *body*."""
        ts = int(time.time()) if timestamp is None else timestamp
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(ts),
            "webhook-signature": self.sign(msg_id, ts, body),
        }

    def verify(self, headers: Mapping[str, str], body: bytes, now: float | None = None) -> None:
        """Raise :class:`WebhookVerificationError` unless *headers* authenticate *body*.

        *headers* may be a plain dict or a Starlette ``Headers``; names are case-insensitive.
        """
        lowered = {k.lower(): v for k, v in headers.items()}
        msg_id = lowered.get("webhook-id")
        ts_raw = lowered.get("webhook-timestamp")
        sig_header = lowered.get("webhook-signature")
        if not msg_id:
            raise WebhookVerificationError("missing webhook-id header")
        if not ts_raw:
            raise WebhookVerificationError("missing webhook-timestamp header")
        if not sig_header:
            raise WebhookVerificationError("missing webhook-signature header")

        ts_raw = ts_raw.strip()
        if not _INT_RE.fullmatch(ts_raw):
            raise WebhookVerificationError("webhook-timestamp is not an integer")
        timestamp = int(ts_raw)
        current = time.time() if now is None else now
        if abs(current - timestamp) > self.tolerance_seconds:
            raise WebhookVerificationError(
                f"webhook-timestamp is outside the {self.tolerance_seconds} s tolerance"
            )

        expected = self.sign(msg_id, timestamp, body).encode()
        for entry in sig_header.split():
            # Other versions (e.g. asymmetric "v1a") are ignored.
            if entry.startswith("v1,") and hmac.compare_digest(expected, entry.encode()):
                return
        raise WebhookVerificationError("no matching signature")
