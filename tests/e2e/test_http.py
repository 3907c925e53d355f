"""The whole path over real HTTP against a real Temporal dev server."""

from __future__ import annotations

import json

from sqlmodel import Session, select
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from redress.models.complaint import Complaint
from redress.store.tables import AuditEntry, NoticeRecord
from tests.e2e.harness import Stack, complaint_event, quick_policy
from tests.harness import complaint_handle, open_complaint_case, running_worker


async def _workflow_exists(stack: Stack, workflow_id: str) -> bool:
    try:
        await stack.env.client.get_workflow_handle(workflow_id).describe()
    except RPCError:
        return False
    return True


async def test_webhook_to_closed_case(stack: Stack) -> None:
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        event = complaint_event()
        r = await stack.post_webhook(event)
        assert r.status_code == 202, r.text
        case_id = r.json()["case_id"]
        assert r.json() == {"case_id": case_id, "workflow_id": case_id, "duplicate": False}

        case = await stack.wait_for(case_id, lambda c: c["status"] == "awaiting_response")
        assert set(case["deadlines"]) == {"respond_by"}
        assert case["timeline"][0]["type"] == "complaint_received"

        r = await stack.act(case_id, "agent", {"type": "reply", "message": "Shipping today."})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "awaiting_outcome"
        case = await stack.wait_for(case_id, lambda c: c["status"] == "closed", timeout=20)
        assert case["outcome"] == "accepted"
        assert case["penalties"] == []
        types = [e["type"] for e in case["timeline"]]
        assert types.index("message") < types.index("closed")

        # A closed case refuses further handling, with a reason.
        r = await stack.act(case_id, "agent", {"type": "reply", "message": "again"})
        assert r.status_code == 409
        assert "closed" in r.json()["detail"]

        listed = (await stack.read("/cases", params={"merchant_id": "M200"})).json()
        assert case_id in [item["case_id"] for item in listed["items"]]
        with Session(stack.engine) as s:
            notices = s.exec(select(NoticeRecord).where(NoticeRecord.case_id == case_id)).all()
        assert [n.template for n in notices] == ["acknowledgement"]
        assert notices[0].locale == "en" and notices[0].address == "li.lei@example.com"


async def test_duplicate_delivery_opens_one_case(stack: Stack) -> None:
    event = complaint_event()
    first = await stack.post_webhook(event)
    # The provider retries with a new delivery ID and even a new event ID: same complaint.
    again = await stack.post_webhook({**event, "event_id": "evt-retry"})
    assert first.status_code == 202 and again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["case_id"] == first.json()["case_id"]
    listing = [
        wf
        async for wf in stack.env.client.list_workflows(f"WorkflowId = '{first.json()['case_id']}'")
    ]
    assert len(listing) <= 1  # visibility may lag; the start itself refused the second


async def test_bad_signature_starts_nothing(stack: Stack) -> None:
    event = complaint_event()
    r = await stack.post_webhook(event, headers={"webhook-signature": "v1,AAAA"})
    assert r.status_code == 401
    assert "signature" in r.json()["detail"]
    r = await stack.post_webhook(event, headers={"webhook-timestamp": "1000000000"})
    assert r.status_code == 401 and "tolerance" in r.json()["detail"]
    assert not await _workflow_exists(stack, f"complaint-generic-{event['complaint']['id']}")


async def test_malformed_body_names_the_field(stack: Stack) -> None:
    event = complaint_event(amount="-3")
    r = await stack.post_webhook(event)
    assert r.status_code == 422
    assert "complaint.amount" in r.json()["detail"]
    r = await stack.post_webhook(complaint_event(created_at="2026-11-22T10:00:00"))
    assert r.status_code == 422 and "complaint.created_at" in r.json()["detail"]
    r = await stack.post_webhook(complaint_event(currency="XXX"))
    assert r.status_code == 422 and "currency" in r.json()["detail"]
    body = b"{not json"
    headers = stack.signer.headers("msg_raw", body)
    r = await stack.http.post("/webhooks/generic", content=body, headers=headers)
    assert r.status_code == 422 and "JSON" in r.json()["detail"]
    assert not await _workflow_exists(stack, f"complaint-generic-{event['complaint']['id']}")


