"""A Stripe dispute through HTTP on the dev server: Stripe's own event and signature (made
with the `stripe` package), the case at the provider's due time, the transaction's records
and a prevention notice in the packet, the defence submitted once, Stripe's verdict."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
import stripe

from redress.models.dispute_samples import sample_event
from tests.e2e.harness import STRIPE_SECRET, Stack
from tests.harness import running_worker


async def post_stripe(
    stack: Stack, event: dict[str, Any], secret: str = STRIPE_SECRET, delay: int = 0
) -> httpx.Response:
    """Sign as Stripe does (its own helper); `delay`: a retry, signed again later."""
    body = json.dumps(event)
    at = int(time.time()) + delay
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=at)
    return await stack.http.post(
        "/webhooks/stripe",
        content=body.encode(),
        headers={"Stripe-Signature": header, "content-type": "application/json"},
    )


def stripe_event(
    dispute_id: str, type_: str, merchant: str = "M-C", **dispute: Any
) -> dict[str, Any]:
    event = sample_event(dispute_id, merchant_id=merchant, trade_no=f"ch_{dispute_id}")
    event["type"] = type_
    event["created"] = int(time.time()) + dispute.pop("later", 0)
    event["data"]["object"].update(dispute)
    return event


@pytest.mark.rule("C1", "C2", "C5")
async def test_stripe_dispute_end_to_end(stack: Stack) -> None:
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        dispute_id = f"dp_{uuid.uuid4().hex[:12]}"
        created = stripe_event(dispute_id, "charge.dispute.created")
        due_by = created["data"]["object"]["evidence_details"]["due_by"]

        # A bad signature: 400 with the reason, nothing recorded.
        bad = await post_stripe(stack, created, secret="whsec_wrong")
        assert bad.status_code == 400 and "signature" in bad.json()["detail"].lower()
        assert (await stack.read(f"/cases/dispute-stripe-{dispute_id}")).status_code == 404

        r = await post_stripe(stack, created)
        assert r.status_code == 202, r.text
        case_id = r.json()["case_id"]
        assert case_id == f"dispute-stripe-{dispute_id}"
        # Stripe retries it (signed again): the same case, once.
        assert (await post_stripe(stack, created, delay=1)).status_code == 200

        case = await stack.wait_for(case_id, lambda c: c["version"] >= 1)
        assert (case["kind"], case["status"], case["merchant_id"]) == (
            "dispute",
            "needs_response",
            "M-C",
        )
        assert (case["amount"], case["currency"]) == ("49.99", "USD")  # 4999 usd, minor units
        # The provider's instant, to the second.
        respond_by = case["deadlines"]["respond_by"].replace("Z", "+00:00")
        from datetime import datetime

        assert datetime.fromisoformat(respond_by).timestamp() == due_by
        assert (await stack.read(f"/cases/{case_id}", role="desk-ab")).status_code == 404

        # Events redress does not act on: 2xx, recorded, never fatal.
        other = stripe_event(dispute_id, "charge.succeeded")
        r = await post_stripe(stack, other)
        assert r.status_code == 200 and r.json()["ignored"] is True

        # The transaction's records and a prevention notice feed the packet (C1, C2).
        charge = f"ch_{dispute_id}"
        auth = {"Authorization": "Bearer agent-secret-1"}
        record = {
            "merchant_id": "M-C",
            "order_id": "O-1",
            "evidence": [{"kind": "shipping_documentation", "ref": "file_pod", "bytes": 80000}],
        }
        r = await stack.http.put(f"/transactions/{charge}", json=record, headers=auth)
        assert r.status_code == 200, r.text
        notice = {
            "merchant_id": "M-C",
            "type": "delivery_delayed",
            "customer": {
                "id": "U1",
                "locale": "en",
                "contact": {"channel": "email", "address": "a@b.example"},
            },
            "new_date": "2026-12-20T00:00:00+08:00",
        }
        assert (
            await stack.http.post(f"/transactions/{charge}/notices", json=notice, headers=auth)
        ).status_code == 428
        keyed = {**auth, "Idempotency-Key": "delay-1"}
        r = await stack.http.post(f"/transactions/{charge}/notices", json=notice, headers=keyed)
        assert r.status_code == 202, r.text
        again = await stack.http.post(f"/transactions/{charge}/notices", json=notice, headers=keyed)
        assert again.status_code == 200 and again.json()["duplicate"] is True
        for _ in range(100):
            txn = (
                await stack.http.get(f"/transactions/{charge}?merchant_id=M-C", headers=auth)
            ).json()
            if len(txn["evidence"]) == 2:
                break
            await __import__("asyncio").sleep(0.1)
        assert {e["kind"] for e in txn["evidence"]} == {
            "shipping_documentation",
            "customer_communication",
        }

        items = [
            {"kind": "shipping_tracking_number", "text": "SF123"},
            {"kind": "shipping_date", "text": "2026-11-20"},
        ]
        r = await stack.act(case_id, "agent", {"type": "add_evidence", "items": items})
        assert r.status_code == 200, r.text
        r = await stack.act(case_id, "agent", {"type": "submit_defense"})
        assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
        assert r.json()["details"]["packet"]["missing"] == []
        assert (await stack.act(case_id, "agent", {"type": "submit_defense"})).status_code == 409

        # An older update after the close changes nothing.
        closed = stripe_event(dispute_id, "charge.dispute.closed", status="won", later=5)
        assert (await post_stripe(stack, closed)).status_code == 202
        stale = stripe_event(dispute_id, "charge.dispute.updated", status="under_review", later=2)
        assert (await post_stripe(stack, stale)).status_code == 202
        case = await stack.wait_for(
            case_id, lambda c: "stale_event" in [e["type"] for e in c["timeline"]]
        )
        assert (case["status"], case["outcome"]) == ("closed", "won")
        # The outcome reaches the merchant's figures (C5).
        figures = (await stack.read("/merchants/M-C/disputes/metrics")).json()
        assert figures["outcomes"]["by_outcome"] == {"won": 1}
        assert figures["disputes"]["all"] >= 1


async def test_antom_dispute_over_http(stack: Stack) -> None:
    """Antom's notifyDispute signed by Antom's own SDK: the case opens, Antom gets the body
    it requires, the verdict closes the case, a redelivery changes nothing."""
    from datetime import UTC, datetime, timedelta

    from tests.e2e.harness import antom_created, post_antom

    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        now = datetime.now(UTC).replace(microsecond=0)
        created = antom_created(now)
        dispute_id = created["disputeId"]
        ack = {"result": {"resultCode": "SUCCESS", "resultStatus": "S", "resultMessage": "success"}}
        r = await post_antom(stack, created)
        assert (r.status_code, r.json()) == (200, ack), r.text
        case_id = f"dispute-antom-{dispute_id}"
        case = await stack.wait_for(case_id, lambda c: c["version"] >= 1)
        assert (case["amount"], case["currency"], case["merchant_id"]) == (
            "14204",
            "KRW",
            "M-ANTOM",
        )
        assert (await post_antom(stack, created)).json() == ack  # a resend: the same case, once

        judged = {
            **created,
            "disputeNotificationType": "DISPUTE_JUDGED",
            "disputeJudgedResult": "ACCEPT_BY_CUSTOMER",
            "disputeJudgedTime": (now + timedelta(seconds=5)).isoformat(),
            "notifyTime": (now + timedelta(seconds=5)).isoformat(),
        }
        assert (await post_antom(stack, judged)).json() == ack
        case = await stack.wait_for(case_id, lambda c: c["status"] == "closed")
        assert case["outcome"] == "won"
        # Signed for another path: refused, nothing recorded.
        r = await post_antom(stack, {**created, "disputeId": "999"}, signed_for="/elsewhere")
        assert r.status_code == 400
        assert (await stack.read("/cases/dispute-antom-999")).status_code == 404
