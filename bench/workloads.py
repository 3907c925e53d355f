"""Bench-only workflows, the yardsticks for redress: no-op, skeleton case, first-task probe."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from redress import search_attributes as sa


@activity.defn(name="bench_noop")
def noop_activity(step: str) -> str:
    return step


@workflow.defn(name="BenchNoop")
class NoopWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


@workflow.defn(name="BenchSkeletonCase")
class SkeletonCase:
    """A case with nothing in it: two no-op activities, one signal, done."""

    def __init__(self) -> None:
        self._acted = False

    @workflow.signal(name="act")
    def act(self) -> None:
        self._acted = True

    @workflow.run
    async def run(self, case_id: str) -> str:
        for step in ("acknowledge", "project"):
            await workflow.execute_activity(
                noop_activity, step, start_to_close_timeout=timedelta(seconds=30)
            )
        await workflow.wait_condition(lambda: self._acted)
        return case_id


@dataclass(frozen=True)
class FirstTask:
    """Which commands a new workflow's first task issues (see `bench.first_task`)."""

    patch: bool = False
    local_activities: int = 0
    upsert: bool = False
    timer: bool = True


@workflow.defn(name="BenchFirstTask")
class FirstTaskProbe:
    """Issues the commands `FirstTask` names, then waits on a long timer like an open case."""

    @workflow.run
    async def run(self, shape: FirstTask) -> None:
        if shape.patch:
            workflow.patched("bench-probe")
        await asyncio.gather(
            *(
                workflow.execute_local_activity(
                    noop_activity, f"effect-{i}", start_to_close_timeout=timedelta(seconds=30)
                )
                for i in range(shape.local_activities)
            )
        )
        if shape.upsert:
            workflow.upsert_search_attributes([sa.CASE_STATUS.value_set("overdue")])
        if shape.timer:
            await workflow.wait_condition(lambda: False, timeout=timedelta(days=4))
