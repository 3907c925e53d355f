"""`python -m bench.queue_bench [--n 100000] [--pg [URL]] [--out FILE]`: the queue's
queries on a seeded store of many cases.

Seeds a fresh SQLite store (and a throwaway PostgreSQL database when `--pg` is given, or
REDRESS_TEST_PG_URL is set) with `--n` cases (`bench/queue_seed.py`), then for the default
queue page and each sort and filter: the store's plan for the page's SELECT (`EXPLAIN QUERY
PLAN` on SQLite, `EXPLAIN` on PostgreSQL), checked for a full-table scan or a sort of every
row; and the time of whole `queue_page` calls (the page and its `total`), first page and a
deep page reached by cursor, printed as p50 / p95 in ms. Exits 1 if a main query's plan
scans the table.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from bench.queue_seed import NOW, seed
from redress import kinds
from redress.store.db import make_engine
from redress.store.queue import SORTS, QueueQuery, page_statement, queue_page

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Case:
    name: str
    query: dict[str, Any]
    merchants: frozenset[str] | None = None
    main: bool = True  # its plan must not scan the table nor sort every row


def cases() -> list[Case]:
    first, second = list(kinds.KINDS)[:2]
    some = [s for k in kinds.KINDS.values() for s in k.statuses if k.is_open(s)][:2]
    return [
        Case("default, open", {"open": True}),
        Case("default, every case", {}),
        *(Case(f"sort={s}, open", {"open": True, "sort": s}) for s in SORTS),
        Case("merchant M000 (large), open", {"open": True, "merchant_id": "M000"}),
        Case("merchant M150 (small), open", {"open": True, "merchant_id": "M150"}),
        Case("scoped token (M001+M002), open", {"open": True}, frozenset({"M001", "M002"})),
        Case(f"kind={first},{second}, open", {"open": True, "kind": f"{first},{second}"}),
        Case(f"status={','.join(some)}", {"status": ",".join(some)}),
        Case("overdue", {"overdue": True}),
        Case("overdue, sort=next_deadline", {"overdue": True, "sort": "next_deadline"}),
        Case("priority=urgent, open", {"open": True, "priority": "urgent"}),
        Case("penalized, open", {"open": True, "penalized": True}),
        Case("category, open", {"open": True, "category": "charged_twice"}),
        Case(
            "created in the last 7 days, sort=-created_at",
            {"created_from": NOW - timedelta(days=7), "sort": "-created_at"},
        ),
        Case("sort=-created_at, every case", {"sort": "-created_at"}),
        Case("sort=amount, every case", {"sort": "amount"}, main=False),
    ]


# A plan line that reads every row of the table (an index walked in order, stopped at the
# page's end, is not one; a sort of the rows an index found is shown, not refused).
FULL_SCAN = {
    "sqlite": re.compile(r"^SCAN cases(?! USING)"),
    "postgresql": re.compile(r"Seq Scan on cases"),
}


@contextmanager
def _capture(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def plan(engine: Engine, query: QueueQuery, merchants: frozenset[str] | None) -> list[str]:
    """The store's plan for the page's SELECT, with its parameters as the app binds them."""
    with _capture(engine) as seen, engine.connect() as conn:
        conn.execute(page_statement(query, merchants, NOW)).all()
    statement, params = seen[-1]
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(prefix + statement, params)
        found = cursor.fetchall()
    finally:
        raw.close()
    return [str(r[3]) if engine.dialect.name == "sqlite" else str(r[0]) for r in found]


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, float]:
    call()  # warm: statement cache, pages in memory
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return _ms(samples)


def deep_cursor(engine: Engine, case: Case, depth: int) -> str | None:
    """The cursor `depth` rows into the case's order (paging by 500)."""
    query = QueueQuery(**case.query, limit=500)
    cursor, seen = None, 0
    while seen < depth:
        page = queue_page(engine, query.model_copy(update={"cursor": cursor}), case.merchants)
        seen += len(page.items)
        if page.next_cursor is None:
            return cursor
        cursor = page.next_cursor
    return cursor


def _call(engine: Engine, query: QueueQuery, merchants: frozenset[str] | None) -> Callable[[], Any]:
    return lambda: queue_page(engine, query, merchants)


@dataclass
class Result:
    backend: str
    n: int
    lines: list[str] = field(default_factory=list)
    scans: list[str] = field(default_factory=list)  # main queries whose plan scans


def run(engine: Engine, n: int, repeat: int = 40, depth: int = 10_000) -> Result:
    """Seed `n` cases into `engine` (an empty store) and measure every case."""
    backend = engine.dialect.name
    result = Result(backend, n)
    start = time.perf_counter()
    seed(engine, n)
    result.lines.append(f"{backend}: {n:,} cases seeded in {time.perf_counter() - start:.1f} s")
    header = f"{'query':48} {'first page p50/p95 ms':>22} {'deep page p50/p95 ms':>21}  plan"
    result.lines += [header, "-" * len(header)]
    for case in cases():
        query = QueueQuery(**case.query)
        steps = plan(engine, query, case.merchants)
        scans = [s for s in steps if FULL_SCAN[backend].search(s)]
        if scans and case.main:
            result.scans.append(case.name)
        first = timed(_call(engine, query, case.merchants), repeat)
        cursor = deep_cursor(engine, case, depth)
        deep = "-"
        if cursor is not None:
            deeper = query.model_copy(update={"cursor": cursor})
            p50, p95 = timed(_call(engine, deeper, case.merchants), repeat)
            deep = f"{p50:.1f} / {p95:.1f}"
        verdict = ("FULL SCAN " if scans else "") + ("" if case.main else "(reference) ")
        result.lines.append(
            f"{case.name[:48]:48} {f'{first[0]:.1f} / {first[1]:.1f}':>22} {deep:>21}  "
            f"{verdict}{' | '.join(_short(s) for s in steps)}"
        )
    return result


def _short(step: str) -> str:
    return " ".join(step.split())[:110]


@contextmanager
def sqlite_store() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="queue-bench-") as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'cases.db'}")
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def pg_store(url: str) -> Iterator[Engine]:
    server = make_url(url)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"redress_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(server.set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.queue_bench", description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="cases to seed")
    parser.add_argument("--repeat", type=int, default=40, help="timed calls per query")
    parser.add_argument(
        "--pg",
        nargs="?",
        const=os.environ.get("REDRESS_TEST_PG_URL") or DEFAULT_PG_URL,
        default=os.environ.get("REDRESS_TEST_PG_URL"),
        help="also on PostgreSQL (a server URL; default REDRESS_TEST_PG_URL)",
    )
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    results = []
    with sqlite_store() as engine:
        results.append(run(engine, args.n, args.repeat))
    if args.pg:
        with pg_store(args.pg) as engine:
            results.append(run(engine, args.n, args.repeat))
    lines = [f"queue benchmark: {args.n:,} cases, {args.repeat} timed calls per query"]
    for r in results:
        lines += ["", *r.lines]
        verdict = f"FULL SCAN in: {', '.join(r.scans)}" if r.scans else "no full-table scan"
        lines.append(f"{r.backend}: main queries: {verdict}")
    report = "\n".join(lines) + "\n"
    print(report, end="")
    if args.out:
        args.out.write_text(report)
    return 1 if any(r.scans for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
