"""4. Open cases: N complaint cases waiting on their timers.

Earlier scenarios leave open cases too (96 h deadlines, 7 d appeal windows); this one tops
them up to N with webhooks (closed loop), waits until the worker has projected every one,
then reads memory (VmRSS now, VmHWM peak) of the worker, dev server and API, the database
sizes, and runs the same intake probe as with 0 open cases.
"""

from __future__ import annotations

import time
from typing import Any

from bench.context import Ctx
from bench.load import KIND, closed_loop
from bench.procs import rss_mb
from bench.scenarios.intake import closed_probe, median
from bench.store import file_mb

OPEN_CASES = f'WorkflowType="{KIND.workflow_type}" AND ExecutionStatus="Running"'


async def run(ctx: Ctx) -> dict[str, Any]:
    s = ctx.scale
    merchant = f"M-OPEN-{ctx.run}"
    already = await ctx.running(OPEN_CASES)
    to_open = max(0, s.open_cases - already)
    ctx.log(f"  {already} cases already open; opening {to_open} more")
    async with ctx.api(s.concurrency) as api:
        t0_wall = time.time()
        cpu = ctx.cpu()
        posted = await closed_loop(
            lambda i: api.webhook("oc", i, merchant), to_open, s.concurrency, 1500
        )
    ctx.log(f"  posted {posted.ok} at {posted.rate:.1f}/s; waiting for the worker")
    drained = await ctx.drain(merchant, posted.ok)
    last = ctx.store.last_write(merchant)
    elapsed = (last.timestamp() - t0_wall) if last else float("nan")
    used = cpu.per_item(posted.ok, elapsed)
    projected = ctx.store.count(merchant)
    memory = {name: rss_mb(ctx.pid(name)) for name in ("worker", "temporal", "api")}
    sizes = {
        "case_store_mb": round(file_mb(ctx.stack.case_db), 2),
        "temporal_db_mb": round(file_mb(ctx.stack.temporal_db), 2),
    }
    running = await ctx.running(OPEN_CASES)
    ctx.log(
        f"  {projected} projected in {elapsed:.1f}s; {running} running; worker RSS "
        f"{memory['worker']['VmRSS']:.0f} MiB (peak {memory['worker']['VmHWM']:.0f})"
    )
    # As many probes as with 0 open, and their median: one probe is one noisy sample.
    probes = [
        await closed_probe(ctx, f"pn{r}", f"M-PROBEN{r}-{ctx.run}") for r in range(s.paired_rounds)
    ]
    probe = {**probes[0], "rate": round(median([p["rate"] for p in probes]), 2)}
    probe["rates"] = [p["rate"] for p in probes]
    ctx.log(f"  closed loop with {probe['open_before']} open: median {probe['rate']:.1f}/s")
    return {
        "open_cases": s.open_cases,
        "open_before": already,
        "posted": posted.summary(),
        "projected": projected,
        "running_workflows": running,
        "open_drain_s": round(elapsed, 2),
        "open_drain_rate": round(projected / elapsed, 2) if elapsed > 0 else None,
        **drained,
        "cpu": used,
        "rss_mb": {n: {k: round(v, 1) for k, v in m.items()} for n, m in memory.items()},
        "rss_after_probe_mb": {
            n: round(rss_mb(ctx.pid(n))["VmRSS"], 1) for n in ("worker", "temporal", "api")
        },
        **sizes,
        "probe_n_open": probe,
    }
