"""The queue benchmark's code path on a small store of each backend: every query planned
and timed; on SQLite, whose planner reads no statistics (none are gathered), the main
queries' plans use the queue's indexes, never a full-table scan, at any size. PostgreSQL
rightly reads a table this small whole; its plans are checked at 100,000 cases by the
benchmark itself. No timing assertions: this machine's speed is not a test."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bench.queue_bench import cases, plan, run
from redress.store.queue import QueueQuery


def test_every_query_is_planned_and_timed(store: Engine) -> None:
    result = run(store, 2000, repeat=1, depth=200)
    assert len(result.lines) == 3 + len(cases())
    if store.dialect.name != "sqlite":
        return
    assert result.scans == []
    for case in cases():
        if case.main:
            steps = " ".join(plan(store, QueueQuery(**case.query), case.merchants))
            assert "USING INDEX ix_cases_" in steps, (case.name, steps)
