"""`python -m bench.first_task` at a trickle: every shape starts its workflows and the server's
CPU is attributed. No timing assertions."""

from __future__ import annotations

from bench.first_task import CASE, run


async def test_first_task_probe_measures_each_shape() -> None:
    shapes = [("start only", None, False), ("case", CASE, False), ("case, eager", CASE, True)]
    rows = await run(rate=5, seconds=2, shapes=shapes)
    assert [r["first_task"] for r in rows] == ["start only", "case", "case, eager"]
    for r in rows:
        assert r["started"] == 10 and not r["errors"], r
        assert r["server_ms"] > 0 and r["p99_ms"] > 0, r
