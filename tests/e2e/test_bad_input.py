"""Input that used to reach a 500 or open a nonsensical case: each is a 4xx that names
the field, and nothing starts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.harness import Stack, complaint_event
from tests.harness import running_worker


def _with(**complaint: Any) -> dict[str, Any]:
    return complaint_event(**complaint)


async def _refused(stack: Stack, event: dict[str, Any], *words: str) -> None:
    r = await stack.post_webhook(event)
    assert r.status_code == 422, r.text
    for word in words:
        assert word in r.json()["detail"], r.json()["detail"]
    case_id = f"complaint-generic-{event['complaint']['id']}"
    assert (await stack.read(f"/cases/{case_id}")).status_code == 404  # nothing started


async def test_a_huge_integer_is_a_422(stack: Stack) -> None:
    body = b'{"event_id": "e1", "type": "complaint.created", "n": ' + b"9" * 5000 + b"}"
    headers = stack.signer.headers("msg_huge", body)
    r = await stack.http.post("/webhooks/generic", content=body, headers=headers)
    assert r.status_code == 422 and "not valid JSON" in r.json()["detail"]


@pytest.mark.parametrize(
    ("created_at", "words"),
    [
        ("1970-01-01T00:00:00+00:00", ("complaint.created_at", "in the past", "max_age")),
        ("2100-01-01T00:00:00+00:00", ("complaint.created_at", "in the future")),
        ("9999-12-31T23:59:59-01:00", ("complaint.created_at", "in the future")),
        (datetime.now(UTC) + timedelta(minutes=10), ("complaint.created_at", "future")),
    ],
)
async def test_created_at_outside_the_policy_window(
    stack: Stack, created_at: Any, words: tuple[str, ...]
) -> None:
    when = created_at if isinstance(created_at, str) else created_at.isoformat()
    await _refused(stack, _with(created_at=when), *words)


async def test_amounts_carry_their_currency_s_decimals(stack: Stack) -> None:
    await _refused(stack, _with(amount="0.50", currency="JPY"), "amount", "JPY allows (0)")
    await _refused(stack, _with(amount="0.005"), "amount")
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        r = await stack.post_webhook(_with(amount="1e2"))
        assert r.status_code == 202, r.text
        case = await stack.wait_for(r.json()["case_id"], lambda c: c["version"] >= 1)
        assert case["amount"] == "100.00"
        jpy = await stack.post_webhook(_with(amount="500", currency="JPY"))
        assert jpy.status_code == 202, jpy.text
        r = await stack.act(case["case_id"], "agent", {"type": "refund", "amount": "2e1"})
        assert r.status_code == 200, r.text
        assert r.json()["refunded"] == "20.00"
        refund = [e for e in r.json()["timeline"] if e["type"] == "refund"][0]
        assert refund["amount"] == "20.00"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("category", "not\x00received"),
        ("category", "\x1b[31mred"),
        ("description", "paid \u202egnp.exe"),
        ("description", "bell\x07"),
    ],
)
async def test_control_and_bidi_characters_are_refused(
    stack: Stack, field: str, value: str
) -> None:
    await _refused(stack, _with(**{field: value}), f"complaint.{field}", "U+")


async def test_multi_line_descriptions_pass(stack: Stack) -> None:
    r = await stack.post_webhook(_with(description="line one\nline two\tend"))
    assert r.status_code == 202, r.text


@pytest.mark.parametrize(
    ("channel", "address"),
    [
        ("sms", "call me"),
        ("sms", "+86 138"),
        ("email", "li.lei"),
        ("app", "-x"),
        ("email", "a@b\x1b"),
    ],
)
async def test_an_address_must_fit_its_channel(stack: Stack, channel: str, address: str) -> None:
    user = {"id": "U1", "locale": "en", "contact": {"channel": channel, "address": address}}
    await _refused(stack, _with(user=user), "complaint.user.contact")


async def test_a_huge_integer_in_an_action_is_a_4xx(stack: Stack) -> None:
    r = await stack.http.post(
        "/cases/complaint-generic-X/actions",
        content=b'{"type": "refund", "amount": ' + b"9" * 5000 + b"}",
        headers={"Authorization": "Bearer agent-secret-1", "content-type": "application/json"},
    )
    assert 400 <= r.status_code < 500, r.text
