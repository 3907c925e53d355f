"""How the workflows call their activities: retried without end, each call short."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

# No maximum attempts: a store or channel outage delays a case, it never loses a step.
# Domain refusals are non-retryable and surface to the reviewer at once.
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=["RefundDeclined", "InvalidNotice"],
)
# Short enough that work lost with a killed worker is retried soon; each call is one
# store write, render or gateway request.
ACTIVITY_TIMEOUT = timedelta(seconds=10)
