"""Payment failures' replay scenarios (F1–F6): the channel's events through the intake.

Each recorder runs one case to its end and returns its case ID (`tests/replay/record.py`
writes its history); the kind's registry entry names `SCENARIOS` (`replay_scenarios`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from redress.intake import open_case
from redress.kinds import KINDS
from redress.models.case import CaseAction
from redress.models.payment_failure import KIND
from redress.models.values import INCOMING
from redress.policy import load_policy


class FailureCase:
    def __init__(self, env: WorkflowEnvironment, engine: Engine, name: str, version: str) -> None:
        self.env, self.engine = env, engine
        self.payment_id = f"REC-{name}-{version}"
        self.case_id = ""
        self.n = 0

    async def event(self, type_: str, payment_id: str | None = None, **fields: Any) -> None:
        self.n += 1
        now = await self.env.get_current_time()
        payment: dict[str, Any] = {
            "id": payment_id or self.payment_id,
            "order_no": f"O-{self.payment_id}",
            "merchant_id": "M100",
            "channel": "alipay",
            "amount": "88.00",
            "currency": "CNY",
            "occurred_at": now.isoformat(),
            "card": {"last4": "1111"},
            "user": {
                "id": "U1",
                "locale": "zh-CN",
                "contact": {"channel": "sms", "address": "+8613800000000"},
            },
            **fields,
        }
        body = {"event_id": f"evt-{self.payment_id}-{self.n}", "type": type_, "payment": payment}
        kind = KINDS[KIND]
        event = kind.events[type_].model_validate(body, context=INCOMING)
        opened = await open_case(
            self.env.client,
            self.engine,
            "record",
            load_policy("default"),
            kind,
            "generic",
            event,
            now=now,
        )
        if type_ == "payment.failed":
            self.case_id = opened.case_id

    async def act(self, role: str, **action: Any) -> None:
        cmd = CaseAction(actor=f"{role}-1", role=role, action=action)  # type: ignore[arg-type]
        await self.env.client.get_workflow_handle(self.case_id).execute_update("act", cmd)


async def captured_refunded(env: WorkflowEnvironment, f: FailureCase) -> None:
    """Nothing taken at first; the channel's capture comes later: refunded once, then a
    repeated capture and a note while the case waits for late events."""
    await f.event("payment.failed", return_code="101")
    await f.event("payment.captured")
    await f.event("payment.captured")
    await f.act("agent", type="note", text="refunded by the case")
    await env.sleep(timedelta(days=8))


async def abandoned(env: WorkflowEnvironment, f: FailureCase) -> None:
    """An unknown code; no retry within the window: abandoned."""
    await f.event("payment.failed", return_code="ZZ-99")
    await env.sleep(timedelta(days=9))


async def recovered(env: WorkflowEnvironment, f: FailureCase) -> None:
    """The user paid again: recovered; the desk closes nothing, notes it."""
    await f.event("payment.failed", return_code="202", channel="wechat")
    await f.event("payment.succeeded", payment_id=f"{f.payment_id}-2", channel="wechat")
    await f.act("agent", type="note", text="paid with the second attempt")
    await env.sleep(timedelta(days=8))


STEPS: dict[str, Callable[[WorkflowEnvironment, FailureCase], Awaitable[None]]] = {
    "failure_captured_refunded": captured_refunded,
    "failure_abandoned": abandoned,
    "failure_recovered": recovered,
}


def _recorder(
    steps: Callable[[WorkflowEnvironment, FailureCase], Awaitable[None]],
) -> Callable[[WorkflowEnvironment, Engine, str, str], Awaitable[str]]:
    async def record(env: WorkflowEnvironment, engine: Engine, name: str, version: str) -> str:
        case = FailureCase(env, engine, name, version)
        await steps(env, case)
        await env.client.get_workflow_handle(case.case_id).result()
        return case.case_id

    return record


SCENARIOS = {name: _recorder(steps) for name, steps in STEPS.items()}
