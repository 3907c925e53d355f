"""Signed-in Web UI users decode payloads with their OIDC access token: the token is
verified against the identity provider's JWKS, fetched over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from redress.codec import generate_key
from redress.config import Settings, parse_tokens
from tests.harness import asgi_api, payloads, payloads_json, plain

ISSUER = "https://idp.example.test/"
AUDIENCE = "temporal-ui"
UI = "http://127.0.0.1:8233"


@pytest.fixture(scope="module")
def idp_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def jwks_url(idp_key: rsa.RSAPrivateKey) -> Iterator[str]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(idp_key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "RS256"}]}).encode()

    class JWKS(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), JWKS)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()


def token(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    now = int(time.time())
    body = {"sub": "alice", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300}
    body.update(claims)
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "idp-1"})


@pytest.fixture
async def api(jwks_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        api_tokens=parse_tokens("opaque-token:agent"),
        payload_keys=f"k1:{generate_key()}",
        oidc_jwks_url=jwks_url,
        oidc_issuer=ISSUER,
        oidc_audience=AUDIENCE,
    )
    async for http in asgi_api(settings):
        yield http


async def _decode(api: httpx.AsyncClient, bearer: str) -> httpx.Response:
    encoded = await api.post(
        "/codec/encode",
        json=payloads_json([plain("li.lei@example.com")]),
        headers={"Authorization": "Bearer opaque-token"},
    )
    return await api.post(
        "/codec/decode",
        json=encoded.json(),
        headers={"Authorization": f"Bearer {bearer}", "Origin": UI},
    )


async def test_signed_in_user_decodes(api: httpx.AsyncClient, idp_key: rsa.RSAPrivateKey) -> None:
    r = await _decode(api, token(idp_key))
    assert r.status_code == 200, r.text
    assert payloads(r.json()) == [plain("li.lei@example.com")]


async def test_bad_sign_in_tokens_are_refused(
    api: httpx.AsyncClient, idp_key: rsa.RSAPrivateKey
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cases = {
        "expired": token(idp_key, exp=int(time.time()) - 10),
        "wrong audience": token(idp_key, aud="someone-else"),
        "wrong issuer": token(idp_key, iss="https://evil.test/"),
        "forged": token(stranger),
    }
    for name, bad in cases.items():
        r = await _decode(api, bad)
        assert r.status_code == 401, name
        assert "invalid sign-in token" in r.json()["detail"], name
    # The API's own tokens still work beside sign-in.
    assert (await _decode(api, "opaque-token")).status_code == 200
