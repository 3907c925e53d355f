"""The worker's Temporal Schedules (retention, monitoring, the deadline watchdog, and any a
kind adds): one way to create a Schedule or bring it up to date with the current policy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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


async def ensure_schedule(
    client: Client,
    schedule_id: str,
    run: Any,
    arg: Any,
    every: timedelta,
    task_queue: str,
    spec: ScheduleSpec | None = None,
) -> None:
    """Start `run(arg)` every `every` under `schedule_id` (its workflow ID too), skipping a
    run while the previous one is still going. An existing Schedule takes the new action and
    interval: the input carries the policy as it is now, so a changed policy file applies
    from the next run. `spec` (a calendar, say) takes the place of the interval."""
    action = ScheduleActionStartWorkflow(run, arg, id=schedule_id, task_queue=task_queue)
    schedule = Schedule(
        action=action,
        spec=spec or ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        await client.get_schedule_handle(schedule_id).update(
            lambda _: ScheduleUpdate(schedule=schedule)
        )
