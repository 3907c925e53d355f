"""A whole platform complaint through HTTP on the dev server: intake with a progress token,
identity verification, counterparty contact, a refund as compensation, the user's
objection by webhook, a supervisor's review; the user's progress page all along."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from redress.models.platform_intake import sample_event
from tests.e2e.harness import Stack
from tests.harness import running_worker


def created(**overrides: Any) -> dict[str, Any]:
    body = sample_event(f"PC{uuid.uuid4().hex[:10]}", trade_no=f"T{uuid.uuid4().hex[:10]}")
    body["complaint"]["user"] = {
        "id": f"U{uuid.uuid4().hex[:6]}",
        "locale": "en",
        "contact": {"channel": "email", "address": "li.lei@example.com"},
    }
    body["complaint"].update(overrides)
    return body


def user_event(complaint_id: str, type_: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"evt-{uuid.uuid4().hex[:10]}",
        "type": f"platform_complaint.{type_}",
        "complaint": {"id": complaint_id},
        **fields,
    }


async def progress(stack: Stack, case_id: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await stack.http.get(f"/progress/{case_id}", headers=headers)


@pytest.mark.rule("P3", "P5", "P6", "P7", "P9", "P10")
async def test_platform_complaint_end_to_end(stack: Stack) -> None:
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        body = created(amount="1500.00")
        r = await stack.post_webhook(body)
        assert r.status_code == 202, r.text
        case_id, token = r.json()["case_id"], r.json()["progress_token"]
        assert case_id == f"platform-generic-{body['complaint']['id']}"
        case = await stack.wait_for(case_id, lambda c: c["details"]["verification"])
        assert case["status"] == "awaiting_verification" and case["kind"] == "platform_complaint"

        # P10: the user's token opens this case only; nothing else opens the user's page.
        page = await progress(stack, case_id, token)
        assert page.status_code == 200 and page.json()["status"] == "awaiting_verification"
        assert page.json()["next_step"] == "identity_verification"
        other = (await stack.post_webhook(created())).json()
        for wrong in (None, "pt_nope", other["progress_token"], "agent-secret-1"):
            assert (await progress(stack, case_id, wrong)).status_code == 404

        verified = {"type": "record_verification", "passed": True, "method": "otp"}
        r = await stack.act(case_id, "agent", verified)
        assert r.status_code == 200 and r.json()["status"] == "investigating", r.text

        # P5: contacting the merchant needs the user's authorization first.
        ask = {"type": "contact_counterparty", "counterparty": "merchant", "message": "state?"}
        r = await stack.act(case_id, "agent", ask)
        assert r.status_code == 409 and "record_authorization" in r.json()["detail"]
        r = await stack.act(case_id, "agent", {"type": "record_authorization"})
        assert r.status_code == 200
        assert (await stack.act(case_id, "agent", ask)).status_code == 200
        r = await stack.act(case_id, "agent", {"type": "note", "text": "INTERNAL: call back"})
        assert r.status_code == 200

        # P6: complex: the deadline visibly moves.
        before = r.json()["deadlines"]["investigate_by"]
        r = await stack.act(case_id, "agent", {"type": "mark_complex", "reason": "bank involved"})
        assert r.status_code == 200 and r.json()["deadlines"]["investigate_by"] > before

        # P7: upheld with a refund: money moves once, and only with an Idempotency-Key.
        upheld = {
            "type": "conclude",
            "upheld": True,
            "basis": "charged twice, ledger shows both",
            "compensation": {"refund": "20.00"},
        }
        assert (await stack.act(case_id, "agent", upheld, key=None)).status_code == 428
        first = await stack.act(case_id, "agent", upheld, key="conclude-1")
        again = await stack.act(case_id, "agent", upheld, key="conclude-1")
        assert first.status_code == again.status_code == 200, first.text
        assert first.json()["status"] == "awaiting_confirmation"
        assert again.json()["refunded"] == "20.00"

        # P9: the user objects by webhook; a supervisor reviews.
        complaint_id = body["complaint"]["id"]
        objected = user_event(complaint_id, "objected", reason="the fee was not refunded")
        r = await stack.post_webhook(objected)
        assert r.status_code == 202 and r.json()["case_id"] == case_id, r.text
        assert (await stack.post_webhook(objected)).status_code == 200  # a redelivery
        case = await stack.wait_for(case_id, lambda c: c["status"] == "escalated")
        assert case["details"]["escalated"] and "review_by" in case["deadlines"]
        review = {**upheld, "compensation": {"points": 200}}
        assert (await stack.act(case_id, "agent", review)).status_code == 403
        r = await stack.act(case_id, "supervisor", review)
        assert r.status_code == 200 and (r.json()["status"], r.json()["outcome"]) == (
            "closed",
            "upheld",
        )
        late = await stack.post_webhook(user_event(complaint_id, "confirmed"))
        assert late.status_code == 409, late.text

        # What the user sees: statuses and the notices they got, nothing internal.
        await stack.wait_for(case_id, lambda c: c["status"] == "closed")
        page = await progress(stack, case_id, token)
        seen = page.json()
        assert seen["status"] == "closed" and seen["outcome"] == "upheld"
        templates = [n["template"] for n in seen["notices"]]
        assert templates[:2] == ["accepted", "verification_request"]
        assert {"result", "review_result", "progress"} <= set(templates)
        assert "INTERNAL" not in page.text and "agent-" not in page.text
        assert "supervisor-" not in page.text and "counterparty" not in page.text


@pytest.mark.rule("P1", "P4")
async def test_intake_accepts_incomplete_refuses_malformed_and_links(stack: Stack) -> None:
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        # P1: missing items are the desk's business (P2), not a refusal.
        incomplete = created(evidence=[], description="")
        del incomplete["complaint"]["trade_time"]
        r = await stack.post_webhook(incomplete)
        assert r.status_code == 202, r.text
        case = await stack.wait_for(r.json()["case_id"], lambda c: c["version"] >= 1)
        assert case["status"] == "awaiting_info"
        assert case["details"]["missing"] == ["trade_time", "description", "evidence"]

        # Malformed values and missing required fields are refused, naming the field.
        for field, value, named in [
            ("amount", "12.345", "amount"),
            ("trade_time", "yesterday", "trade_time"),
            ("currency", "XXX", "currency"),
            ("channel", "fax", "channel"),
        ]:
            r = await stack.post_webhook(created(**{field: value}))
            assert r.status_code == 422 and named in r.json()["detail"], (field, r.text)
        for required in ("id", "created_at", "channel", "user"):
            body = created()
            del body["complaint"][required]
            r = await stack.post_webhook(body)
            assert r.status_code == 422 and required in r.json()["detail"], r.text
        stale = created(created_at=(datetime.now(UTC) - timedelta(days=45)).isoformat())
        assert (await stack.post_webhook(stale)).status_code == 422

        # Same user, same trade, a case still open: linked, not opened again.
        first = created(category="funds_at_risk")
        r1 = await stack.post_webhook(first)
        second = created(trade_no=first["complaint"]["trade_no"])
        second["complaint"]["user"] = first["complaint"]["user"]
        r2 = await stack.post_webhook(second)
        assert r2.status_code == 200, r2.text
        assert r2.json()["linked"] is True and r2.json()["case_id"] == r1.json()["case_id"]
        assert r2.json()["progress_token"] == r1.json()["progress_token"]

        # P4: urgent cases list first.
        await stack.wait_for(r1.json()["case_id"], lambda c: c["version"] >= 1)
        listed = (await stack.read("/cases?kind=platform_complaint")).json()["items"]
        assert listed[0]["case_id"] == r1.json()["case_id"]
        assert listed[0]["priority"] == "urgent"
        assert {item["priority"] for item in listed[1:]} == {"regular"}
