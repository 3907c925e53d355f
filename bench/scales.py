"""How much load each scenario sends, per scale. Every count is also a bound."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    # 1, 2 and 4: requests per closed-loop probe, bare starts and webhooks alike (a shorter
    # loop loses more to its tail, where fewer than C requests are still in flight).
    probe_requests: int
    skeleton_cases: int  # 1: bench skeleton cases end to end
    open_loop_s: float  # 2: seconds per open-loop step
    whole_cases: int  # 3: whole cases of each kind (opened → … → closed)
    open_cases: int  # 4: open complaint cases (with long timers) to reach
    deadline_cases: int  # 5: cases whose handle_within fires during the run (at most)
    deadline_window_s: float  # 5: ... arriving over at most this long
    # 2 and 4: rounds of two bare arms and an intake probe, rotating (a multiple of 3 gives
    # every arm every position equally often); as many N-open probes. Medians.
    paired_rounds: int = 3
    concurrency: int = 32  # clients in flight in closed loops
    deadline_lead_s: float = 5.0  # 5: the deadline is this long after the webhook
    drain_timeout_s: float = 600.0  # longest wait for the worker to catch up


SCALES: dict[str, Scale] = {
    # For the smoke test: every code path, about a minute.
    "small": Scale(
        name="small",
        probe_requests=80,
        skeleton_cases=30,
        open_loop_s=1.5,
        whole_cases=30,
        open_cases=600,
        deadline_cases=20,
        deadline_window_s=8.0,
        paired_rounds=3,
        concurrency=16,
        drain_timeout_s=90.0,
    ),
    # The figures: 10,000 open cases dominate the run time (the worker opens ~10-15/s).
    "full": Scale(
        name="full",
        probe_requests=800,
        skeleton_cases=300,
        open_loop_s=8.0,
        whole_cases=300,
        open_cases=10_000,
        deadline_cases=100,
        deadline_window_s=40.0,
        paired_rounds=6,
        drain_timeout_s=900.0,
    ),
}
