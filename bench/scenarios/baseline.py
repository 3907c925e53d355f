"""1. Baselines: what Temporal alone does on this machine, with bench-defined workflows."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.context import Ctx
from bench.load import Job, LoopResult, closed_loop, open_loop
from bench.workloads import NoopWorkflow, SkeletonCase


def _bare_start(ctx: Ctx, tag: str) -> Job:
    async def start(i: int) -> tuple[bool, str]:
        await ctx.client.start_workflow(
            NoopWorkflow.run, id=f"bench-noop-{ctx.run}-{tag}-{i}", task_queue=ctx.stack.bench_queue
        )
        return True, ""

    return start


async def _drain_noops(ctx: Ctx) -> None:
    """The bench worker finishes the no-ops (bounded wait): the next measurement starts quiet."""
    t0 = time.perf_counter()
    running = 'WorkflowType="BenchNoop" AND ExecutionStatus="Running"'
    while await ctx.running(running) and time.perf_counter() - t0 < ctx.scale.drain_timeout_s:
        await asyncio.sleep(0.5)


async def bare_start_probe(ctx: Ctx, tag: str) -> dict[str, Any]:
    """`probe_requests` bare `start_workflow` calls from C clients."""
    s = ctx.scale
    cpu, ops = ctx.cpu(), await ctx.db_ops()
    starts = await closed_loop(_bare_start(ctx, tag), s.probe_requests, s.concurrency, 300)
    used = cpu.per_item(starts.ok, starts.wall_s)
    db_ops = await ops.per_item(starts.ok)
    await _drain_noops(ctx)
    return {**starts.summary(), "cpu": used, "db_ops": db_ops}


async def bare_open_loop(ctx: Ctx, tag: str, rate: float, seconds: float) -> LoopResult:
    """Bare starts on a fixed schedule: the engine's own latency at a given rate."""
    res = await open_loop(_bare_start(ctx, tag), rate, max(1, int(rate * seconds)), seconds + 30)
    await _drain_noops(ctx)
    return res


async def run(ctx: Ctx) -> dict[str, Any]:
    s, client, queue = ctx.scale, ctx.client, ctx.stack.bench_queue
    await closed_loop(_bare_start(ctx, "warm"), s.concurrency, s.concurrency, 60)
    starts = await bare_start_probe(ctx, "first")
    ctx.log(f"  bare starts: {starts['rate']:.1f}/s ({starts['ok']} in {starts['wall_s']:.1f}s)")

    async def case(i: int) -> tuple[bool, str]:
        case_id = f"bench-skeleton-{ctx.run}-{i}"
        handle = await client.start_workflow(
            SkeletonCase.run, case_id, id=case_id, task_queue=queue
        )
        await handle.signal(SkeletonCase.act)
        return await handle.result() == case_id, "wrong result"

    cpu = ctx.cpu()
    cases = await closed_loop(case, s.skeleton_cases, s.concurrency, time_cap=300)
    cases_cpu = cpu.per_item(cases.ok, cases.wall_s)
    ctx.log(f"  skeleton cases: {cases.rate:.1f}/s ({cases.ok} in {cases.wall_s:.1f}s)")
    return {
        "bare_starts": starts,
        "skeleton_cases": {**cases.summary(), "cpu": cases_cpu},
        "concurrency": s.concurrency,
    }
