"""Deliveries and retries: a redelivery never opens a second case, even after Temporal
removed the first; a captured delivery cannot be replayed in another spelling; a retry
after a failure is welcome; a reviewer's retried refund acts once."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from sqlmodel import Session, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError, RPCStatusCode

from redress.api import webhooks
from redress.store.tables import AuditEntry, IntakeRecord, NoticeRecord, RefundRecord
from tests.e2e.harness import Stack, complaint_event
from tests.harness import running_worker


async def _post_raw(stack: Stack, body: bytes, headers: Any) -> Any:
    return await stack.http.post("/webhooks/generic", content=body, headers=headers)


async def _gone(stack: Stack, workflow_id: str) -> bool:
    try:
        await stack.env.client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        return err.status == RPCStatusCode.NOT_FOUND
    return False


async def test_a_redelivery_after_the_workflow_is_deleted_is_a_duplicate(stack: Stack) -> None:
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        event = complaint_event()
        r = await stack.post_webhook(event)
        case_id = r.json()["case_id"]
        await stack.act(case_id, "agent", {"type": "reply", "message": "done"})
        await stack.wait_for(case_id, lambda c: c["status"] == "closed", timeout=30)
        # Every key of a case the intake opens carries its first run.
        with Session(stack.engine) as s:
            [ledger] = s.exec(select(IntakeRecord).where(IntakeRecord.case_id == case_id)).all()
            keys = [n.idempotency_key for n in s.exec(select(NoticeRecord)) if n.case_id == case_id]
        assert keys and all(k.startswith(f"{case_id}@{ledger.first_run_id[:8]}:") for k in keys)

        client = stack.env.client  # as `temporal workflow delete` does
        await client.workflow_service.delete_workflow_execution(
            DeleteWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=case_id),
            )
        )
        for _ in range(180):  # the dev server deletes in a background task, ~30 s later
            if await _gone(stack, case_id):
                break
            await asyncio.sleep(0.5)
        assert await _gone(stack, case_id)

        again = dict(event, event_id=f"evt-{uuid.uuid4().hex[:8]}")
        r = await stack.post_webhook(again)
        assert (r.status_code, r.json()["duplicate"]) == (200, True)
        assert await _gone(stack, case_id)  # no second case started
        case = (await stack.read(f"/cases/{case_id}")).json()
        assert case["outcome"] == "accepted"  # the store keeps the first case


async def test_a_captured_delivery_in_another_spelling_is_still_a_replay(stack: Stack) -> None:
    body = json.dumps(complaint_event()).encode()
    headers = stack.signer.headers(f"msg_{uuid.uuid4().hex}", body)
    headers["content-type"] = "application/json"
    assert (await _post_raw(stack, body, headers)).status_code == 202
    spellings = [
        {**headers, "webhook-timestamp": "0" + headers["webhook-timestamp"]},
        {**headers, "webhook-signature": "v1,AAAA " + headers["webhook-signature"]},
    ]
    for spelled in spellings:
        r = await _post_raw(stack, body, spelled)
        assert r.status_code == 401 and "replayed delivery" in r.json()["detail"]
    doubled = list(headers.items()) + [("webhook-id", "msg_other")]
    r = await _post_raw(stack, body, doubled)
    assert r.status_code == 400 and "webhook-id header is given more than once" in r.text


async def test_a_byte_identical_retry_after_a_503_is_accepted(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = webhooks.open_case

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise RPCError("connection refused", RPCStatusCode.UNAVAILABLE, b"")

    body = json.dumps(complaint_event()).encode()
    headers = stack.signer.headers(f"msg_{uuid.uuid4().hex}", body)
    headers["content-type"] = "application/json"
    monkeypatch.setattr(webhooks, "open_case", unreachable)
    assert (await _post_raw(stack, body, headers)).status_code == 503
    monkeypatch.setattr(webhooks, "open_case", real)
    assert (await _post_raw(stack, body, headers)).status_code == 202


async def test_a_refund_needs_a_key_bound_to_its_request(stack: Stack) -> None:
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        case_id = (await stack.post_webhook(complaint_event())).json()["case_id"]
        await stack.wait_for(case_id, lambda c: c["version"] >= 1)
        refund = {"type": "refund", "amount": "10.00"}
        r = await stack.act(case_id, "agent", refund, key=None)
        assert r.status_code == 428 and "Idempotency-Key" in r.json()["detail"]
        first = await stack.act(case_id, "agent", refund, key="r-1")
        retry = await stack.act(case_id, "agent", refund, key="r-1")
        assert first.status_code == retry.status_code == 200
        other = await stack.act(case_id, "agent", {**refund, "amount": "20.00"}, key="r-1")
        assert other.status_code == 422 and "another request" in other.json()["detail"]
        by_other = await stack.act(case_id, "supervisor", refund, key="r-1")
        assert by_other.status_code == 422
        with Session(stack.engine) as s:
            refunds = [r for r in s.exec(select(RefundRecord)) if r.case_id == case_id]
        assert [r.amount for r in refunds] == ["10.00"]


async def test_an_audit_hiccup_after_a_refund_is_not_a_500(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from redress.store import crud

    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        case_id = (await stack.post_webhook(complaint_event())).json()["case_id"]
        await stack.wait_for(case_id, lambda c: c["version"] >= 1)

        def broken(*_: Any) -> None:
            raise OperationalError("INSERT INTO audit_log", {}, Exception("disk I/O error"))

        monkeypatch.setattr(crud, "record_audit", broken)
        r = await stack.act(case_id, "agent", {"type": "refund", "amount": "5.00"})
        assert r.status_code == 200 and r.json()["refunded"] == "5.00"
        with Session(stack.engine) as s:
            assert [a for a in s.exec(select(AuditEntry)) if a.case_id == case_id] == []
