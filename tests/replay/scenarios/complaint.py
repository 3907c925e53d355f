"""Merchant complaints' replay scenarios (M1–M8): opened as the webhook opens them.

Each recorder runs one case to its end and returns its case ID (`tests/replay/record.py`
writes its history); the kind's registry entry names `SCENARIOS` (`replay_scenarios`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from redress.models.complaint import (
    Appeal,
    AppealDecision,
    PlatformVerdict,
    Refund,
    RefuseRefund,
    Reply,
)
from redress.policy import Policy, load_policy
from tests.harness import complaint_handle, make_complaint, open_complaint_case
from tests.kinds.harness import agent, platform, send
from workflows.complaint import ComplaintWorkflow

Handle = WorkflowHandle[ComplaintWorkflow, Any]


async def handled_in_time(env: WorkflowEnvironment, h: Handle) -> None:
    await send(h, agent(Reply(message="Shipped today")))
    await env.sleep(timedelta(days=8))


async def penalty_appeal_approved(env: WorkflowEnvironment, h: Handle) -> None:
    await env.sleep(timedelta(hours=97))
    await send(
        h,
        agent(Appeal(penalty_id="P1", statement="refunded", evidence=["refund.png"])),
    )
    await send(h, platform(AppealDecision(penalty_id="P1", approved=True)))
    await env.sleep(timedelta(days=8))


async def refund_overdue(env: WorkflowEnvironment, h: Handle) -> None:
    await send(
        h,
        agent(RefuseRefund(explanation="delivered", evidence=["pod.png"])),
    )
    await send(h, platform(PlatformVerdict(verdict="must_refund")))
    await env.sleep(timedelta(days=8))
    await send(h, agent(Refund(amount=100)))  # type: ignore[arg-type]
    await env.sleep(timedelta(days=31))


async def partial_refunds_long_case(env: WorkflowEnvironment, h: Handle) -> None:
    """Rules 2: an amount due, refunded in two parts, and enough replies in between that
    the case continues as new (its policy's history limit is 40 events)."""
    await send(
        h,
        agent(RefuseRefund(explanation="delivered", evidence=["pod.png"])),
    )
    verdict = PlatformVerdict(verdict="must_refund", amount=Decimal("60.00"))
    await send(h, platform(verdict))
    await send(h, agent(Refund(amount=Decimal("30.00"))))
    for i in range(12):
        await send(h, agent(Reply(message=f"update {i}")))
    await send(h, agent(Refund(amount=Decimal("30.00"))))
    await env.sleep(timedelta(days=8))


STEPS: dict[str, Callable[[WorkflowEnvironment, Handle], Awaitable[None]]] = {
    "complaint_handled_in_time": handled_in_time,
    "complaint_penalty_appeal_approved": penalty_appeal_approved,
    "complaint_refund_overdue": refund_overdue,
    "complaint_partial_refunds_long_case": partial_refunds_long_case,
}


# Policy changes per scenario (complaint section).
POLICY_CHANGES: dict[str, dict[str, object]] = {
    "complaint_partial_refunds_long_case": {"history_limit": 40},
}


def _policy(name: str) -> Policy:
    policy = load_policy("default")
    assert policy.complaint
    rules = policy.complaint.model_copy(update=POLICY_CHANGES.get(name, {}))
    return policy.model_copy(update={"complaint": rules})


def _recorder(
    steps: Callable[[WorkflowEnvironment, Handle], Awaitable[None]],
) -> Callable[[WorkflowEnvironment, Engine, str, str], Awaitable[str]]:
    async def record(env: WorkflowEnvironment, engine: Engine, name: str, version: str) -> str:
        # Test-server time starts at the wall clock: the case opens fresh.
        complaint = make_complaint(id=f"REC-{name}-{version}", created_at=datetime.now(UTC))
        opened = await open_complaint_case(env.client, "record", _policy(name), "test", complaint)
        h = complaint_handle(env.client, opened.case_id)
        await steps(env, h)
        await h.result()
        return opened.case_id

    return record


SCENARIOS = {name: _recorder(steps) for name, steps in STEPS.items()}
