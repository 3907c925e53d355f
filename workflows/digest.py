"""DigestWorkflow: each merchant's daily digest (M12), started by a Temporal Schedule every
day at the policy's time of day in its time zone (`digest.at`, `digest.timezone`).

One activity call per run, as of the workflow's own clock (the Schedule's start). The
policy travels in the input: the Schedule holds the one the worker last wrote.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from temporalio.client import Client

    from activities.digest import DigestActivities, DigestInput, DigestResult
    from redress.digest import schedule_spec
    from redress.policy import Policy
    from redress.schedules import ensure_schedule

DIGEST_SCHEDULE_ID = "redress-digest"


@workflow.defn
class DigestWorkflow:
    @workflow.run
    async def run(self, inp: DigestInput) -> DigestResult:
        at = inp.at or workflow.now()
        result: DigestResult = await workflow.execute_activity_method(
            DigestActivities.send,
            inp.model_copy(update={"at": at}),
            start_to_close_timeout=timedelta(minutes=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
        workflow.set_current_details(
            f"digests for {result.merchants} merchants, {result.sent} sent"
        )
        return result


async def ensure_digest_schedule(
    client: Client, policy: Policy, task_queue: str, schedule_id: str = DIGEST_SCHEDULE_ID
) -> None:
    """Create (or bring up to date) the Schedule that sends the daily digests."""
    inp = DigestInput(policy=policy.digest)
    await ensure_schedule(
        client,
        schedule_id,
        DigestWorkflow.run,
        inp,
        timedelta(days=1),
        task_queue,
        spec=schedule_spec(policy.digest),
    )
