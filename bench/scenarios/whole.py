"""3. Whole cases: webhook → reviewer reply (Update over HTTP) → closed 1 s later.

C clients each post a complaint and reply to it; the case then closes on its own when the
outcome wait ends. The clock stops at the case store's last write of a closed row, so the
figure covers the notice, every projection and the close. py-spy samples the worker and
the API meanwhile.
"""

from __future__ import annotations

import time
from typing import Any

from bench.context import Ctx
from bench.load import closed_loop
from bench.profiling import Sampler
from bench.store import wait_until


async def run(ctx: Ctx) -> dict[str, Any]:
    s, store = ctx.scale, ctx.store
    merchant = f"M-WHOLE-{ctx.run}"
    samplers = [
        Sampler("worker", ctx.pid("worker"), ctx.out_dir),
        Sampler("api", ctx.pid("api"), ctx.out_dir),
    ]
    async with ctx.api(s.concurrency) as api:

        async def case(i: int) -> tuple[bool, str]:
            ok, why = await api.webhook("wc", i, merchant)
            if not ok:
                return False, f"webhook {why}"
            ok, why = await api.reply(api.case_id("wc", i))
            return ok, f"reply {why}"

        for sampler in samplers:
            sampler.start()
        try:
            cpu = ctx.cpu()
            t0_wall, t0 = time.time(), time.perf_counter()
            res = await closed_loop(case, s.whole_cases, s.concurrency, time_cap=600)
            closed, waited = await wait_until(
                lambda: store.statuses(merchant).get("closed", 0) >= res.ok,
                s.drain_timeout_s,
                guard=ctx.guard,
            )
            wall = time.perf_counter() - t0
            used = cpu.per_item(res.ok, wall)
        finally:
            profiles = {sampler.name: sampler.stop() for sampler in samplers}
    last = store.last_write(merchant, "closed")
    elapsed = (last.timestamp() - t0_wall) if last else wall
    statuses = store.statuses(merchant)
    n_closed = statuses.get("closed", 0)
    rate = n_closed / elapsed if elapsed > 0 else 0.0
    notices = store.notices(api.case_id("wc", 0)[:-1])
    ctx.log(f"  whole cases: {rate:.1f}/s ({n_closed} closed in {elapsed:.1f}s, {notices} notices)")
    return {
        "cases": s.whole_cases,
        "actions": res.summary(),  # per case: webhook + reply, both answered
        "closed": n_closed,
        "all_closed": closed,
        "statuses": statuses,
        "notices": notices,
        "elapsed_s": round(elapsed, 2),
        "rate": round(rate, 2),
        "close_wait_s": round(waited, 2),
        "cpu": used,
        "profiles": profiles,
    }
