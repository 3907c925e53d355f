"""A dispute's later stages over HTTP on the dev server, as the providers send them: a
Stripe appeal after a lost chargeback (stripe-python 16.x `Dispute.status`
appeal_needs_response, signed with the `stripe` package) and Antom's retrieval request
whose materials are refused, then accepted, then judged (notifyDispute
`disputeJudgedResult` VALIDATE_FAIL / VALIDATE_SUCCESS / ACCEPT_BY_MERCHANT, signed with
Antom's SDK)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import stripe

from redress.models.dispute_samples import sample_event
from tests.e2e.harness import STRIPE_SECRET, Stack, antom_created, post_antom
from tests.harness import running_worker


async def post_stripe(stack: Stack, event: dict[str, Any]) -> httpx.Response:
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        body, STRIPE_SECRET, timestamp=int(time.time())
    )
    return await stack.http.post(
        "/webhooks/stripe",
        content=body.encode(),
        headers={"Stripe-Signature": header, "content-type": "application/json"},
    )


def kinds(case: dict[str, Any]) -> list[str]:
    return [e["type"] for e in case["timeline"]]


@pytest.mark.rule("C6")
async def test_stripe_appeal_round_over_http(stack: Stack) -> None:
    """Lost, then appeal_needs_response with a new due_by: round 2 with its own deadline;
    nobody acts, and the policy escalates to a supervisor instead of accepting (the amount
    is below `auto_accept_below`)."""
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        dispute_id = f"dp_{uuid.uuid4().hex[:12]}"
        start = int(time.time())

        def event(type_: str, later: int, **dispute: Any) -> dict[str, Any]:
            e = sample_event(dispute_id, merchant_id="M-AP", trade_no=f"ch_{dispute_id}")
            e["type"], e["created"] = type_, start + later
            e["data"]["object"].update(amount=1000, **dispute)
            return e

        r = await post_stripe(stack, event("charge.dispute.created", 0))
        assert r.status_code == 202, r.text
        case_id = r.json()["case_id"]
        await stack.wait_for(case_id, lambda c: c["version"] >= 1)
        items = [{"kind": "shipping_tracking_number", "text": "SF123"}]
        assert (
            await stack.act(case_id, "agent", {"type": "add_evidence", "items": items})
        ).is_success
        r = await stack.act(case_id, "agent", {"type": "submit_defense"})
        assert r.status_code == 200 and r.json()["status"] == "submitted", r.text

        lost = event("charge.dispute.closed", 1, status="lost")
        assert (await post_stripe(stack, lost)).status_code == 202
        await stack.wait_for(case_id, lambda c: c["status"] == "closed")
        due_by = int(time.time()) + 40  # the fast policy's safety margin is 20 s
        details = {
            "due_by": due_by,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 1,
        }
        appeal = event(
            "charge.dispute.updated", 2, status="appeal_needs_response", evidence_details=details
        )
        assert (await post_stripe(stack, appeal)).status_code == 202
        case = await stack.wait_for(case_id, lambda c: c["details"]["round"] == 2)
        assert (case["status"], case["outcome"]) == ("needs_response", None)
        respond_by = datetime.fromisoformat(case["deadlines"]["respond_by"].replace("Z", "+00:00"))
        assert respond_by.timestamp() == due_by and case["details"]["phase"] == "appeal"

        case = await stack.wait_for(case_id, lambda c: "escalated" in kinds(c), timeout=60)
        escalated = next(e for e in case["timeline"] if e["type"] == "escalated")
        assert escalated["reason"] == "appeal_stage" and escalated["actor"] == "system"
        assert case["status"] == "needs_response" and "auto_accepted" not in kinds(case)
        assert case["details"]["escalated"] is True


@pytest.mark.rule("C6")
async def test_antom_validation_then_judged_over_http(stack: Stack) -> None:
    """A retrieval request: materials supplied, VALIDATE_FAIL (the next round, escalated),
    supplied again, VALIDATE_SUCCESS (under review), then DISPUTE_JUDGED without its time:
    lost, the deduction recorded as money moved, the disputed amount unchanged."""
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        # Antom's own times, a minute back: the judged notification without one is dated
        # when it arrives, after them.
        now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        retrieval = {"disputeType": "RETRIEVAL_REQUEST", "disputeReasonCode": "2006"}
        created = antom_created(now, paymentRequestId="PAY-RR", **retrieval)
        dispute_id = created["disputeId"]
        base = {k: created[k] for k in ("disputeId", "paymentId", "paymentRequestId")}
        assert (await post_antom(stack, created)).status_code == 200
        case_id = f"dispute-antom-{dispute_id}"
        case = await stack.wait_for(case_id, lambda c: c["version"] >= 1)
        assert case["category"] == "fraud"  # other card scheme 2006: Other Fraud
        items = [{"kind": "receipt", "text": "order O-RR, shipped 2026-11-20"}]
        for _ in range(2):
            await stack.wait_for(case_id, lambda c: c["status"] == "needs_response")
            r = await stack.act(case_id, "agent", {"type": "add_evidence", "items": items})
            assert r.status_code == 200, r.text
            r = await stack.act(case_id, "agent", {"type": "submit_defense"})
            assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
            if case["details"]["round"] == 1:
                fail = {
                    **base,
                    "disputeNotificationType": "DISPUTE_JUDGED",
                    "disputeJudgedResult": "VALIDATE_FAIL",
                    "disputeType": "RETRIEVAL_REQUEST",
                    "notifyTime": (now + timedelta(seconds=5)).isoformat(),
                }
                assert (await post_antom(stack, fail)).status_code == 200
                case = await stack.wait_for(case_id, lambda c: c["details"]["round"] == 2)
                assert case["details"]["escalated"] is True
        ok = {
            **base,
            "disputeNotificationType": "DISPUTE_JUDGED",
            "disputeJudgedResult": "VALIDATE_SUCCESS",
            "disputeType": "RETRIEVAL_REQUEST",
            "notifyTime": (now + timedelta(seconds=10)).isoformat(),
        }
        assert (await post_antom(stack, ok)).status_code == 200
        judged = {
            **base,
            "disputeNotificationType": "DISPUTE_JUDGED",
            "disputeJudgedResult": "ACCEPT_BY_MERCHANT",
            "disputeJudgedAmount": {"currency": "KRW", "value": "14204"},
        }
        assert (await post_antom(stack, judged)).status_code == 200
        case = await stack.wait_for(case_id, lambda c: c["status"] == "closed")
        assert case["outcome"] == "lost" and (case["amount"], case["currency"]) == ("14204", "KRW")
        assert case["details"]["moved"] == {"KRW": {"deducted": "14204"}}
        assert "escalated" in kinds(case)


@pytest.mark.rule("C6")
async def test_no_defence_where_the_provider_allows_none_over_http(stack: Stack) -> None:
    """Antom `defendable: "false"` (notifyDispute): `submit_defense` is 409 with the
    reason, nothing sent. Stripe `evidence_details.due_by` 0 (`_dispute.py`: the bank
    does not allow a response): not_answerable, no deadlines, `submit_defense` 409."""
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        now = datetime.now(UTC).replace(microsecond=0)
        created = antom_created(
            now, paymentRequestId="PAY-ND", disputeType="CHARGEBACK", defendable="false"
        )
        dispute_id = created["disputeId"]
        assert (await post_antom(stack, created)).status_code == 200
        case_id = f"dispute-antom-{dispute_id}"
        case = await stack.wait_for(case_id, lambda c: c["version"] >= 1)
        assert case["details"]["defendable"] is False
        items = [{"kind": "receipt", "text": "order O-ND, shipped 2026-11-20"}]
        r = await stack.act(case_id, "agent", {"type": "add_evidence", "items": items})
        assert r.status_code == 200, r.text
        r = await stack.act(case_id, "agent", {"type": "submit_defense"})
        assert r.status_code == 409 and "not defendable" in r.json()["detail"], r.text
        case = (await stack.read(f"/cases/{case_id}")).json()
        assert case["status"] == "needs_response" and "defense_submitted" not in kinds(case)

        stripe_id = f"dp_{uuid.uuid4().hex[:12]}"
        event = sample_event(stripe_id, merchant_id="M-NA", trade_no=f"ch_{stripe_id}")
        event["data"]["object"]["evidence_details"]["due_by"] = 0
        r = await post_stripe(stack, event)
        assert r.status_code == 202, r.text
        case_id = r.json()["case_id"]
        case = await stack.wait_for(case_id, lambda c: c["status"] == "not_answerable")
        assert case["deadlines"] == {} and case["details"]["due_by"] is None
        assert case["outcome"] is None and "not_answerable" in kinds(case)
        r = await stack.act(case_id, "agent", {"type": "submit_defense"})
        assert r.status_code == 409 and "not_answerable" in r.json()["detail"], r.text
