"""Opening cases: one workflow per source case, started exactly once.

The kind's mapping turns a verified event into a workflow start; the workflow ID is the
case ID, derived from the source's own ID and started with REJECT_DUPLICATE, so a repeated
webhook (even after the case closed) finds the case it opened the first time instead of
opening another.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from redress import search_attributes as sa
from redress.kinds import CaseKind
from redress.models.case import CaseResult
from redress.models.intake import CaseStart, IntakeContext
from redress.policy import Policy
from redress.store import crud


@dataclass(frozen=True)
class Opened:
    case_id: str
    workflow_id: str
    duplicate: bool


def start_search_attributes(kind: str, start: CaseStart) -> TypedSearchAttributes:
    """What a new case shows in the Web UI's list from its first moment (no personal data)."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.CASE_STATUS, start.status),
        SearchAttributePair(sa.MERCHANT, start.merchant_id),
        SearchAttributePair(sa.KIND, kind),
    ]
    if start.next_deadline is not None:
        pairs.append(SearchAttributePair(sa.NEXT_DEADLINE, start.next_deadline))
    pairs += [SearchAttributePair(sa.PENALIZED, False), SearchAttributePair(sa.POINTS, 0)]
    return TypedSearchAttributes([*pairs, *start.search_attributes])


async def open_case(
    client: Client,
    engine: Engine,
    task_queue: str,
    policy: Policy,
    kind: CaseKind,
    source: str,
    event: BaseModel,
    now: datetime | None = None,
) -> Opened:
    """Start the case an intake event opens, once: a case in the ledger (or already
    started) is a duplicate. `now` is the intake's clock (a test server's in tests)."""
    ctx = IntakeContext(
        source=source,
        policy=policy,
        now=now or datetime.now(UTC),
        case_id=lambda source_id: kind.case_id(source, source_id),
    )
    start = kind.open(event, ctx)
    event_id = str(getattr(event, "event_id", ""))
    duplicate = Opened(case_id=start.case_id, workflow_id=start.case_id, duplicate=True)
    # The ledger outlives Temporal's retention: a closed case removed from Temporal is
    # still the case this complaint opened, not a reason to open (and penalize) another.
    if await asyncio.to_thread(crud.opened_case, engine, start.case_id) is not None:
        await asyncio.to_thread(_note_event, engine, source, event_id, start.case_id)
        return duplicate
    try:
        handle = await client.start_workflow(
            kind.workflow_type,
            start.input.model_copy(update={"run_keys": True}),
            id=start.case_id,
            task_queue=task_queue,
            result_type=CaseResult,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=start_search_attributes(kind.name, start),
            static_summary=start.summary,
        )
        run_id, opened = handle.first_execution_run_id or "", False
    except WorkflowAlreadyStartedError as err:
        run_id, opened = err.run_id or "", True
    # Written once the start is certain; a crash before it leaves a start that the next
    # delivery finds in Temporal (duplicate) and records then.
    await asyncio.to_thread(
        crud.record_intake,
        engine,
        case_id=start.case_id,
        kind=kind.name,
        source=source,
        event_id=event_id,
        first_run_id=run_id,
    )
    await asyncio.to_thread(_note_event, engine, source, event_id, start.case_id)
    return duplicate if opened else Opened(start.case_id, start.case_id, duplicate=False)


def _note_event(engine: Engine, provider: str, event_id: str, case_id: str) -> None:
    if event_id:
        crud.record_event(engine, provider=provider, event_id=event_id, case_id=case_id)
