"""2. Intake: signed webhooks over real HTTP.

A closed loop (C clients) gives the rate the API reaches. It interleaves with two arms of
bare `start_workflow` closed loops (same C, same server) for `paired_rounds` rounds, in
rotating order, and the intake target compares the medians: on a shared machine the
server's speed drifts over a run, and interleaving keeps both sides of a ratio under the
same conditions. The two bare arms against each other (A/A) show the measurement's own
spread.

Open loops then find the highest sustainable rate: every request answered, p99 under
1 s, and the worker keeping pace, i.e. the phase's cases all taken up (acknowledged and in
the case store) soon after the last answer (`keeps_pace`). Without that last condition a rate
"holds" while a backlog of unprocessed cases grows without bound (the API accepts about
2.5 × what the worker and the server take up here), and half such a rate is no lighter
load. Latency is measured at half the sustainable rate, beside bare starts at the same
rate; what the API accepts on its own (requests answered, backlog ignored) and the latency
at half of that are kept as reference figures. Between phases the worker catches up, so
each phase starts quiet. The closed loops run before the open cases exist: they are also
scenario 4's "0 open" figure.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

from bench.context import Ctx
from bench.load import LoopResult, closed_loop, open_loop, pct
from bench.scenarios.baseline import bare_open_loop, bare_start_probe

MAX_TRIES = 4
STEP_DOWN = 0.85  # the API's own rate: coarse steps from the closed-loop rate
PACE_TRIES = 5
PACE_STEP = 0.9  # the sustainable rate: finer steps from just above the worker's rate
SUSTAINED_P99_S = 1.0
# Keeping pace: the phase's last case is taken up within 0.5 s (a case's own processing
# time, with room) plus a tenth of the phase after the last answer, i.e. a backlog of at
# most ~10 % of the phase. Pace phases run twice as long as the API's, to tell a rate ~10 %
# above the worker's from one below it.
PACE_BASE_S = 0.5
PACE_SHARE = 0.1
PACE_PHASE = 2.0


def keeps_pace(tail_s: float, phase_s: float) -> bool:
    return tail_s <= PACE_BASE_S + PACE_SHARE * phase_s


def answered(res: LoopResult) -> bool:
    return res.shed == 0 and not res.errors and pct(res.latencies, 99) <= SUSTAINED_P99_S


async def closed_probe(ctx: Ctx, kind: str, merchant: str) -> dict[str, Any]:
    """The intake-rate probe used with 0 and with N open cases: same C, same count."""
    s = ctx.scale
    async with ctx.api(s.concurrency) as api:
        open_before = await ctx.running()
        ops = await ctx.db_ops()
        cpu, t0_wall = ctx.cpu(), time.time()
        res = await closed_loop(
            lambda i: api.webhook(kind, i, merchant), s.probe_requests, s.concurrency, 300
        )
        used = cpu.per_item(res.ok, res.wall_s)
        db_ops = await ops.per_item(res.ok)
    drained = await ctx.drain(merchant, res.ok)
    # How fast the worker got through them: first webhook to the last case-store write.
    last = ctx.store.last_write(merchant)
    worker_rate = res.ok / (last.timestamp() - t0_wall) if last else None
    return {
        **res.summary(),
        "open_before": open_before,
        "cpu": used,
        "db_ops": db_ops,
        "worker_rate": None if worker_rate is None else round(worker_rate, 2),
        **drained,
    }


async def warm_up(ctx: Ctx) -> int:
    """A few cases first, so the 0-open probe does not pay the API's and worker's first-use
    costs (imports, schema builds, connections) that the N-open probe no longer pays."""
    n, merchant = 2 * ctx.scale.concurrency, f"M-WARM-{ctx.run}"
    async with ctx.api(ctx.scale.concurrency) as api:
        res = await closed_loop(
            lambda i: api.webhook("wu", i, merchant), n, ctx.scale.concurrency, 120
        )
    await ctx.drain(merchant, res.ok)
    return res.ok


def latency_phase_s(step_s: float, rate: float) -> float:
    """Long enough for a p99 that is not just the slowest few requests (~1,000 at full
    scale), at most four open-loop steps."""
    return min(4 * step_s, max(step_s, 1000 / rate))


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def pooled_rate(probes: list[dict[str, Any]]) -> float:
    """All requests of the rounds ÷ all their time: unlike the median, every round counts."""
    return round(sum(p["ok"] for p in probes) / sum(p["wall_s"] for p in probes), 2)


# Each round measures two identical bare-start arms and the intake, in a rotating order, so
# every arm runs in every position equally often over three rounds (a probe right after
# another's backlog drained is not the same as one after a quiet spell). The two bare arms
# agreeing or not is the A/A check: how far apart two measurements of the same thing land
# here, against which a 10 % gap has to be read.
ROTATION = (("a", "b", "intake"), ("b", "intake", "a"), ("intake", "a", "b"))


async def paired_probes(ctx: Ctx, kind: str, rounds: int) -> dict[str, Any]:
    """Bare starts (two arms) and intake probes, rotating; medians and per-round figures."""
    arms: dict[str, list[dict[str, Any]]] = {"a": [], "b": [], "intake": []}
    for r in range(rounds):
        order = ROTATION[r % len(ROTATION)]
        for arm in order:
            if arm == "intake":
                probe = await closed_probe(ctx, f"{kind}{r}", f"M-{kind.upper()}{r}-{ctx.run}")
            else:
                probe = await bare_start_probe(ctx, f"{kind}{arm}{r}")
            arms[arm].append({**probe, "round": r, "position": order.index(arm)})
        ctx.log(
            f"  round {r + 1} ({', '.join(order)}): "
            + ", ".join(f"{arm} {arms[arm][-1]['rate']:.1f}/s" for arm in order)
            + f" (C={ctx.scale.concurrency})"
        )
    bare = arms["a"] + arms["b"]
    intake = arms["intake"]

    def median_of(probes: list[dict[str, Any]], figure: Callable[[dict[str, Any]], float]) -> float:
        return round(median([figure(p) for p in probes]), 2)

    def rate(probe: dict[str, Any]) -> float:
        return float(probe["rate"])

    def db_ops(probe: dict[str, Any]) -> float:
        return float(probe["db_ops"]["total"])

    return {
        "bare_rate": median_of(bare, rate),
        "intake_rate": median_of(intake, rate),
        "bare_pooled": pooled_rate(bare),
        "intake_pooled": pooled_rate(intake),
        # The server's database operations per start during the loops (both sides' first
        # tasks included, as far as the worker got): counted, so free of the rates' noise.
        "bare_db_ops": median_of(bare, db_ops),
        "intake_db_ops": median_of(intake, db_ops),
        "bare_a_rate": median_of(arms["a"], rate),
        "bare_b_rate": median_of(arms["b"], rate),
        "bare": bare,
        "intake": intake,
    }


async def run(ctx: Ctx) -> dict[str, Any]:
    s = ctx.scale
    merchant = f"M-INTAKE-{ctx.run}"
    warm = await warm_up(ctx)
    paired = await paired_probes(ctx, "pr", s.paired_rounds)
    # The round closest to the median stands for "the" 0-open probe (its CPU, worker rate).
    probe = min(paired["intake"], key=lambda p: abs(p["rate"] - paired["intake_rate"]))
    probe = {**probe, "rate": paired["intake_rate"]}
    ctx.log(f"  closed loop C={s.concurrency}: median {probe['rate']:.1f}/s")
    seq = itertools.count()
    accepted = 0

    async def open_phase(rate: float, seconds: float) -> tuple[LoopResult, float]:
        """An open loop, then the wait until the worker has taken up all its cases."""
        nonlocal accepted
        n = max(1, int(rate * seconds))
        async with ctx.api(256) as api:
            res = await open_loop(
                lambda _: api.webhook("in", next(seq), merchant), rate, n, seconds + 30
            )
        accepted += res.ok
        drained = await ctx.drain(merchant, accepted)
        tail = drained["drain_wait_s"]
        last = res.summary()
        ctx.log(
            f"  open loop {rate:.1f}/s: p50 {last['p50_ms']} ms, p99 {last['p99_ms']} ms, "
            f"worker done {tail:.1f} s after the last answer"
        )
        return res, tail

    async def search(
        start: float,
        step: float,
        tries: int,
        seconds: float,
        holds: Callable[[LoopResult, float], bool],
    ) -> tuple[LoopResult, bool, list[dict[str, Any]]]:
        """Step down from `start` until a phase `holds` (or `tries` run out)."""
        rate, seen = start, []
        for _ in range(tries):
            res, tail = await open_phase(rate, seconds)
            seen.append({**res.summary(), "worker_tail_s": round(tail, 2)})
            if holds(res, tail):
                return res, True, seen
            rate *= step
        return res, False, seen

    # What the API answers on its own (the worker may fall behind): a reference figure.
    accept, accept_held, accept_tries = await search(
        probe["rate"], STEP_DOWN, MAX_TRIES, s.open_loop_s, lambda res, _: answered(res)
    )
    accept_rate = accept.offered_rate or float(probe["rate"])
    # The highest rate the whole intake sustains: from just above what the worker took up
    # in the closed loop (or the API's rate, if lower), in finer steps.
    start = min(accept_rate, 1.2 * float(probe["worker_rate"] or accept_rate))
    pace_s = PACE_PHASE * s.open_loop_s
    top, held, tries = await search(
        start,
        PACE_STEP,
        PACE_TRIES,
        pace_s,
        lambda res, tail: answered(res) and keeps_pace(tail, pace_s),
    )
    half_rate = (top.offered_rate or start) / 2
    half_s = latency_phase_s(s.open_loop_s, half_rate)
    half, _ = await open_phase(half_rate, half_s)
    # The bare engine at the same rate, for reference: its no-ops queue up for the bench
    # worker's first workflow tasks the same way.
    bare_half = await bare_open_loop(ctx, "half", half_rate, half_s)
    last = bare_half.summary()
    ctx.log(f"  bare starts {half_rate:.1f}/s: p50 {last['p50_ms']} ms, p99 {last['p99_ms']} ms")
    # Half the API's own rate: above what the worker takes up, so latency there measures
    # the backlog's competition for the server (see README, "Performance").
    accept_half_rate = accept_rate / 2
    accept_half, _ = await open_phase(
        accept_half_rate, latency_phase_s(s.open_loop_s, accept_half_rate)
    )
    return {
        "warm_up_cases": warm,
        "paired": paired,
        "probe_0_open": probe,
        "accept_tries": accept_tries,
        "accepted": {**accept.summary(), "sustained": accept_held},
        "accept_rate": accept_rate,
        "accept_half_rate": accept_half.summary(),
        "open_loop_tries": tries,
        "sustainable": {**top.summary(), "sustained": held},
        "sustainable_rate": top.offered_rate,
        "half_rate": {**half.summary()},
        "bare_half_rate": {**bare_half.summary()},
        "latencies_ms": {
            "sustainable": [round(x * 1000, 2) for x in top.latencies],
            "half": [round(x * 1000, 2) for x in half.latencies],
            "accept_half": [round(x * 1000, 2) for x in accept_half.latencies],
        },
    }
