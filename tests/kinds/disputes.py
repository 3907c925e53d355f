"""Disputes on the time-skipping server as the webhook opens them: the support the
dispute tests share (their fixture `ds` is in conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from redress.intake import Opened, open_case
from redress.kinds import KINDS
from redress.models import CaseAction, CaseView
from redress.models.dispute import DisputeEvent
from redress.models.dispute_tables import DisputeRequestRecord
from redress.policy import Policy, load_policy
from redress.store.tables import NoticeRecord
from tests import harness
from tests.harness import section
from tests.kinds import harness as kinds

KIND = KINDS["dispute"]
POLICY = load_policy("default")
RULES = section(POLICY, "dispute")
DAY = timedelta(days=1)

DELIVERY = [
    {"kind": "shipping_documentation", "ref": "file_pod", "bytes": 120_000},
    {"kind": "shipping_tracking_number", "text": "SF1234567890"},
    {"kind": "shipping_date", "text": "2026-11-20"},
    {"kind": "customer_communication", "ref": "file_chat", "bytes": 40_000},
]


@dataclass
class Disputes:
    env: WorkflowEnvironment
    engine: Engine
    task_queue: str
    handles: list[WorkflowHandle[Any, Any]] = field(default_factory=list)
    clock: int = 0
    policy: Policy = field(default_factory=lambda: POLICY)  # the one cases open on

    async def event(
        self,
        dispute_id: str,
        type_: str = "charge.dispute.created",
        *,
        at: datetime | None = None,
        event_id: str | None = None,
        **fields: Any,
    ) -> Opened:
        now = await self.env.get_current_time()
        self.clock += 1
        data: dict[str, Any] = {
            "event_id": event_id or f"evt_{uuid.uuid4().hex[:12]}",
            "type": type_,
            "provider": "stripe",
            "dispute_id": dispute_id,
            # Distinct, increasing provider timestamps unless a test says otherwise.
            "occurred_at": at or now + timedelta(milliseconds=self.clock),
            "merchant_id": "M-1",
            "amount": Decimal("120.00"),
            "currency": "USD",
            "reason": "product_not_received",
            "category": "product_not_received",
            "charge": f"ch_{dispute_id}",
        }
        data.update(fields)
        opened = await open_case(
            self.env.client,
            self.engine,
            self.task_queue,
            self.policy,
            KIND,
            "stripe",
            DisputeEvent.model_validate(data),
            now=now,
        )
        handle = self.env.client.get_workflow_handle(opened.case_id)
        if handle.id not in {h.id for h in self.handles}:
            self.handles.append(handle)
        return opened

    async def open(self, due_in: timedelta = 10 * DAY, **fields: Any) -> tuple[str, str]:
        dispute_id = f"dp_{uuid.uuid4().hex[:10]}"
        due = (await self.env.get_current_time()).replace(microsecond=0) + due_in
        fields.setdefault("stage", "needs_response")
        # A chargeback the provider lets the merchant defend, unless a test says otherwise.
        fields.setdefault("phase", "chargeback")
        fields.setdefault("defendable", True)
        opened = await self.event(dispute_id, due_by=due, **fields)
        await self.until(opened.case_id, lambda v: v.version >= 1)
        return dispute_id, opened.case_id

    async def act(self, case_id: str, action: dict[str, Any], role: str = "agent") -> CaseView:
        cmd = CaseAction(actor=f"{role}-1", role=role, action=action)  # type: ignore[arg-type]
        return await kinds.act(self.env.client.get_workflow_handle(case_id), cmd)

    async def refused(
        self, case_id: str, action: dict[str, Any], kind: str, role: str = "agent"
    ) -> str:
        cmd = CaseAction(actor=f"{role}-1", role=role, action=action)  # type: ignore[arg-type]
        return await kinds.refused(self.env.client.get_workflow_handle(case_id), cmd, kind)

    async def view(self, case_id: str) -> CaseView:
        return await kinds.view(self.env.client.get_workflow_handle(case_id))

    async def until(self, case_id: str, ok: Callable[[CaseView], bool]) -> CaseView:
        return await kinds.until(self.env.client.get_workflow_handle(case_id), ok)

    def requests(self, case_id: str) -> list[DisputeRequestRecord]:
        with Session(self.engine) as s:
            q = select(DisputeRequestRecord).where(DisputeRequestRecord.case_id == case_id)
            return list(s.exec(q).all())

    def notices(self, case_id: str, template: str) -> list[NoticeRecord]:
        return harness.notices(self.engine, case_id, template)
