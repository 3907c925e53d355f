"""PaymentFailureAlertsWorkflow (F5): evaluate every merchant's failure rate per channel
over the policy's sliding window and raise or clear its alerts, once per incident; started
by a Temporal Schedule every `payment_failure.alert.evaluate_every`, so it runs whether or
not anyone is watching.

One activity call per run, at the workflow's own instant. The policy travels in the input:
the Schedule holds the snapshot taken when the worker last wrote it (`ensure_alert_schedule`).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from temporalio.client import (
        Client,
        Schedule,
        ScheduleActionStartWorkflow,
        ScheduleAlreadyRunningError,
        ScheduleIntervalSpec,
        ScheduleOverlapPolicy,
        SchedulePolicy,
        ScheduleSpec,
        ScheduleUpdate,
    )

    from activities.payment_failures import PaymentFailureActivities
    from redress.payments.failure_rates import AlertsInput, AlertsResult
    from redress.policy import Policy

ALERT_SCHEDULE_ID = "redress-payment-failure-alerts"


@workflow.defn
class PaymentFailureAlertsWorkflow:
    @workflow.run
    async def run(self, inp: AlertsInput) -> AlertsResult:
        result: AlertsResult = await workflow.execute_activity_method(
            PaymentFailureActivities.evaluate_alerts,
            inp.model_copy(update={"at": inp.at or workflow.now()}),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
        workflow.set_current_details(
            f"{result.raised} alerts raised, {result.cleared} cleared, {result.notices} notices"
        )
        return result


async def ensure_alert_schedule(client: Client, policy: Policy, task_queue: str) -> None:
    """Create (or bring up to date) the Schedule that evaluates the failure rates. A
    policy without a `payment_failure` section has none: nothing is scheduled."""
    rules = policy.payment_failure
    if rules is None:
        return
    action = ScheduleActionStartWorkflow(
        PaymentFailureAlertsWorkflow.run,
        AlertsInput(policy=rules, keep_for_seconds=policy.retention.records_for.total_seconds()),
        id=ALERT_SCHEDULE_ID,
        task_queue=task_queue,
    )
    schedule = Schedule(
        action=action,
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=rules.alert.evaluate_every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(ALERT_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        await client.get_schedule_handle(ALERT_SCHEDULE_ID).update(
            lambda _: ScheduleUpdate(schedule=schedule)
        )
