"""Hostile input: thousands of generated bodies, signed inside the test so they reach the
handlers, never produce a 5xx, and a flood of duplicates opens one case."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.harness import Stack, complaint_event

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

# Start from a valid event and break one field at a time, so most inputs get deep into
# validation instead of failing at the first key.
FIELDS = ["id", "merchant_id", "trade_no", "amount", "currency", "created_at", "category", "user"]
NASTY = st.one_of(
    JSON,
    st.sampled_from(
        [
            "-1",
            "0",
            "0.001",
            "1e400",
            "9" * 400,
            "NaN",
            "Infinity",
            "2026-11-22T10:00:00",
            "2026-13-45T99:00:00+08:00",
            "XXX",
            "cny",
            "../../etc/passwd",
            "a" * 5000,
            "\u0000",
            "\ud800",
        ]
    ),
)

FUZZ = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(field=st.sampled_from(FIELDS), value=NASTY)
async def test_webhook_field_mutations_never_5xx(stack: Stack, field: str, value: Any) -> None:
    event = complaint_event()
    event["complaint"][field] = value
    r = await stack.post_webhook(event)
    assert r.status_code < 500, r.text
    if r.status_code == 422:
        assert r.json()["detail"]


@FUZZ
@given(body=JSON)
async def test_webhook_arbitrary_json_never_5xx(stack: Stack, body: Any) -> None:
    r = await stack.post_webhook(body)
    assert r.status_code == 422, r.text


@FUZZ
@given(raw=st.binary(max_size=300))
async def test_webhook_arbitrary_bytes_never_5xx(stack: Stack, raw: bytes) -> None:
    headers = stack.signer.headers(f"msg_{uuid.uuid4().hex}", raw)
    r = await stack.http.post("/webhooks/generic", content=raw, headers=headers)
    assert r.status_code == 422, r.text


@FUZZ
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                "type",
                "amount",
                "message",
                "penalty_id",
                "verdict",
                "approved",
                "evidence",
                "explanation",
                "statement",
            ]
        ),
        NASTY,
        max_size=5,
    )
)
async def test_actions_never_5xx(stack: Stack, body: dict[str, Any]) -> None:
    for role in ("agent", "platform"):
        r = await stack.act("complaint-generic-none", role, body)
        assert r.status_code < 500, r.text


async def test_oversized_and_deeply_nested_bodies(stack: Stack) -> None:
    big = complaint_event(description="x" * 300_000)
    r = await stack.post_webhook(big)
    assert r.status_code == 413
    deep = b"[" * 100_000 + b"]" * 100_000
    r = await stack.http.post(
        "/webhooks/generic", content=deep, headers=stack.signer.headers("msg_deep", deep)
    )
    assert r.status_code in (413, 422)
    nested = json.dumps({"complaint": {"user": {"contact": [[[[[[[[1]]]]]]]]}}}).encode()
    r = await stack.http.post(
        "/webhooks/generic", content=nested, headers=stack.signer.headers("msg_n", nested)
    )
    assert r.status_code == 422


async def test_flood_of_duplicates_opens_one_case(stack: Stack) -> None:
    event = complaint_event()
    responses = await asyncio.gather(*(stack.post_webhook(event) for _ in range(50)))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(202) == 1 and codes.count(200) == 49
    assert len({r.json()["case_id"] for r in responses}) == 1


async def test_replayed_delivery_is_refused_but_a_retry_is_not(stack: Stack) -> None:
    body = json.dumps(complaint_event()).encode()
    headers = stack.signer.headers("msg_replay", body)
    headers["content-type"] = "application/json"
    first = await stack.http.post("/webhooks/generic", content=body, headers=headers)
    assert first.status_code == 202
    replay = await stack.http.post("/webhooks/generic", content=body, headers=headers)
    assert replay.status_code == 401 and "replayed" in replay.json()["detail"]
    # The provider's own retry: same webhook-id, new timestamp and signature.
    retry_headers = stack.signer.headers("msg_replay", body, timestamp=int(time.time()) + 1)
    retry = await stack.http.post("/webhooks/generic", content=body, headers=retry_headers)
    assert retry.status_code == 200 and retry.json()["duplicate"] is True
