"""Platform complaints' replay scenarios (P1–P10): opened and moved on through the intake.

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
from redress.models import CaseAction
from redress.models.platform_complaint import KIND
from redress.models.platform_intake import sample_event
from redress.models.values import INCOMING
from redress.policy import Policy, load_policy


class PlatformCase:
    def __init__(self, env: WorkflowEnvironment, engine: Engine, name: str, version: str) -> None:
        self.env, self.engine = env, engine
        self.complaint_id = f"REC-{name}-{version}"
        self.case_id = ""
        self.events = 0

    async def intake(self, body: dict[str, Any], policy: Policy) -> None:
        kind = KINDS[KIND]
        event = kind.events[body["type"]].model_validate(body, context=INCOMING)
        now = await self.env.get_current_time()
        opened = await open_case(
            self.env.client, self.engine, "record", policy, kind, "test", event, now=now
        )
        self.case_id = opened.case_id

    async def open(self, policy: Policy, **complaint: Any) -> None:
        body = sample_event(self.complaint_id, trade_no=f"T-{self.complaint_id}")
        body["complaint"]["created_at"] = (await self.env.get_current_time()).isoformat()
        body["complaint"].update(complaint)
        await self.intake(body, policy)

    async def user(self, type_: str, policy: Policy, **fields: Any) -> None:
        self.events += 1
        body = {
            "event_id": f"evt-{self.complaint_id}-{self.events}",
            "type": f"platform_complaint.{type_}",
            "complaint": {"id": self.complaint_id, **fields.pop("complaint", {})},
            **fields,
        }
        await self.intake(body, policy)

    async def act(self, role: str, **action: Any) -> None:
        cmd = CaseAction(actor=f"{role}-1", role=role, action=action)  # type: ignore[arg-type]
        await self.env.client.get_workflow_handle(self.case_id).execute_update("act", cmd)


async def platform_upheld_silence(env: WorkflowEnvironment, c: PlatformCase, p: Policy) -> None:
    """Verified above the threshold, counterparty contacted, complex, upheld with a
    refund; the user stays silent."""
    await c.open(p, amount="1500.00")
    await env.sleep(timedelta(minutes=5))
    await c.act("agent", type="record_verification", passed=True, method="otp")
    await c.act("agent", type="record_authorization", counterparties=["merchant"])
    await c.act("agent", type="contact_counterparty", counterparty="merchant", message="state?")
    await c.act("agent", type="mark_complex", reason="two platforms")
    await c.act(
        "agent",
        type="conclude",
        upheld=True,
        basis="charged twice",
        compensation={"refund": "20.00"},
    )
    await env.sleep(timedelta(days=8))


async def platform_objection_review(env: WorkflowEnvironment, c: PlatformCase, p: Policy) -> None:
    """Incomplete, supplemented, overdue investigation, not upheld, objected, reviewed."""
    await c.open(p, description="", evidence=[], category="account_stolen")
    await c.user("supplemented", p, complaint={"description": "stolen", "evidence": ["a.png"]})
    await env.sleep(timedelta(days=12))
    await c.act("agent", type="conclude", upheld=False, basis="payment was authorised")
    await c.user("objected", p, reason="it was not me")
    await c.act(
        "supervisor", type="conclude", upheld=True, basis="device log", compensation={"points": 50}
    )


async def platform_lapsed(env: WorkflowEnvironment, c: PlatformCase, p: Policy) -> None:
    """An incomplete complaint that lapses without a supplement."""
    await c.open(p, evidence=[])
    await env.sleep(timedelta(days=8))


async def platform_manual_escalated(env: WorkflowEnvironment, c: PlatformCase, p: Policy) -> None:
    await c.open(p)
    await env.sleep(timedelta(hours=25))
    await c.act("supervisor", type="reject", reason="not a payment matter")


STEPS: dict[str, Callable[[WorkflowEnvironment, PlatformCase, Policy], Awaitable[None]]] = {
    "platform_upheld_silence": platform_upheld_silence,
    "platform_objection_review": platform_objection_review,
    "platform_lapsed": platform_lapsed,
    "platform_manual_escalated": platform_manual_escalated,
}


def _platform_policy(name: str) -> Policy:
    policy = load_policy("default")
    assert policy.platform_complaint
    if "manual" not in name:
        return policy
    acceptance = policy.platform_complaint.acceptance.model_copy(update={"manual": True})
    section = policy.platform_complaint.model_copy(update={"acceptance": acceptance})
    return policy.model_copy(update={"platform_complaint": section})


def _recorder(
    steps: Callable[[WorkflowEnvironment, PlatformCase, Policy], Awaitable[None]],
) -> Callable[[WorkflowEnvironment, Engine, str, str], Awaitable[str]]:
    async def record(env: WorkflowEnvironment, engine: Engine, name: str, version: str) -> str:
        case = PlatformCase(env, engine, name, version)
        await steps(env, case, _platform_policy(name))
        await env.client.get_workflow_handle(case.case_id).result()
        return case.case_id

    return record


SCENARIOS = {name: _recorder(steps) for name, steps in STEPS.items()}
