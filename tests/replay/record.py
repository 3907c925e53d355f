"""Record workflow histories for the replay tests.

    .venv/bin/python -m tests.replay.record v6

Runs one case per branch on the time-skipping server, started the way the webhook starts
them, and writes each history to tests/replay/histories/<branch>-<version>.json. Record a
new version (and commit it beside the old ones) only for a deliberate, patched change: the
committed files are what running cases look like, and replaying every one of them proves a
new workflow version still understands cases started under each earlier one.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from redress.intake import open_case
from redress.kinds import KINDS
from redress.models import CaseAction, RetentionInput
from redress.models.case import INCOMING
from redress.models.complaint import (
    Appeal,
    AppealDecision,
    PlatformVerdict,
    Refund,
    RefuseRefund,
    Reply,
)
from redress.models.dispute import DisputeEvent
from redress.models.platform_intake import sample_event
from redress.policy import Policy, load_policy
from redress.search_attributes import ensure_registered
from redress.store.db import make_engine
from tests.harness import binary, complaint_handle, make_complaint, open_complaint_case
from tests.kinds.harness import agent, platform, send
from worker import build_worker
from workflows.complaint import ComplaintWorkflow
from workflows.retention import RetentionWorkflow

HISTORIES = Path(__file__).parent / "histories"

Handle = WorkflowHandle[ComplaintWorkflow, object]


async def handled_in_time(env: WorkflowEnvironment, h: Handle) -> None:
    await send(h, agent(Reply(message="Shipped today")))
    await env.sleep(timedelta(days=8))


async def penalty_appeal_approved(env: WorkflowEnvironment, h: Handle) -> None:
    await env.sleep(timedelta(hours=97))
    await send(h, agent(Appeal(penalty_id="P1", statement="refunded", evidence=["refund.png"])))
    await send(h, platform(AppealDecision(penalty_id="P1", approved=True)))
    await env.sleep(timedelta(days=8))


async def refund_overdue(env: WorkflowEnvironment, h: Handle) -> None:
    await send(h, agent(RefuseRefund(explanation="delivered", evidence=["pod.png"])))
    await send(h, platform(PlatformVerdict(verdict="must_refund")))
    await env.sleep(timedelta(days=8))
    await send(h, agent(Refund(amount=100)))  # type: ignore[arg-type]
    await env.sleep(timedelta(days=31))


async def partial_refunds_long_case(env: WorkflowEnvironment, h: Handle) -> None:
    """Rules 2: an amount due, refunded in two parts, and enough replies in between that
    the case continues as new (its policy's history limit is 40 events)."""
    await send(h, agent(RefuseRefund(explanation="delivered", evidence=["pod.png"])))
    verdict = PlatformVerdict(verdict="must_refund", amount=Decimal("60.00"))
    await send(h, platform(verdict))
    await send(h, agent(Refund(amount=Decimal("30.00"))))
    for i in range(12):
        await send(h, agent(Reply(message=f"update {i}")))
    await send(h, agent(Refund(amount=Decimal("30.00"))))
    await env.sleep(timedelta(days=8))


SCENARIOS: dict[str, Callable[[WorkflowEnvironment, Handle], Awaitable[None]]] = {
    "complaint_handled_in_time": handled_in_time,
    "complaint_penalty_appeal_approved": penalty_appeal_approved,
    "complaint_refund_overdue": refund_overdue,
    "complaint_partial_refunds_long_case": partial_refunds_long_case,
}


# --- platform complaints (P1–P10): opened and moved on through the intake ---------------


class PlatformCase:
    def __init__(self, env: WorkflowEnvironment, engine: Engine, name: str, version: str) -> None:
        self.env, self.engine = env, engine
        self.complaint_id = f"REC-{name}-{version}"
        self.case_id = ""
        self.events = 0

    async def intake(self, body: dict[str, Any], policy: Policy) -> None:
        kind = KINDS["platform_complaint"]
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


PLATFORM_SCENARIOS: dict[
    str, Callable[[WorkflowEnvironment, PlatformCase, Policy], Awaitable[None]]
] = {
    "platform_upheld_silence": platform_upheld_silence,
    "platform_objection_review": platform_objection_review,
    "platform_lapsed": platform_lapsed,
    "platform_manual_escalated": platform_manual_escalated,
}


# --- disputes (C1–C6): provider events through the intake, already normalized -----------


class DisputeCase:
    def __init__(self, env: WorkflowEnvironment, engine: Engine, name: str, version: str) -> None:
        self.env, self.engine = env, engine
        self.dispute_id = f"dp_REC-{name}-{version}"
        self.case_id = ""
        self.n = 0

    async def event(self, type_: str, **fields: Any) -> None:
        self.n += 1
        now = await self.env.get_current_time()
        data: dict[str, Any] = {
            "event_id": f"evt_{self.dispute_id}_{self.n}",
            "type": type_,
            "provider": "stripe",
            "dispute_id": self.dispute_id,
            "occurred_at": now,
            "merchant_id": "M100",
            "amount": Decimal("120.00"),
            "currency": "USD",
            "reason": "product_not_received",
            "category": "product_not_received",
            "charge": f"ch_{self.n}",
            **fields,
        }
        kind = KINDS["dispute"]
        opened = await open_case(
            self.env.client,
            self.engine,
            "record",
            load_policy("default"),
            kind,
            "stripe",
            DisputeEvent.model_validate(data),
            now=now,
        )
        self.case_id = opened.case_id

    async def act(self, role: str, **action: Any) -> None:
        cmd = CaseAction(actor=f"{role}-1", role=role, action=action)  # type: ignore[arg-type]
        await self.env.client.get_workflow_handle(self.case_id).execute_update("act", cmd)


async def dispute_defended_won_prearb(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """Defended and won, then pre-arbitration (round 2) that the policy submits by itself."""
    due = (await env.get_current_time()) + timedelta(days=10)
    await d.event("charge.dispute.created", stage="needs_response", due_by=due)
    await d.act(
        "agent",
        type="add_evidence",
        items=[{"kind": "shipping_documentation", "ref": "file_pod", "bytes": 1000}],
    )
    await d.act("agent", type="submit_defense")
    await d.event("charge.dispute.funds_withdrawn", stage="under_review", funds="withdrawn")
    await d.event("charge.dispute.closed", stage="won")
    due = (await env.get_current_time()) + timedelta(days=20)
    await d.event("charge.dispute.updated", stage="needs_response", due_by=due)
    await env.sleep(timedelta(days=21))
    await d.event("charge.dispute.closed", stage="lost")
    await env.sleep(timedelta(days=121))


async def dispute_auto_accepted(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """Small, and nobody acted: accepted by the policy before the due time."""
    due = (await env.get_current_time()) + timedelta(days=3)
    await d.event(
        "charge.dispute.created", stage="needs_response", due_by=due, amount=Decimal("10.00")
    )
    await env.sleep(timedelta(days=3))
    await d.event("charge.dispute.closed", stage="lost")
    await env.sleep(timedelta(days=121))


DISPUTE_SCENARIOS: dict[str, Callable[[WorkflowEnvironment, DisputeCase], Awaitable[None]]] = {
    "dispute_defended_won_prearb": dispute_defended_won_prearb,
    "dispute_auto_accepted": dispute_auto_accepted,
}


def _platform_policy(name: str) -> Policy:
    policy = load_policy("default")
    assert policy.platform_complaint
    if "manual" not in name:
        return policy
    acceptance = policy.platform_complaint.acceptance.model_copy(update={"manual": True})
    section = policy.platform_complaint.model_copy(update={"acceptance": acceptance})
    return policy.model_copy(update={"platform_complaint": section})


# Policy changes per scenario (complaint section).
POLICY_CHANGES: dict[str, dict[str, object]] = {
    "complaint_partial_refunds_long_case": {"history_limit": 40},
}


def _policy(name: str) -> Policy:
    policy = load_policy("default")
    assert policy.complaint
    rules = policy.complaint.model_copy(update=POLICY_CHANGES.get(name, {}))
    return policy.model_copy(update={"complaint": rules})


async def main(version: str, only: list[str]) -> None:
    HISTORIES.mkdir(parents=True, exist_ok=True)
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await ensure_registered(env.client)
    with TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/cases.db")
        async with build_worker(env.client, engine, "record"):
            for name, scenario in SCENARIOS.items():
                if only and name not in only:
                    continue
                # Test-server time starts at the wall clock: the case opens fresh.
                complaint = make_complaint(id=f"REC-{name}-{version}", created_at=datetime.now(UTC))
                opened = await open_complaint_case(
                    env.client, "record", _policy(name), "test", complaint
                )
                h = complaint_handle(env.client, opened.case_id)
                await scenario(env, h)
                await h.result()
                history = await h.fetch_history()
                (HISTORIES / f"{name}-{version}.json").write_text(history.to_json())
                print(f"recorded {name}: {len(history.events)} events")
                started = history.events[0].workflow_execution_started_event_attributes
                if started.continued_execution_run_id:  # continued as new: the earlier run too
                    first = env.client.get_workflow_handle(
                        opened.case_id, run_id=started.continued_execution_run_id
                    )
                    history = await first.fetch_history()
                    (HISTORIES / f"{name}_run1-{version}.json").write_text(history.to_json())
                    print(f"recorded {name}_run1: {len(history.events)} events")
            for name, platform in PLATFORM_SCENARIOS.items():
                if only and name not in only:
                    continue
                case = PlatformCase(env, engine, name, version)
                await platform(env, case, _platform_policy(name))
                h = env.client.get_workflow_handle(case.case_id)
                await h.result()
                history = await h.fetch_history()
                (HISTORIES / f"{name}-{version}.json").write_text(history.to_json())
                print(f"recorded {name}: {len(history.events)} events")
            for name, dispute in DISPUTE_SCENARIOS.items():
                if only and name not in only:
                    continue
                d = DisputeCase(env, engine, name, version)
                await dispute(env, d)
                h = env.client.get_workflow_handle(d.case_id)
                await h.result()
                history = await h.fetch_history()
                (HISTORIES / f"{name}-{version}.json").write_text(history.to_json())
                print(f"recorded {name}: {len(history.events)} events")
            # One retention history is enough until RetentionWorkflow changes: then delete it.
            if not list(HISTORIES.glob("retention_purge-*.json")):
                retention = await env.client.start_workflow(
                    RetentionWorkflow.run,
                    RetentionInput(keep_for_seconds=360 * 86400),
                    id=f"REC-retention-{version}",
                    task_queue="record",
                )
                await retention.result()
                history = await retention.fetch_history()
                (HISTORIES / f"retention_purge-{version}.json").write_text(history.to_json())
                print(f"recorded retention_purge: {len(history.events)} events")
    await env.shutdown()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m tests.replay.record VERSION [SCENARIO …]  (e.g. v6)")
    asyncio.run(main(sys.argv[1], sys.argv[2:]))
