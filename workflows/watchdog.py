"""WatchdogWorkflow: find cases whose deadline passed with nothing moving them, alert the
supervisors once per stalled case and clear the alert once the case moves; started by a
Temporal Schedule every `watchdog.every`, so no deadline passes silently even when a case's
own workflow cannot move.

One activity call per run. The policy travels in the input: the Schedule holds the snapshot
taken when the worker last wrote it (`ensure_watchdog_schedule`).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from temporalio.client import Client

    from activities.watchdog import WatchdogActivities
    from redress.policy import Policy
    from redress.schedules import ensure_schedule
    from redress.watchdog import WatchdogInput, WatchdogResult

WATCHDOG_SCHEDULE_ID = "redress-watchdog"


@workflow.defn
class WatchdogWorkflow:
    @workflow.run
    async def run(self, inp: WatchdogInput) -> WatchdogResult:
        result: WatchdogResult = await workflow.execute_activity_method(
            WatchdogActivities.sweep,
            inp,
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
        workflow.set_current_details(
            f"{result.raised} stalled cases alerted, {result.cleared} cleared, "
            f"{result.open} still stalled, {result.notices} notices sent"
        )
        return result


async def ensure_watchdog_schedule(
    client: Client, policy: Policy, task_queue: str, schedule_id: str = WATCHDOG_SCHEDULE_ID
) -> None:
    """Create (or bring up to date) the Schedule that sweeps for stalled cases."""
    inp = WatchdogInput(policy=policy.watchdog)
    await ensure_schedule(
        client, schedule_id, WatchdogWorkflow.run, inp, policy.watchdog.every, task_queue
    )
