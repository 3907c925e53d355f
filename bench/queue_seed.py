"""A case store of many cases for the queue benchmark: rows of `cases` as the projection
writes them (every queue column filled as `crud.upsert_case` fills it), in one realistic
mix, inserted in batches. The `data` column holds a small stand-in of the case view: the
queue never reads it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from redress import kinds
from redress.store.tables import NO_DEADLINE, CaseRecord

BATCH = 5000
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MERCHANTS = 200  # M000…M199; a few large merchants hold most cases
CATEGORIES = ("not_received", "not_as_described", "charged_twice", "fraud", "refund", "other")
DEADLINES = ("respond_by", "refund_by", "submit_by", "appeal_by", "retry_at")


def _merchant(rnd: random.Random) -> str:
    # Zipf-like: merchant k with weight 1 / (k + 1).
    return f"M{min(int(rnd.paretovariate(1.1)) - 1, MERCHANTS - 1):03d}"


def rows(n: int, seed: int = 22, now: datetime = NOW) -> Iterator[dict[str, Any]]:
    """`n` cases: every registered kind, about a fifth open (of those a quarter overdue and
    a tenth without a deadline), 5 % urgent, 3 % penalized, created over half a year."""
    rnd = random.Random(seed)
    registered = list(kinds.KINDS.values())
    weights = [4, 2, 3, 1][: len(registered)] + [1] * (len(registered) - 4)
    for i in range(n):
        kind = rnd.choices(registered, weights)[0]
        open_ = rnd.random() < 0.2
        running = [s for s in kind.statuses if kind.is_open(s)] or ["open"]
        finals = sorted(kind.final_statuses)
        status = rnd.choice(running) if open_ else rnd.choice(finals)
        created = now - timedelta(minutes=rnd.randrange(180 * 24 * 60))
        deadline = None
        if open_ and rnd.random() > 0.1:
            deadline = now + timedelta(minutes=rnd.randrange(-2 * 24 * 60, 10 * 24 * 60))
        priority = "urgent" if rnd.random() < 0.05 else "regular"
        case_id = f"{kind.prefix}-bench-{i:07d}"
        yield dict(
            case_id=case_id,
            workflow_id=case_id,
            kind=kind.name,
            status=status,
            outcome=None if open_ else "resolved",
            merchant_id=_merchant(rnd),
            created_at=created,
            updated_at=created,
            next_deadline=deadline,
            next_deadline_name=rnd.choice(DEADLINES) if deadline else None,
            due_at=deadline or NO_DEADLINE,
            priority=priority,
            urgency=0 if priority == "urgent" else 1,
            open=open_,
            points=rnd.choice([3, 6]) if rnd.random() < 0.03 else 0,
            amount=Decimal(rnd.randrange(100, 500_000)) / 100,
            currency=rnd.choice(["CNY", "CNY", "CNY", "USD", "HKD"]),
            category=rnd.choice(CATEGORIES),
            version=3,
            seq=30,
            data={"case_id": case_id, "kind": kind.name},
        )


def seed(engine: Engine, n: int, seed: int = 22, now: datetime = NOW) -> None:
    """Insert `n` cases (`rows`) into the store's `cases` table, then let the store gather
    its statistics where it would on its own (PostgreSQL's autovacuum analyzes a table
    that grew; SQLite gathers none unless asked, and is not asked)."""
    table: Any = CaseRecord.__table__  # type: ignore[attr-defined]
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for row in rows(n, seed, now):
            batch.append(row)
            if len(batch) == BATCH:
                conn.execute(table.insert(), batch)
                batch = []
        if batch:
            conn.execute(table.insert(), batch)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE cases")
