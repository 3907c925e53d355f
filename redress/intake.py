"""Opening cases: one workflow per source complaint, started exactly once.

The workflow ID is derived from the source's own complaint ID and started with
REJECT_DUPLICATE, so a repeated webhook (even after the case closed) finds the case
it opened the first time instead of opening another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from redress import search_attributes as sa
from redress.models import CURRENT_EFFECTS, Complaint, ComplaintCaseInput
from redress.policy import Policy
from workflows.complaint import ComplaintWorkflow


@dataclass(frozen=True)
class Opened:
    case_id: str
    workflow_id: str
    duplicate: bool


def case_id_for(source: str, complaint_id: str) -> str:
    return f"complaint-{source}-{complaint_id}"


def summary_for(complaint: Complaint) -> str:
    # Shown in the Web UI list: IDs, amount and category, no personal data.
    return (
        f"Complaint {complaint.id} · merchant {complaint.merchant_id} · "
        f"{complaint.amount} {complaint.currency} · {complaint.category}"
    )


def start_search_attributes(merchant_id: str, respond_by: datetime) -> TypedSearchAttributes:
    """What a new case shows in the Web UI's list from its first moment (no personal data)."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(sa.CASE_STATUS, "awaiting_response"),
            SearchAttributePair(sa.MERCHANT, merchant_id),
            SearchAttributePair(sa.KIND, "merchant_complaint"),
            SearchAttributePair(sa.NEXT_DEADLINE, respond_by),
            SearchAttributePair(sa.PENALIZED, False),
            SearchAttributePair(sa.POINTS, 0),
        ]
    )


async def open_complaint_case(
    client: Client,
    task_queue: str,
    policy: Policy,
    source: str,
    complaint: Complaint,
    event_id: str | None = None,
) -> Opened:
    case_id = case_id_for(source, complaint.id)
    now = datetime.now(UTC)
    snapshot = policy.snapshot(complaint.created_at)
    respond_by = complaint.created_at + snapshot.complaint.handle_within
    try:
        await client.start_workflow(
            ComplaintWorkflow.run,
            ComplaintCaseInput(
                case_id=case_id,
                source=source,
                complaint=complaint,
                policy=snapshot,
                received_at=now,
                event_id=event_id,
                effects=CURRENT_EFFECTS,
            ),
            id=case_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=start_search_attributes(complaint.merchant_id, respond_by),
            static_summary=summary_for(complaint),
        )
    except WorkflowAlreadyStartedError:
        return Opened(case_id=case_id, workflow_id=case_id, duplicate=True)
    return Opened(case_id=case_id, workflow_id=case_id, duplicate=False)
