"""A payment failure through HTTP on the dev server: the failure with a card number in it,
the user's notice, the channel's answer, a capture refunded once, the desk's refund needing
an Idempotency-Key, the merchant's failure figures and one alert for a burst."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from redress.models import RefundReceipt, RefundRequest
from redress.models.payment_failure import rules_of
from redress.payments.failure_rates import AlertsInput, AlertsResult
from redress.payments.gateway import SimulatedGateway
from redress.store.tables import NoticeRecord, RefundRecord
from tests.e2e.harness import Stack, quick_policy
from tests.harness import running_worker
from worker import build_worker
from workflows.payment_failure_alerts import PaymentFailureAlertsWorkflow

CARD = "4111 1111 1111 1111"


def event(type_: str, payment_id: str, merchant: str = "M-PF", **fields: Any) -> dict[str, Any]:
    payment: dict[str, Any] = {
        "id": payment_id,
        "order_no": f"O-{payment_id}",
        "merchant_id": merchant,
        "channel": "alipay",
        "amount": "59.90",
        "currency": "CNY",
        "occurred_at": datetime.now(UTC).isoformat(),
        "user": {
            "id": "U-9",
            "locale": "en",
            "contact": {"channel": "email", "address": "han.mei@example.com"},
        },
    }
    if type_ == "payment.failed":
        payment["return_code"] = "ACQ.BUYER_BALANCE_NOT_ENOUGH"
    payment.update(fields)
    return {"event_id": f"evt-{uuid.uuid4().hex[:12]}", "type": type_, "payment": payment}


@pytest.mark.rule("F2", "F4", "F5", "F6")
async def test_a_payment_failure_end_to_end(stack: Stack) -> None:
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        payment_id = f"P{uuid.uuid4().hex[:10]}"
        failed = event("payment.failed", payment_id, card={"number": CARD, "expiry": "12/29"})
        r = await stack.post_webhook(failed)
        assert r.status_code == 202, r.text
        case_id = r.json()["case_id"]
        assert r.json() == {"case_id": case_id, "workflow_id": case_id, "duplicate": False}
        assert case_id == f"failure-generic-{payment_id}"
        again = await stack.post_webhook(failed)  # the same event, delivered again
        assert again.status_code == 200 and again.json()["duplicate"] is True

        case = await stack.wait_for(case_id, lambda c: c["status"] == "awaiting_retry")
        d = case["details"]
        assert case["kind"] == "payment_failure"
        assert (d["cause"], d["return_code"], d["channel"], d["next_step"]) == (
            "insufficient_funds",
            "ACQ.BUYER_BALANCE_NOT_ENOUGH",
            "alipay",
            "check_balance",
        )
        assert d["reconciliation"]["channel_state"] == "not_captured"
        assert d["card_last4"] == "1111" and d["order_no"] == f"O-{payment_id}"
        raw = (await stack.read(f"/cases/{case_id}")).text
        assert CARD.replace(" ", "") not in raw and CARD not in raw
        notices = [e for e in case["timeline"] if e["type"] == "notice"]
        assert notices and notices[0]["template"] == "insufficient_funds"

        # Nothing taken: the desk's refund is refused; without an Idempotency-Key, it is
        # refused before it reaches the case.
        r = await stack.act(case_id, "agent", {"type": "refund", "amount": "59.90"}, key=None)
        assert r.status_code >= 400 and "Idempotency-Key" in r.text
        r = await stack.act(case_id, "agent", {"type": "refund", "amount": "59.90"})
        assert r.status_code == 409, r.text

        # The channel took the money after all: refunded at once, once.
        r = await stack.post_webhook(event("payment.captured", payment_id))
        assert r.status_code == 202, r.text
        await stack.post_webhook(event("payment.captured", payment_id))  # another report
        case = await stack.wait_for(case_id, lambda c: c["status"] == "closed")
        assert (case["outcome"], case["refunded"]) == ("refunded", "59.90")
        assert [e["type"] for e in case["timeline"]].count("refunded") == 1

        # Refused at the door: an implausible card number, an amount finer than the currency.
        bad = event("payment.failed", "P-bad", card={"number": "4111 1111 1111 1112"})
        r = await stack.post_webhook(bad)
        assert r.status_code == 422 and "1112" not in r.text
        r = await stack.post_webhook(event("payment.failed", "P-bad2", amount="10.005"))
        assert r.status_code == 422

        # A burst on another merchant's card channel: one alert, with the figures.
        merchant = f"M-{uuid.uuid4().hex[:6]}"
        for n in range(12):
            burst = event("payment.failed", f"{merchant}-{n}", merchant, channel="card")
            burst["payment"]["return_code"] = "91"
            assert (await stack.post_webhook(burst)).status_code == 202
        ok = event("payment.succeeded", f"{merchant}-ok", merchant, channel="card")
        assert (await stack.post_webhook(ok)).status_code == 202
        for n in range(12):
            await stack.wait_for(f"failure-generic-{merchant}-{n}", lambda c: c["version"] >= 1)
        rules = rules_of(quick_policy())  # the stack's policy
        result: AlertsResult = await stack.env.client.execute_workflow(
            PaymentFailureAlertsWorkflow.run,
            AlertsInput(policy=rules),
            id=f"alerts-{merchant}",
            task_queue=stack.task_queue,
        )
        assert result.raised >= 1
        r = await stack.read(f"/merchants/{merchant}/payments/failures?window=1h")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["window"] == "1h" and body["merchant_id"] == merchant
        card = body["channels"]["card"]
        assert (card["attempts"], card["failures"], card["causes"]) == (
            13,
            12,
            {"bank_maintenance": 12},
        )
        (alert,) = body["alerts"]
        assert alert["channel"] == "card" and alert["cleared_at"] is None
        assert alert["top_causes"][0]["cause"] == "bank_maintenance"
        from sqlmodel import Session, select

        with Session(stack.engine) as s:
            sent = s.exec(
                select(NoticeRecord).where(NoticeRecord.case_id == f"payment-failures:{merchant}")
            ).all()
        assert [n.template for n in sent] == ["alert"]
        # Merchant-scoped like every read; a bad window is a 422.
        r = await stack.read(f"/merchants/{merchant}/payments/failures", role="desk-a")
        assert r.status_code == 404
        r = await stack.read(f"/merchants/{merchant}/payments/failures?window=soon")
        assert r.status_code == 422


class LostAnswerGateway:
    """The payments gateway as a worker that dies mid-refund sees it: the refund is made
    (the money moves), then the call hangs until `release`, and its answer is lost."""

    def __init__(self, engine: Engine) -> None:
        self.inner = SimulatedGateway(engine)
        self.entered = threading.Event()
        self.release = threading.Event()

    def refund(self, request: RefundRequest) -> RefundReceipt:
        self.inner.refund(request)
        self.entered.set()
        self.release.wait(timeout=60)
        raise ConnectionError("the worker went away before the gateway's answer came back")


@pytest.mark.rule("F4")
async def test_a_refund_retried_after_the_worker_restarts_refunds_once(stack: Stack) -> None:
    """A capture after the failure: the refund activity is in flight when its worker stops;
    a new worker retries it with the same idempotency key, and one refund is in the store."""
    payment_id = f"P{uuid.uuid4().hex[:10]}"
    case_id = f"failure-generic-{payment_id}"
    gateway = LostAnswerGateway(stack.engine)
    first = build_worker(stack.env.client, stack.engine, stack.task_queue, gateway=gateway)
    await first.__aenter__()
    try:
        r = await stack.post_webhook(event("payment.failed", payment_id))
        assert r.status_code == 202, r.text
        await stack.wait_for(case_id, lambda c: c["status"] == "awaiting_retry")
        # The webhook waits for the case to take the capture: it answers once refunded.
        captured = asyncio.create_task(
            stack.post_webhook(event("payment.captured", payment_id), timeout=90)
        )
        assert await asyncio.to_thread(gateway.entered.wait, 30), "no refund was asked for"
        stopping = asyncio.create_task(first.__aexit__(None, None, None))
        await asyncio.sleep(0.5)
        gateway.release.set()  # the first attempt's answer is lost with its worker
        await stopping
    finally:
        gateway.release.set()
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        case = await stack.wait_for(case_id, lambda c: c["status"] == "closed", timeout=60)
        assert case["outcome"] == "refunded", case
        assert (await captured).status_code == 202
    history = await stack.env.client.get_workflow_handle(case_id).fetch_history()
    attempts = [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.HasField("activity_task_started_event_attributes")
    ]
    assert max(attempts) >= 2, attempts  # the refund was retried, on the new worker
    with Session(stack.engine) as s:
        refunds = list(s.exec(select(RefundRecord).where(RefundRecord.case_id == case_id)))
    assert [(r.amount, r.currency) for r in refunds] == [("59.90", "CNY")]