async def test_action_auth_and_refusals(stack: Stack) -> None:
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        case_id = (await stack.post_webhook(complaint_event())).json()["case_id"]
        action = {"type": "refund", "amount": "10.00"}
        r = await stack.http.post(f"/cases/{case_id}/actions", json=action)
        assert r.status_code == 401
        r = await stack.http.post(
            f"/cases/{case_id}/actions", json=action, headers={"Authorization": "Bearer nope"}
        )
        assert r.status_code == 401
        r = await stack.act(case_id, "platform", action)
        assert r.status_code == 403 and "platform" in r.json()["detail"]
        r = await stack.act(case_id, "agent", {"type": "refund", "amount": "500.00"})
        assert r.status_code == 422 and "exceeds" in r.json()["detail"]
        r = await stack.act(case_id, "agent", {"type": "refund"})
        assert r.status_code == 422 and "amount" in r.json()["detail"]
        r = await stack.act(
            case_id, "platform", {"type": "platform_verdict", "verdict": "no_refund"}
        )
        assert r.status_code == 409 and "awaiting_response" in r.json()["detail"]
        r = await stack.act("complaint-generic-nope", "agent", action)
        assert r.status_code == 404
        case = (await stack.read(f"/cases/{case_id}")).json()
        assert case["refunded"] == "0" and case["status"] == "awaiting_response"
        with Session(stack.engine) as s:
            audit = s.exec(select(AuditEntry).where(AuditEntry.case_id == case_id)).all()
        # Every authenticated attempt, refused or not, with who, what, when and why.
        assert [(a.role, a.action, a.status_code) for a in audit] == [
            ("", "?", 401),
            ("", "?", 401),
            ("platform", "refund", 403),
            ("agent", "refund", 422),
            ("agent", "refund", 422),
            ("platform", "platform_verdict", 409),
        ]
        assert all(a.request_id and a.actor and a.at and not a.accepted for a in audit)
        assert [a.actor for a in audit[:2]] == ["anonymous", "anonymous"]


async def test_worker_restart_mid_case(stack: Stack) -> None:
    """A deadline that passes while no worker runs fires when one comes back."""
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        case_id = (await stack.post_webhook(complaint_event())).json()["case_id"]
        await stack.wait_for(case_id, lambda c: c["status"] == "awaiting_response")
    # No worker: the 4 s handling deadline passes unattended.
    await __import__("asyncio").sleep(5)
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        case = await stack.wait_for(case_id, lambda c: c["status"] == "overdue")
        (penalty,) = case["penalties"]
        assert penalty["reason"] == "response_overdue" and penalty["points"] == 1
        r = await stack.act(
            case_id,
            "agent",
            {
                "type": "appeal",
                "penalty_id": penalty["id"],
                "statement": "Refunded the user.",
                "evidence": ["refund-record.png"],
            },
        )
        assert r.status_code == 200, r.text
        r = await stack.act(
            case_id,
            "platform",
            {"type": "appeal_decision", "penalty_id": penalty["id"], "approved": True},
        )
        assert r.json()["penalties"][0]["state"] == "revoked"
        r = await stack.act(case_id, "agent", {"type": "refund", "amount": "120.50"})
        assert r.status_code == 200 and r.json()["status"] == "awaiting_outcome"
        case = await stack.wait_for(case_id, lambda c: c["status"] == "closed", timeout=20)
        handle = complaint_handle(stack.env.client, case_id)
        result = await handle.result()
        assert result.points == 0 and str(result.refunded) == "120.50"
        types = [e["type"] for e in case["timeline"]]
        assert "penalty" in types
        templates = [e["template"] for e in case["timeline"] if e["type"] == "notice"]
        assert "deadline_reminder" not in templates  # stale once the deadline itself passed
        assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
        assert json.dumps(case)  # the projection is plain JSON


async def test_provider_retry_after_api_died_before_answering(stack: Stack) -> None:
    """The case was started, then the API died before its 202 left: the retry finds it."""
    event = complaint_event()
    complaint = Complaint.model_validate(event["complaint"])
    started = await open_complaint_case(
        stack.env.client, stack.task_queue, quick_policy(), "generic", complaint
    )
    assert not started.duplicate
    r = await stack.post_webhook(event)
    assert r.status_code == 200
    assert r.json() == {
        "case_id": started.case_id,
        "workflow_id": started.case_id,
        "duplicate": True,
    }
