"""What the kinds' time-skipping tests share: starting a case on the test's own worker,
taking an action and reading the case back (`act`, `refused`, `view`, `until`), what a case
left in the store, and retiring a case when the test ends. Any kind's handle will do: every
kind answers the query `case` and takes the Update `act`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from redress.models import ActionReceipt, CaseAction, CaseResult, CaseView
from redress.models.complaint import ComplaintCaseInput
from redress.policy import Policy
from redress.store.tables import CaseRecord, NoticeRecord, RefundRecord
from tests import harness
from workflows.complaint import ComplaintWorkflow

Handle = WorkflowHandle[ComplaintWorkflow, CaseResult]
AnyHandle = WorkflowHandle[Any, Any]
RUNNING = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING


# --- actions and the case ---------------------------------------------------------------


def agent(action: Any) -> CaseAction:
    return CaseAction(actor="agent-1", role="agent", action=action)


def platform(action: Any) -> CaseAction:
    return CaseAction(actor="platform-1", role="platform", action=action)


async def send(handle: AnyHandle, cmd: CaseAction, id: str | None = None) -> ActionReceipt:
    """Take an action (the Update `act`, with update ID `id` if given)."""
    receipt: ActionReceipt = await handle.execute_update(
        "act", cmd, id=id, result_type=ActionReceipt
    )
    return receipt


async def view(handle: AnyHandle) -> CaseView:
    return await handle.query("case", result_type=CaseView)


async def act(handle: AnyHandle, cmd: CaseAction, id: str | None = None) -> CaseView:
    """Take an action and read the case after it."""
    await send(handle, cmd, id)
    return await view(handle)


async def refusal(handle: AnyHandle, cmd: CaseAction) -> ApplicationError:
    """Send an action that must be refused; returns the refusal."""
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await act(handle, cmd)
    cause = info.value.cause
    assert isinstance(cause, ApplicationError), cause
    return cause


async def refused(handle: AnyHandle, cmd: CaseAction, kind: str) -> str:
    """Send an action that must be refused with `kind`; returns the refusal's message."""
    cause = await refusal(handle, cmd)
    assert cause.type == kind, cause.message
    return cause.message


async def until(handle: AnyHandle, ok: Callable[[CaseView], bool], seconds: float = 10) -> CaseView:
    """Poll the case (real time, the clock stays put) until `ok` holds."""

    async def reached() -> CaseView:
        v = await view(handle)
        if not ok(v):
            raise AssertionError(f"{handle.id}: {v.status} {v.details}")
        return v

    # An RPCError: the first workflow task is not done yet.
    return await harness.eventually(
        reached, timeout=seconds, interval=0.02, retry=(AssertionError, RPCError)
    )


def types(v: CaseView) -> list[str]:
    """The types of the case's timeline events, in order."""
    return [e.type for e in v.timeline]


async def sleep_until(env: WorkflowEnvironment, at: datetime) -> None:
    await env.sleep(at - await env.get_current_time())


# --- merchant complaints started on the test's worker -----------------------------------


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
        inp = harness.case_input(harness.make_complaint(created_at=now - age), policy)
        if rules is not None:
            inp = inp.model_copy(update={"rules": rules})
        handle = await self.env.client.start_workflow(
            ComplaintWorkflow.run, inp, id=inp.case_id, task_queue=self.task_queue
        )
        self.handles.append(handle)
        return handle, inp

    def notices(self, case_id: str, template: str | None = None) -> list[NoticeRecord]:
        return harness.notices(self.engine, case_id, template)

    def refunds(self, case_id: str) -> list[RefundRecord]:
        with Session(self.engine) as s:
            return list(s.exec(select(RefundRecord).where(RefundRecord.case_id == case_id)).all())

    def record(self, case_id: str) -> CaseRecord:
        with Session(self.engine) as s:
            row = s.get(CaseRecord, case_id)
            assert row is not None
            return row


# --- the end of a test ------------------------------------------------------------------


async def retire(client: Client, handle: AnyHandle) -> None:
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


def event(v: CaseView, type_: str) -> Any:
    """The one timeline entry of this type."""
    [found] = [e for e in v.timeline if e.type == type_]
    return found


class HoldsHandles(Protocol):
    """A kind's test support: the cases it started, retired when the test ends."""

    handles: list[WorkflowHandle[Any, Any]]


S = TypeVar("S", bound=HoldsHandles)


@contextlib.asynccontextmanager
async def serving(
    env: WorkflowEnvironment, engine: Engine, task_queue: str, support: S
) -> AsyncIterator[S]:
    """`support` with a worker on the test's own task queue; every case it started is
    retired when the test ends (the fixtures of each kind's tests)."""
    async with harness.running_worker(env.client, engine, task_queue):
        yield support
        for handle in support.handles:
            await retire(env.client, handle)
