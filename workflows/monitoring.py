"""MonitoringWorkflow: recompute the card networks' monitoring figures of every merchant
(rule C5, SPEC §3) and raise or clear their alerts; started by a Temporal Schedule every
`dispute.monitoring.recompute_every`, so it runs whether or not anyone is watching.

One activity call per run. The policy travels in the input: the Schedule holds the snapshot
taken when the worker last wrote it (`ensure_monitoring_schedule`).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from temporalio.client import Client

    from activities.monitoring import MonitoringActivities
    from redress.monitoring import MonitoringInput, MonitoringResult, month_of
    from redress.policy import Policy
    from redress.schedules import ensure_schedule

MONITORING_SCHEDULE_ID = "redress-monitoring"


@workflow.defn
class MonitoringWorkflow:
    @workflow.run
    async def run(self, inp: MonitoringInput) -> MonitoringResult:
        # No month given: the current one, fixed here so every attempt counts the same month.
        month = inp.month or month_of(workflow.now())
        result: MonitoringResult = await workflow.execute_activity_method(
            MonitoringActivities.recompute,
            MonitoringInput(month=month, policy=inp.policy),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
        )
        workflow.set_current_details(
            f"{result.month}: {result.raised} alerts raised, {result.cleared} cleared, "
            f"{result.notices} notices sent"
        )
        return result


async def ensure_monitoring_schedule(client: Client, policy: Policy, task_queue: str) -> None:
    """Create (or bring up to date) the Schedule that recomputes the monitoring figures.
    A policy whose kinds carry no monitoring figures has none: nothing is scheduled."""
    rules = policy.monitoring()
    if rules is None:
        return
    inp = MonitoringInput(policy=rules)
    await ensure_schedule(
        client,
        MONITORING_SCHEDULE_ID,
        MonitoringWorkflow.run,
        inp,
        rules.recompute_every,
        task_queue,
    )
