"""5. Deadline lag under load.

Load: new complaints at half of what the whole system sustains, i.e. half the lower of
the sustainable intake rate and the rate at which the worker got through the intake probe
(above that, a backlog grows without bound and any lag is just its length). Half of these
arrivals are deadline cases, `created_at` backdated so their 96 h deadline falls `lead`
seconds after the webhook; the other half are ordinary cases (background).

Lag = from the deadline instant to (a) the penalty's `imposed_at` (the workflow task that
fired the timer) and (b) `updated_at` of the case-store row that first shows the penalty
(when a reader can see it).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from bench.context import Ctx
from bench.load import KIND, backdated, open_loop, pct
from bench.store import wait_until
from redress.policy import load_policy


async def run(ctx: Ctx) -> dict[str, Any]:
    s, store = ctx.scale, ctx.store
    rules = getattr(load_policy(str(ctx.stack.policy_path)), KIND.policy_section)
    handle_within = rules.handle_within
    intake = ctx.results["intake"]
    capacity = float(intake["sustainable_rate"])  # what the worker keeps pace with
    dl_rate = bg_rate = capacity / 4  # together: half the capacity
    window = min(s.deadline_window_s, s.deadline_cases / dl_rate)
    n_deadline = max(1, int(dl_rate * window))
    dl_merchant, bg_merchant = f"M-DL-{ctx.run}", f"M-BG-{ctx.run}"
    deadlines: dict[str, datetime] = {}
    load_s = window + s.deadline_lead_s + 3  # background outlasts every deadline
    ctx.log(f"  {n_deadline} deadline cases at {dl_rate:.1f}/s + background at {bg_rate:.1f}/s")

    async with ctx.api(256) as api:

        async def deadline_case(i: int) -> tuple[bool, str]:
            created_at, deadline = backdated(handle_within, s.deadline_lead_s)
            ok, why = await api.webhook("dl", i, dl_merchant, created_at)
            if ok:
                deadlines[api.case_id("dl", i)] = deadline
            return ok, why

        cpu = ctx.cpu()
        background, dl = await asyncio.gather(
            open_loop(
                lambda i: api.webhook("bg", i, bg_merchant),
                bg_rate,
                int(bg_rate * load_s),
                load_s + 30,
            ),
            open_loop(deadline_case, dl_rate, n_deadline, window + 30),
        )
    ctx.log(f"  {dl.ok} deadline cases accepted, {background.ok} background")
    bg_projected_at_end = store.count(bg_merchant)
    all_seen, waited = await wait_until(
        lambda: len(store.penalized(dl_merchant)) >= len(deadlines),
        s.drain_timeout_s,
        guard=ctx.guard,
    )
    used = cpu.per_item(dl.ok + background.ok, load_s + waited)
    rows = store.penalized(dl_merchant)
    store_lag = [(written - deadlines[c]).total_seconds() for c, written, _ in rows]
    imposed_lag = [(imposed - deadlines[c]).total_seconds() for c, _, imposed in rows]
    await ctx.drain(bg_merchant, background.ok)
    ctx.log(f"  store-write lag p50 {pct(store_lag, 50):.2f}s p99 {pct(store_lag, 99):.2f}s")
    return {
        "deadline_cases": n_deadline,
        "deadline_rate": round(dl_rate, 2),
        "accepted": dl.ok,
        "penalized": len(rows),
        "all_penalized": all_seen,
        "lead_s": s.deadline_lead_s,
        "capacity_rate": round(capacity, 2),
        "background": background.summary(),
        "background_backlog_at_end": background.ok - bg_projected_at_end,
        "store_lag_s": _stats(store_lag),
        "imposed_lag_s": _stats(imposed_lag),
        "cpu": used,
        "samples_s": {
            "store": [round(x, 3) for x in store_lag],
            "imposed": [round(x, 3) for x in imposed_lag],
        },
    }


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(pct(values, 50), 3),
        "p99": round(pct(values, 99), 3),
        "max": round(max(values, default=float("nan")), 3),
        "min": round(min(values, default=float("nan")), 3),
    }
