"""PreventionNoticeWorkflow (C2): one written notice to a customer that later wins a
dispute (a delivery delayed with its new date, an item out of stock with the choice to
cancel, a recurring billing cancelled with its effective date), sent once and attached to
the transaction's evidence. A workflow, so a notice asked for is sent even if the process
that asked dies; its ID is the notice's idempotency key."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.disputes import DisputeActivities
    from redress.models.evidence import PreventionNotice, PreventionSent


@workflow.defn
class PreventionNoticeWorkflow:
    @workflow.run
    async def run(self, inp: PreventionNotice) -> PreventionSent:
        sent: PreventionSent = await workflow.execute_activity_method(
            DisputeActivities.send_prevention_notice,
            inp,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=30)),
        )
        workflow.set_current_details(
            f"{inp.notice.type} for {inp.transaction_id} sent {sent.delivered_at.isoformat()}"
        )
        return sent
