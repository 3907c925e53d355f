"""Opening cases: one workflow per source case, started exactly once.

The kind's mapping turns a verified event into a workflow start; the workflow ID is the
case ID, derived from the source's own ID and started with REJECT_DUPLICATE, so a repeated
webhook (even after the case closed) finds the case it opened the first time instead of
opening another.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


@dataclass(frozen=True)
class Delivery:
    """A verified delivery's identity and how long it could be sent again: answered once,
    the same delivery again is a replay."""

    id: str
    keep_for: timedelta


class Replayed(Exception):
    """This very delivery was answered before."""


async def open_case(
    client: Client,
    engine: Engine,
    task_queue: str,
    policy: Policy,
    kind: CaseKind,
    source: str,
    event: BaseModel,
    now: datetime | None = None,
    delivery: Delivery | None = None,
) -> Opened:
    """Start the case an intake event opens, once: a case in the ledger (or already
    started) is a duplicate, a delivery answered before is `Replayed`. `now` is the
    intake's clock (a test server's in tests)."""
    ctx = IntakeContext(
        source=source,
        policy=policy,
        now=now or datetime.now(UTC),
        case_id=lambda source_id: kind.case_id(source, source_id),
    )
    start = kind.open(event, ctx)
    event_id = str(getattr(event, "event_id", ""))
    seen, known = await asyncio.to_thread(
        crud.intake_lookup, engine, source, delivery.id if delivery else None, start.case_id
    )
    if seen:
        raise Replayed(start.case_id)
    # The ledger outlives Temporal's retention: a closed case removed from Temporal is
    # still the case this complaint opened, not a reason to open (and penalize) another.
    run_id: str | None = None
    if not known:
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
            run_id = handle.first_execution_run_id or ""
        except WorkflowAlreadyStartedError as err:
            known, run_id = True, err.run_id or ""
    # Written once the start is certain (one transaction); a crash before it leaves a
    # start that the next delivery finds in Temporal (duplicate) and records then.
    await asyncio.to_thread(
        crud.record_intake,
        engine,
        case_id=start.case_id,
        kind=kind.name,
        provider=source,
        event_id=event_id,
        first_run_id=run_id,
        delivery=delivery.id if delivery else None,
        keep_for=delivery.keep_for if delivery else timedelta(0),
    )
    return Opened(case_id=start.case_id, workflow_id=start.case_id, duplicate=known)
