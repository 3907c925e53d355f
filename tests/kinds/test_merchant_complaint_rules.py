"""Merchant complaints, rules 2: no sequence of actions lets a merchant escape a deadline
the platform imposes, and no user can grow a case past Temporal's history limits. Cases
opened before these rules (rules 1) keep the ones they started with."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from redress.models import RefundReceipt, RefundRequest
from redress.models.complaint import PlatformVerdict, Refund, RefuseRefund, Reply, Resolve
from redress.payments.gateway import SimulatedGateway
from redress.policy import load_policy
from tests.kinds.harness import (
    Cases,
    Handle,
    act,
    agent,
    platform,
    refused,
    retire,
    sleep_until,
    view,
)
from worker import build_worker

REFUSE = agent(RefuseRefund(explanation="Delivered, signed", evidence=["pod.png"]))


async def _in_review(cases: Cases, rules: int | None = None) -> Handle:
    h, _ = await cases.start(rules=rules)
    assert (await act(h, REFUSE)).status == "platform_review"
    return h


@pytest.mark.rule("M6")
async def test_a_verdict_fixes_the_amount_due_and_partial_refunds_keep_its_clock(
    cases: Cases,
) -> None:
    h = await _in_review(cases)
    v = await act(h, platform(PlatformVerdict(verdict="must_refund", amount=Decimal("60.00"))))
    refund_by = v.deadlines["refund_by"]
    assert [e for e in v.timeline if e.type == "platform_verdict"][0].amount_due == "60.00"  # type: ignore[attr-defined]
    v = await act(h, agent(Refund(amount=Decimal("0.01"))))
    assert v.status == "pending_refund" and v.deadlines["refund_by"] == refund_by
    v = await act(h, agent(Refund(amount=Decimal("59.99"))))
    assert (v.status, v.outcome, v.refunded) == ("closed", "refunded", Decimal("60.00"))


@pytest.mark.rule("M7")
async def test_a_partial_refund_does_not_stop_the_overdue_penalty(cases: Cases) -> None:
    h = await _in_review(cases)
    v = await act(h, platform(PlatformVerdict(verdict="must_refund")))  # due: all 100.00
    refund_by = v.deadlines["refund_by"]
    v = await act(h, agent(Refund(amount=Decimal("50.00"))))
    assert v.status == "pending_refund"
    await sleep_until(cases.env, refund_by + timedelta(minutes=1))
    v = await view(h)
    assert [(p.reason, p.state) for p in v.penalties] == [("refund_overdue", "active")]


@pytest.mark.rule("M6")
async def test_the_amount_due_cannot_exceed_what_is_refundable(cases: Cases) -> None:
    h = await _in_review(cases)
    verdict = platform(PlatformVerdict(verdict="must_refund", amount=Decimal("100.01")))
    assert "exceeds the refundable amount 100.00 CNY" in await refused(h, verdict, "Invalid")


async def test_a_partial_refund_in_review_leaves_the_review_open(cases: Cases) -> None:
    h = await _in_review(cases)
    v = await act(h, agent(Refund(amount=Decimal("1.00"))))
    assert (v.status, v.refunded) == ("platform_review", Decimal("1.00"))
    v = await act(h, agent(Refund(amount=Decimal("99.00"))))  # all of it: nothing to decide
    assert (v.status, v.outcome) == ("closed", "refunded")


@pytest.mark.rule("M6")
async def test_only_the_platform_resolves_a_case_in_review(cases: Cases) -> None:
    h = await _in_review(cases)
    for role in (agent, lambda a: agent(a).model_copy(update={"role": "supervisor"})):
        msg = await refused(h, role(Resolve(note="user is happy")), "Forbidden")
        assert "may not resolve a case in platform_review" in msg
    v = await act(h, platform(Resolve(note="settled with the user")))
    assert (v.status, v.outcome) == ("closed", "resolved")


async def test_cases_opened_before_keep_their_rules(cases: Cases) -> None:
    h = await _in_review(cases, rules=1)
    v = await act(h, agent(Resolve(note="user is happy")))  # as before: the merchant may
    assert v.outcome == "resolved"
    h = await _in_review(cases, rules=1)
    await act(h, platform(PlatformVerdict(verdict="must_refund")))
    v = await act(h, agent(Refund(amount=Decimal("0.01"))))
    assert v.outcome == "refunded"


@pytest.mark.rule("M5")
async def test_replies_are_capped_by_policy(cases: Cases) -> None:
    policy = load_policy("default")
    assert policy.complaint
    rules = policy.complaint.model_copy(update={"max_messages": 3})
    h, _ = await cases.start(policy=policy.model_copy(update={"complaint": rules}))
    for i in range(3):
        await act(h, agent(Reply(message=f"message {i}")))
    msg = await refused(h, agent(Reply(message="one more")), "Conflict")
    assert "holds 3 messages, the most the policy allows (complaint.max_messages)" in msg


async def test_a_long_case_continues_as_new_and_keeps_its_deadlines(cases: Cases) -> None:
    policy = load_policy("default")
    assert policy.complaint
    rules = policy.complaint.model_copy(update={"history_limit": 40, "max_messages": 500})
    h, inp = await cases.start(policy=policy.model_copy(update={"complaint": rules}))
    v = await act(h, agent(Reply(message="first")))
    outcome_by = v.deadlines["outcome_by"]
    first_run = (await h.describe()).run_id
    for i in range(12):  # each reply: an update, a local activity, a few events
        await act(h, agent(Reply(message=f"more {i}")))
    v = await view(h)
    assert v.deadlines == {"outcome_by": outcome_by}
    assert sum(e.type == "message" for e in v.timeline) == 13
    assert any(e.type == "continued" for e in v.timeline)
    history = [e async for e in cases.env.client.get_workflow_handle(
        inp.case_id, run_id=first_run).fetch_history_events()]  # fmt: skip
    assert history[-1].event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert len(history) < 60

    # The deadline carried over fires in the new run, exactly once.
    await sleep_until(cases.env, outcome_by + timedelta(minutes=1))
    v = await view(h)
    assert (v.status, v.outcome) == ("closed", "accepted")
    assert sum(e.type == "closed" for e in v.timeline) == 1
    assert len(cases.notices(inp.case_id, "acknowledgement")) == 1  # not sent again


class SlowGateway(SimulatedGateway):
    """Takes `delay` seconds over the first refund: a gateway outage that ends."""

    def __init__(self, engine: Engine, delay: float) -> None:
        super().__init__(engine)
        self.delay, self.calls = delay, 0

    def refund(self, request: RefundRequest) -> RefundReceipt:
        self.calls += 1
        if self.calls == 1:
            time.sleep(self.delay)
        return super().refund(request)


async def test_a_refund_the_gateway_does_not_confirm_in_time_is_refused(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> None:
    policy = load_policy("default")
    assert policy.complaint
    rules = policy.complaint.model_copy(update={"refund_timeout": timedelta(seconds=1)})
    gateway = SlowGateway(engine, delay=3)
    async with build_worker(ts_env.client, engine, task_queue, gateway=gateway):
        cases = Cases(ts_env, engine, task_queue)
        h, inp = await cases.start(policy=policy.model_copy(update={"complaint": rules}))
        msg = await refused(h, agent(Refund(amount=Decimal("30.00"))), "Unavailable")
        assert "did not confirm the refund within 1s" in msg
        v = await view(h)  # the case goes on, nothing recorded in it
        assert (v.status, v.refunded) == ("awaiting_response", Decimal("0"))
        await asyncio.sleep(3)  # the first attempt lands at the gateway after all
        v = await act(h, agent(Refund(amount=Decimal("30.00"))))
        assert v.refunded == Decimal("30.00")  # the same key: the gateway's first refund
        [row] = cases.refunds(inp.case_id)
        assert row.idempotency_key == f"{inp.case_id}:refund:1"
        for handle in cases.handles:
            await retire(ts_env.client, handle)
