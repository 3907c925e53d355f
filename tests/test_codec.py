"""Payload encryption: the AES-GCM codec, its key setting, the data converter, /codec."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from redress.codec import ENCODING, KEY_ID_KEY, EncryptionCodec, generate_key, parse_keys
from redress.config import Settings, parse_tokens
from redress.models.complaint import ComplaintCaseInput
from redress.temporal import data_converter
from tests.harness import (
    asgi_api,
    case_input,
    make_complaint,
    payloads,
    payloads_json,
    plain,
)

ADDRESS = "li.lei@example.com"
OLD = generate_key()
NEW = generate_key()


async def test_round_trip() -> None:
    codec = EncryptionCodec.from_setting(f"k1:{OLD}")
    originals = [plain(ADDRESS), plain("second"), Payload(metadata={"encoding": b"binary/null"})]
    encoded = await codec.encode(originals)
    assert all(p.metadata["encoding"] == ENCODING for p in encoded)
    assert all(p.metadata[KEY_ID_KEY] == b"k1" for p in encoded)
    assert await codec.decode(encoded) == originals


async def test_ciphertext_hides_the_plaintext_and_is_randomized() -> None:
    codec = EncryptionCodec.from_setting(f"k1:{OLD}")
    first, second = await codec.encode([plain(ADDRESS), plain(ADDRESS)])
    for p in (first, second):
        raw = p.SerializeToString()
        assert ADDRESS.encode() not in raw and b"li.lei" not in raw
        assert b"json/plain" not in raw  # the original metadata is inside the ciphertext
    assert first.data[:12] != second.data[:12]  # fresh nonce per payload
    assert first.data != second.data


async def test_tampered_payload_fails() -> None:
    codec = EncryptionCodec.from_setting(f"k1:{OLD}")
    (p,) = await codec.encode([plain(ADDRESS)])
    flipped = bytearray(p.data)
    flipped[-1] ^= 1
    bad = Payload(metadata=dict(p.metadata), data=bytes(flipped))
    with pytest.raises(ValueError, match="failed authentication"):
        await codec.decode([bad])
    with pytest.raises(ValueError, match="truncated"):
        await codec.decode([Payload(metadata=dict(p.metadata), data=p.data[:12])])


async def test_key_id_is_authenticated() -> None:
    # Same key under two ids: relabelling a payload with the other id must not decrypt.
    codec = EncryptionCodec.from_setting(f"a:{OLD},b:{OLD}")
    (p,) = await codec.encode([plain(ADDRESS)])
    relabelled = Payload(metadata={"encoding": ENCODING, KEY_ID_KEY: b"b"}, data=p.data)
    with pytest.raises(ValueError, match="failed authentication"):
        await codec.decode([relabelled])


async def test_rotation_old_payloads_still_decode() -> None:
    before = EncryptionCodec.from_setting(f"2025:{OLD}")
    (old_payload,) = await before.encode([plain(ADDRESS)])

    after = EncryptionCodec.from_setting(f"2026:{NEW},2025:{OLD}")
    assert after.active_key_id == "2026" and after.key_ids == ["2026", "2025"]
    assert await after.decode([old_payload]) == [plain(ADDRESS)]
    (new_payload,) = await after.encode([plain(ADDRESS)])
    assert new_payload.metadata[KEY_ID_KEY] == b"2026"
    # Mixed histories decode in one call.
    assert await after.decode([old_payload, new_payload]) == [plain(ADDRESS)] * 2


async def test_unknown_key_id_is_named() -> None:
    (p,) = await EncryptionCodec.from_setting(f"retired:{OLD}").encode([plain(ADDRESS)])
    codec = EncryptionCodec.from_setting(f"current:{NEW}")
    with pytest.raises(ValueError, match="unknown key id 'retired'"):
        await codec.decode([p])


async def test_plain_payloads_pass_through() -> None:
    codec = EncryptionCodec.from_setting(f"k1:{OLD}")
    legacy = [plain(ADDRESS), Payload(metadata={"encoding": b"binary/null"}), Payload()]
    assert await codec.decode(legacy) == legacy


def test_parse_keys() -> None:
    assert parse_keys("") == []
    assert parse_keys(f" a:{OLD} , b:{NEW} ,") == [
        ("a", base64.b64decode(OLD)),
        ("b", base64.b64decode(NEW)),
    ]
    assert len(base64.b64decode(generate_key(), validate=True)) == 32
    bare = generate_key()
    with pytest.raises(ValueError, match="entry 1 is not key_id:base64key") as err:
        parse_keys(bare)
    assert bare not in str(err.value)  # a misplaced key is never echoed
    with pytest.raises(ValueError, match="'short' is 16 bytes"):
        parse_keys("short:" + base64.b64encode(b"x" * 16).decode())
    with pytest.raises(ValueError, match="not valid base64"):
        parse_keys("k:not*base64")
    with pytest.raises(ValueError, match="twice"):
        parse_keys(f"k:{OLD},k:{NEW}")
    with pytest.raises(ValueError, match="at least one key"):
        EncryptionCodec([])


def test_settings_from_env() -> None:
    s = Settings.from_env({"REDRESS_PAYLOAD_KEYS": f"k1:{OLD}", "REDRESS_UI_PORT": "9000"})
    assert s.payload_keys == f"k1:{OLD}"
    assert s.codec_origins == ["http://127.0.0.1:9000"]
    s = Settings.from_env({"REDRESS_CODEC_CORS_ORIGIN": "https://ui.example, http://x:1/"})
    assert s.codec_origins == ["https://ui.example", "http://x:1"]
    assert Settings.from_env({}).payload_keys == ""


async def test_data_converter_encrypts_workflow_input() -> None:
    assert data_converter(Settings()) is pydantic_data_converter
    converter = data_converter(Settings(payload_keys=f"k1:{OLD}"))
    assert converter.payload_codec is not None
    value = case_input(
        make_complaint(
            user={"id": "U1", "locale": "en", "contact": {"channel": "email", "address": ADDRESS}}
        )
    )
    (payload,) = await converter.encode([value])
    assert payload.metadata["encoding"] == ENCODING
    assert ADDRESS.encode() not in payload.SerializeToString()
    (back,) = await converter.decode([payload], [ComplaintCaseInput])
    assert back == value
    # Histories written before encryption still decode.
    (unencrypted,) = await pydantic_data_converter.encode([value])
    assert (await converter.decode([unencrypted], [ComplaintCaseInput]))[0] == value


# ---- the /codec endpoints ------------------------------------------------------------------

TOKEN = "codec-test-token"
UI = "http://127.0.0.1:8233"


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        api_tokens=parse_tokens(f"{TOKEN}:agent"), payload_keys=f"new:{NEW},old:{OLD}"
    )
    async for http in asgi_api(settings):
        yield http


AUTH = {"Authorization": f"Bearer {TOKEN}", "Origin": UI}


async def test_codec_endpoint_round_trip(api: httpx.AsyncClient) -> None:
    r = await api.post("/codec/encode", json=payloads_json([plain(ADDRESS)]), headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == UI
    assert r.headers["access-control-allow-credentials"] == "true"
    (encrypted,) = payloads(r.json())
    assert encrypted.metadata[KEY_ID_KEY] == b"new"
    assert ADDRESS not in r.text

    (old,) = await EncryptionCodec.from_setting(f"old:{OLD}").encode([plain("rotated")])
    body = payloads_json([encrypted, old, plain("legacy")])
    r = await api.post("/codec/decode", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    assert payloads(r.json()) == [plain(ADDRESS), plain("rotated"), plain("legacy")]

    r = await api.post("/codec/decode", json={"payloads": []}, headers=AUTH)
    assert r.json() == {"payloads": []}


async def test_codec_endpoint_needs_a_token(api: httpx.AsyncClient) -> None:
    body = payloads_json([plain(ADDRESS)])
    r = await api.post("/codec/decode", json=body, headers={"Origin": UI})
    assert r.status_code == 401
    # The browser must be able to read the 401, so it carries the CORS grant too.
    assert r.headers["access-control-allow-origin"] == UI
    r = await api.post(
        "/codec/encode", json=body, headers={"Authorization": "Bearer wrong", "Origin": UI}
    )
    assert r.status_code == 401


async def test_codec_endpoint_errors(api: httpx.AsyncClient) -> None:
    (p,) = await EncryptionCodec.from_setting(f"gone:{OLD}").encode([plain(ADDRESS)])
    r = await api.post("/codec/decode", json=payloads_json([p]), headers=AUTH)
    assert r.status_code == 400 and "'gone'" in r.json()["detail"]
    r = await api.post("/codec/decode", content=b"not json", headers=AUTH)
    assert r.status_code == 422
    r = await api.post("/codec/decode", json={"payloads": [{"data": 5}]}, headers=AUTH)
    assert r.status_code == 422


async def test_codec_preflight(api: httpx.AsyncClient) -> None:
    for path in ("/codec/decode", "/codec/encode"):
        r = await api.options(
            path,
            headers={
                "Origin": UI,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
            },
        )
        assert r.status_code in (200, 204)
        assert r.headers["access-control-allow-origin"] == UI
        assert r.headers["access-control-allow-methods"] == "POST, OPTIONS"
        assert r.headers["access-control-allow-headers"] == (
            "Authorization, Content-Type, X-Namespace"
        )
        assert r.headers["access-control-allow-credentials"] == "true"
    # Another page gets no grant; other routes get no CORS headers at all.
    r = await api.options("/codec/decode", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    r = await api.get("/healthz", headers={"Origin": UI})
    assert "access-control-allow-origin" not in r.headers


async def test_codec_endpoint_without_keys() -> None:
    settings = Settings(api_tokens=parse_tokens(f"{TOKEN}:platform"))
    async for http in asgi_api(settings):
        r = await http.post("/codec/decode", json={"payloads": []}, headers=AUTH)
        assert r.status_code == 404
        assert r.json()["detail"] == "payload encryption is not configured"
        r = await http.post("/codec/decode", json={"payloads": []})
        assert r.status_code == 401
