"""Encryption at rest of workflow payloads: an AES-256-GCM payload codec with key rotation.

Keys come from `REDRESS_PAYLOAD_KEYS` as `key_id:base64key,…` (32-byte keys). The first key
encrypts; every listed key decrypts. To rotate, put a new key first and keep the old ones
until no history that uses them is still needed.

An encrypted payload has the metadata `encoding=binary/encrypted` and
`encryption-key-id=<id>`; its data is a 12-byte random nonce followed by the AES-GCM
ciphertext of the original, serialized `Payload` (with the key ID as associated data, so a
payload cannot be relabelled with another key's ID). Payloads with any other encoding (from
before encryption was switched on, or sent unencrypted by a tool) decode unchanged.

    python -m redress.codec [KEY_ID]   # prints a new `KEY_ID:base64key` entry
"""

from __future__ import annotations

import base64
import binascii
import os
import sys
from collections.abc import Sequence
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID_KEY = "encryption-key-id"
NONCE_SIZE = 12
KEY_SIZE = 32


def generate_key() -> str:
    """A new random 256-bit key, base64-encoded, ready for `REDRESS_PAYLOAD_KEYS`."""
    return base64.b64encode(os.urandom(KEY_SIZE)).decode()


def parse_keys(raw: str) -> list[tuple[str, bytes]]:
    """`id:base64key,id2:base64key2` → [(id, key), …], in order (the first one encrypts)."""
    keys: list[tuple[str, bytes]] = []
    entries = [part.strip() for part in raw.split(",")]
    for n, item in enumerate(filter(None, entries), start=1):
        key_id, sep, encoded = item.partition(":")
        key_id, encoded = key_id.strip(), encoded.strip()
        if not sep or not key_id or not encoded:
            # Never echo the entry: it may be a bare key.
            raise ValueError(f"REDRESS_PAYLOAD_KEYS entry {n} is not key_id:base64key")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"REDRESS_PAYLOAD_KEYS key {key_id!r} is not valid base64") from None
        if len(key) != KEY_SIZE:
            raise ValueError(
                f"REDRESS_PAYLOAD_KEYS key {key_id!r} is {len(key)} bytes; AES-256 needs "
                f"{KEY_SIZE} (make one with `python -m redress.codec`)"
            )
        if any(key_id == known for known, _ in keys):
            raise ValueError(f"REDRESS_PAYLOAD_KEYS lists key id {key_id!r} twice")
        keys.append((key_id, key))
    return keys


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM: encrypts with the first key, decrypts with any key it knows."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        super().__init__()
        if not keys:
            raise ValueError("EncryptionCodec needs at least one key")
        self._ciphers: dict[str, AESGCM] = {}
        for key_id, key in keys:
            if key_id in self._ciphers:
                raise ValueError(f"key id {key_id!r} given twice")
            self._ciphers[key_id] = AESGCM(key)
        self.active_key_id = keys[0][0]

    @classmethod
    def from_setting(cls, raw: str) -> EncryptionCodec:
        """From the `REDRESS_PAYLOAD_KEYS` format."""
        return cls(parse_keys(raw))

    @property
    def key_ids(self) -> list[str]:
        return list(self._ciphers)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self.active_key_id
        nonce = os.urandom(NONCE_SIZE)
        sealed = self._ciphers[key_id].encrypt(nonce, payload.SerializeToString(), key_id.encode())
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID_KEY: key_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding", b"") != ENCODING:
            return payload  # not ours (e.g. written before encryption was switched on)
        key_id = payload.metadata.get(KEY_ID_KEY, b"").decode("utf-8", "replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise ValueError(
                f"payload encrypted with unknown key id {key_id!r}; "
                f"REDRESS_PAYLOAD_KEYS has {', '.join(map(repr, self._ciphers))}"
            )
        data = payload.data
        if len(data) <= NONCE_SIZE:
            raise ValueError(f"encrypted payload (key id {key_id!r}) is truncated")
        try:
            plain = cipher.decrypt(data[:NONCE_SIZE], data[NONCE_SIZE:], key_id.encode())
        except InvalidTag:
            raise ValueError(
                f"encrypted payload (key id {key_id!r}) failed authentication: "
                "tampered with, or a different key under the same id"
            ) from None
        return Payload.FromString(plain)


@lru_cache(maxsize=8)
def codec_for(raw: str) -> EncryptionCodec | None:
    """The codec for a `REDRESS_PAYLOAD_KEYS` value, built once; None when it is empty."""
    return EncryptionCodec.from_setting(raw) if raw.strip() else None


if __name__ == "__main__":
    print(f"{sys.argv[1] if len(sys.argv) > 1 else 'k1'}:{generate_key()}")
