"""Bench-only workflows, the yardsticks for redress: a no-op, and a skeleton case."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


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
