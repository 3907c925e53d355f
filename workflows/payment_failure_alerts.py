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
    from temporalio.client import Client

    from activities.payment_failures import PaymentFailureActivities
    from redress.models.payment_failure import SECTION, PaymentFailurePolicy
    from redress.payments.failure_rates import AlertsInput, AlertsResult
    from redress.policy import Policy
    from redress.schedules import ensure_schedule

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
    """Create (or bring up to date) the Schedule that evaluates the failure rates (the
    registry entry's `schedules`). A policy without a `payment_failure` section (a
    snapshot that left it out) has none: nothing is scheduled."""
    if SECTION.name not in policy.sections:
        return
    rules = policy.section(SECTION.name, PaymentFailurePolicy)
    inp = AlertsInput(policy=rules, keep_for_seconds=policy.retention.records_for.total_seconds())
    await ensure_schedule(
        client,
        ALERT_SCHEDULE_ID,
        PaymentFailureAlertsWorkflow.run,
        inp,
        rules.alert.evaluate_every,
        task_queue,
    )
