"""Fixtures of the kinds' time-skipping tests: cases started on the test's own worker,
read back from the store, and retired when the test ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from redress.models import CaseResult
from redress.models.complaint import ComplaintCaseInput
from redress.policy import Policy
from redress.store.tables import CaseRecord, NoticeRecord, RefundRecord
from tests.conftest import case_input, make_complaint, running_worker
from workflows.complaint import ComplaintWorkflow

Handle = WorkflowHandle[ComplaintWorkflow, CaseResult]
RUNNING = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING


class Cases:
    """Starts cases on the test's worker and reads what they left in the store."""

    def __init__(self, env: WorkflowEnvironment, engine: Engine, task_queue: str) -> None:
        self.env, self.engine, self.task_queue = env, engine, task_queue
        self.handles: list[Handle] = []

    async def start(
        self, age: timedelta = timedelta(0), policy: Policy | None = None, rules: int | None = None
    ) -> tuple[Handle, ComplaintCaseInput]:
        """A case whose complaint was created `age` before the server's current time, on the
        current rules unless `rules` says which."""
        now = await self.env.get_current_time()
        inp = case_input(make_complaint(created_at=now - age), policy)
        if rules is not None:
            inp = inp.model_copy(update={"rules": rules})
        handle = await self.env.client.start_workflow(
            ComplaintWorkflow.run, inp, id=inp.case_id, task_queue=self.task_queue
        )
        self.handles.append(handle)
        return handle, inp

    def notices(self, case_id: str, template: str | None = None) -> list[NoticeRecord]:
        with Session(self.engine) as s:
            q = select(NoticeRecord).where(NoticeRecord.case_id == case_id)
            if template:
                q = q.where(NoticeRecord.template == template)
            return list(s.exec(q).all())

    def refunds(self, case_id: str) -> list[RefundRecord]:
        with Session(self.engine) as s:
            return list(s.exec(select(RefundRecord).where(RefundRecord.case_id == case_id)).all())

    def record(self, case_id: str) -> CaseRecord:
        with Session(self.engine) as s:
            row = s.get(CaseRecord, case_id)
            assert row is not None
            return row


@pytest.fixture
async def cases(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> AsyncIterator[Cases]:
    c = Cases(ts_env, engine, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        yield c
        for handle in c.handles:
            await retire(ts_env.client, handle)


async def retire(client: Client, handle: Handle) -> None:
    """Terminate a case once it is idle. The test server holds its clock while an activity
    or workflow task is outstanding: a case terminated mid-task, or left running without a
    worker, would stop time skipping for every later test."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + 10
    request = DescribeWorkflowExecutionRequest(
        namespace=client.namespace,
        execution=WorkflowExecution(workflow_id=handle.id, run_id=handle.result_run_id or ""),
    )
    while True:
        # The raw RPC: the SDK's describe() cannot decode the unset RedressNextDeadline the
        # test server returns for a case with no deadline left.
        raw = await client.workflow_service.describe_workflow_execution(request)
        if raw.workflow_execution_info.status != RUNNING:
            return
        # The test server never fills pending_workflow_task: read it from the history.
        task_open = False
        async for e in handle.fetch_history_events():
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                task_open = True
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                task_open = False
        if not raw.pending_activities and not task_open:
            break
        if loop.time() > give_up:
            raise AssertionError(f"{handle.id} never went idle")
        await asyncio.sleep(0.02)
    with contextlib.suppress(RPCError):  # completed in the meantime
        await handle.terminate("test over")
