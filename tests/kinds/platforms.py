"""Platform complaints on the time-skipping server as the webhook opens them: the support
the platform-complaint tests share (their fixture `pc` is in conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from redress.intake import Opened, open_case
from redress.kinds import KINDS
from redress.models import CaseAction, CaseView
from redress.models.platform_intake import sample_event
from redress.models.values import INCOMING
from redress.policy import Policy, load_policy
from redress.store.tables import NoticeRecord
from tests import harness
from tests.harness import section
from tests.kinds import harness as kinds

KIND = KINDS["platform_complaint"]
DEFAULT = load_policy("default")
RULES = section(DEFAULT, "platform_complaint")


def policy_with(**changes: Any) -> Policy:
    """The default policy with its platform section changed (e.g. manual acceptance)."""
    return harness.with_section(DEFAULT, "platform_complaint", **changes)


MANUAL = policy_with(acceptance=RULES.acceptance.model_copy(update={"manual": True}))


@dataclass
class Platform:
    env: WorkflowEnvironment
    engine: Engine
    task_queue: str
    handles: list[WorkflowHandle[Any, Any]]

    @property
    def client(self) -> Client:
        return self.env.client

    async def intake(self, body: dict[str, Any], policy: Policy = DEFAULT) -> Opened:
        event = KIND.events[body["type"]].model_validate(body, context=INCOMING)
        now = await self.env.get_current_time()
        opened = await open_case(
            self.client, self.engine, self.task_queue, policy, KIND, "generic", event, now=now
        )
        handle = self.client.get_workflow_handle(opened.case_id)
        if handle.id not in {h.id for h in self.handles}:
            self.handles.append(handle)
        return opened

    async def open(self, policy: Policy = DEFAULT, **complaint: Any) -> str:
        # A trade of its own: the same user and trade would be linked to the first case.
        body = sample_event(f"PC{uuid.uuid4().hex[:10]}", trade_no=f"T{uuid.uuid4().hex[:12]}")
        body["complaint"]["created_at"] = (await self.env.get_current_time()).isoformat()
        body["complaint"].update(complaint)
        body["complaint"] = {k: v for k, v in body["complaint"].items() if v is not None}
        return (await self.intake(body, policy)).case_id

    async def user(self, case_id: str, type_: str, **fields: Any) -> Opened:
        complaint_id = case_id.removeprefix("platform-generic-")
        body = {
            "event_id": f"evt-{uuid.uuid4().hex[:12]}",
            "type": f"platform_complaint.{type_}",
            "complaint": {"id": complaint_id, **fields.pop("complaint", {})},
            **fields,
        }
        return await self.intake(body)

    async def act(
        self, case_id: str, role: str, action: dict[str, Any], id: str | None = None
    ) -> CaseView:
        cmd = CaseAction(actor=f"{role}-1", role=role, action=action)  # type: ignore[arg-type]
        return await kinds.act(self.client.get_workflow_handle(case_id), cmd, id)

    async def refused(self, case_id: str, role: str, action: dict[str, Any], kind: str) -> str:
        cmd = CaseAction(actor=f"{role}-1", role=role, action=action)  # type: ignore[arg-type]
        return await kinds.refused(self.client.get_workflow_handle(case_id), cmd, kind)

    async def view(self, case_id: str) -> CaseView:
        return await kinds.view(self.client.get_workflow_handle(case_id))

    async def until(self, case_id: str, ok: Callable[[CaseView], bool]) -> CaseView:
        return await kinds.until(self.client.get_workflow_handle(case_id), ok)

    def notices(self, case_id: str, template: str | None = None) -> list[NoticeRecord]:
        return harness.notices(self.engine, case_id, template)


# An upheld conclusion with a refund (P7).
UPHELD = {
    "type": "conclude",
    "upheld": True,
    "basis": "duplicate charge confirmed in the ledger",
    "compensation": {"refund": "20.00"},
}
