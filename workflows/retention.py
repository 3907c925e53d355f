"""RetentionWorkflow: purge closed cases past their retention (rule C1), started by a
Temporal Schedule so it runs on time whether or not anyone is watching."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from redress.models import PurgeRequest, PurgeResult, RetentionInput


@workflow.defn
class RetentionWorkflow:
    @workflow.run
    async def run(self, inp: RetentionInput) -> PurgeResult:
        cutoff = workflow.now() - timedelta(seconds=inp.keep_for_seconds)
        result: PurgeResult = await workflow.execute_activity_method(
            CaseActivities.purge_expired,
            PurgeRequest(closed_before=cutoff),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
        )
        workflow.set_current_details(
            f"purged {result.cases} cases closed before {cutoff.isoformat()}"
        )
        return result
