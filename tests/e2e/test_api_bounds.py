"""The API's own bounds, over real HTTP: every body is bounded in bytes before it is read
(413 naming the limit and by how much), the metrics month is bounded, and a token that is no
token (non-ASCII) is unknown, never a 500."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

import httpx
import pytest

from tests.e2e.harness import TOKENS, Stack, quick_policy
from tests.harness import MARCH, seed_disputes

AUTH = {"Authorization": f"Bearer {TOKENS['supervisor']}", "content-type": "application/json"}
MB = 1024 * 1024


# The stack's API runs on this policy (tests/e2e/conftest.py).
LIMITS = quick_policy().limits


class Pulled:
    """A request body streamed in chunks (no Content-Length), counting what was pulled."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total, self.chunk, self.sent = total, chunk, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        piece = b"x" * self.chunk
        while self.sent < self.total:
            self.sent += len(piece)
            yield piece


async def declare(
    stack: Stack, method: str, path: str, length: int, *, chunked: bytes = b""
) -> tuple[int, Any]:
    """Send a request's head declaring a body of `length` bytes that never comes (or, with
    `chunked`, that much of a chunked body and no end), and read the answer: a server that
    waited for the whole body would never answer."""
    url = stack.http.base_url
    reader, writer = await asyncio.open_connection(url.host, url.port)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}"
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {url.host}\r\n"
        f"Authorization: {AUTH['Authorization']}\r\nContent-Type: application/json\r\n"
        f"{framing}\r\n\r\n"
    )
    writer.write(head.encode())
    if chunked:
        writer.write(f"{len(chunked):x}\r\n".encode() + chunked + b"\r\n")
    await writer.drain()
    try:
        raw = await asyncio.wait_for(reader.read(-1), timeout=10)
    finally:
        writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    _, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(body)


async def test_a_200_mb_action_is_refused_before_it_is_read(stack: Stack) -> None:
    limit = LIMITS.api_body_bytes
    status, answer = await declare(stack, "POST", "/cases/complaint-generic-X1/actions", 200 * MB)
    assert status == 413
    assert answer["detail"] == (
        f"body: {200 * MB} bytes (Content-Length) is over the api_body_bytes limit of {limit} "
        f"bytes by {200 * MB - limit} bytes"
    )


async def test_a_chunked_body_is_counted_as_it_streams(stack: Stack) -> None:
    limit = LIMITS.api_body_bytes
    # No Content-Length: one chunk past the limit is answered 413, the end never awaited.
    part = b" " * (limit + 10)
    status, answer = await declare(stack, "POST", "/cases/X/actions", 0, chunked=part)
    assert status == 413
    # The server reads the chunk in pieces of its own: where it stopped varies.
    found = re.fullmatch(
        rf"body: over the api_body_bytes limit of {limit} bytes by at least (\d+) bytes "
        r"\(stopped reading at (\d+)\)",
        answer["detail"],
    )
    assert found, answer
    assert 0 < int(found[1]) == int(found[2]) - limit <= 10
    # 200 MB streamed by a client: the server stops reading far short of it.
    body = Pulled(200 * MB)
    r = await _post_or_reset(stack, "/cases/complaint-generic-X1/actions", body, AUTH)
    if r is not None:
        assert r.status_code == 413, r.text
        assert f"api_body_bytes limit of {limit} bytes by at least" in r.json()["detail"]
    assert body.sent < 20 * MB, body.sent
    # Within the limit, the same streamed body reaches the handler as usual (here: no case).
    small = json.dumps({"type": "reply", "message": "x" * 1000}).encode()

    async def once() -> AsyncIterator[bytes]:
        yield small

    r = await stack.http.post("/cases/complaint-generic-X1/actions", content=once(), headers=AUTH)
    assert r.status_code == 404, r.text


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/transactions/T-1", "api_body_bytes"),
        ("/transactions/T-1/notices", "api_body_bytes"),
        ("/webhooks/generic", "webhook_body_bytes"),
        ("/codec/decode", "codec_body_bytes"),
    ],
)
async def test_every_body_has_its_policy_limit(stack: Stack, path: str, key: str) -> None:
    limit = getattr(LIMITS, key)
    method = "PUT" if path == "/transactions/T-1" else "POST"
    status, answer = await declare(stack, method, path, limit + 2)
    assert status == 413
    assert answer["detail"] == (
        f"body: {limit + 2} bytes (Content-Length) is over the {key} limit of {limit} bytes "
        "by 2 bytes"
    )
    # At the limit, the body reaches its handler (which refuses it for what it holds).
    at_limit = b"{" + b" " * (limit - 2) + b"}"
    r = await stack.http.request(method, path, content=at_limit, headers=AUTH)
    assert r.status_code != 413, r.text


async def _post_or_reset(
    stack: Stack, path: str, body: Pulled, headers: dict[str, str]
) -> httpx.Response | None:
    """The 413, or None when the server closed the connection while the client was still
    sending (it refuses without reading the rest; the client may see either)."""
    try:
        return await stack.http.post(path, content=body, headers=headers)
    except (httpx.WriteError, httpx.ReadError, httpx.RemoteProtocolError):
        return None


async def test_metrics_month_is_bounded(stack: Stack) -> None:
    seed_disputes(stack.engine, "M-A", 1, "visa", MARCH)
    # The first month of the range: its "last month" is read too, and it is no 500.
    r = await stack.read("/merchants/M-A/disputes/metrics?month=1970-01")
    assert r.status_code == 200, r.text
    assert r.json()["month"] == "1970-01"
    for bad in ("1969-12", "0001-01", "9999-12"):
        r = await stack.read(f"/merchants/M-A/disputes/metrics?month={bad}")
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["detail"] == (
            f"month: expected a month as YYYY-MM (1970-01 to 9998-12), got {bad!r}"
        )


async def test_a_non_ascii_token_is_an_unknown_token(stack: Stack) -> None:
    # The README's placeholder pasted as it reads, with the ellipsis character.
    pasted: Mapping[str, Any] = {"Authorization": "Bearer pt_…".encode()}
    r = await stack.http.get("/progress/platform-generic-X1", headers=pasted)
    assert r.status_code == 404, r.text
    for path in ("/cases", "/cases/complaint-generic-X1", "/merchants/M-A/disputes/metrics"):
        r = await stack.http.get(path, headers=pasted)
        assert r.status_code == 401, (path, r.text)
        assert r.json()["detail"] == "unknown token"
    r = await stack.http.get(
        "/cases", headers=cast(Mapping[str, str], {"Authorization": b"Bearer sup\xffsecret"})
    )
    assert r.status_code == 401


async def test_a_huge_offset_is_a_422_naming_its_bound(stack: Stack) -> None:
    r = await stack.read("/cases?offset=20683583850965368832")
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("query.offset: Input should be less than or equal to")
