"""C5: how the month's disputes ended and the money they moved (`dispute_outcomes`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from redress import monitoring
from redress.policy import load_policy
from redress.store.db import make_engine
from redress.store.tables import CaseRecord
from tests.harness import MARCH, section

POLICY = section(load_policy("default"), "dispute").monitoring


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    yield engine
    engine.dispose()


def put(engine: Engine, merchant: str, outcome: str | None, currency: str, **details: Any) -> None:
    case_id = f"dispute-{uuid.uuid4().hex[:10]}"
    row = dict(
        case_id=case_id,
        workflow_id=case_id,
        kind="dispute",
        status="closed" if outcome else "needs_response",
        outcome=outcome,
        merchant_id=merchant,
        created_at=MARCH,
        updated_at=MARCH,
        next_deadline=None,
        priority="regular",
        points=0,
        version=1,
        data={"kind": "dispute", "currency": currency, "details": details},
    )
    with engine.begin() as conn:
        conn.execute(CaseRecord.__table__.insert(), [row])  # type: ignore[attr-defined]


@pytest.mark.rule("C5")
def test_money_is_read_per_currency_and_includes_deductions(store: Engine) -> None:
    """Antom's judged deduction counts (`deducted`), and money is summed in the currency it
    moved in (`details.moved`), not the dispute's; a view with only `details.money` counts
    in the dispute's currency."""
    m = "M-ANTOM"
    put(store, m, "lost", "JPY", phase="chargeback", moved={"JPY": {"deducted": "12000"}})
    put(
        store,
        m,
        "won",
        "EUR",
        phase="chargeback",
        moved={"USD": {"withdrawn": "10.50", "reinstated": "10.50", "fees": "15"}},
    )
    put(store, m, None, "JPY", money={"withdrawn": "300", "fees": "0"})  # stored before `moved`
    found = monitoring.dispute_outcomes(store, m, "2026-03")
    money = {c: {k: v for k, v in t.items() if v} for c, t in found.money.items()}
    assert money == {
        "JPY": {"deducted": Decimal(12000), "withdrawn": Decimal(300)},
        "USD": {"withdrawn": Decimal("10.50"), "reinstated": Decimal("10.50"), "fees": Decimal(15)},
        "EUR": {},
    }
    assert set(found.money["JPY"]) == {"withdrawn", "reinstated", "deducted", "fees"}


@pytest.mark.rule("C5")
def test_outcomes_leave_out_what_the_counts_leave_out(store: Engine) -> None:
    """An inquiry or a retrieval request is not a dispute in the month's counts, nor in its
    outcomes: the two agree."""
    m = "M-STAGES"
    put(store, m, "lost", "JPY", phase="retrieval", network="visa")
    put(store, m, "won", "USD", phase="inquiry", network="visa")
    put(store, m, "lost", "JPY", phase="chargeback", network="visa")
    put(store, m, None, "JPY", network="visa")
    outcomes = monitoring.dispute_outcomes(store, m, "2026-03")
    assert outcomes.by_outcome == {"lost": 1, "open": 1}
    counts = monitoring.figures(store, m, "2026-03", POLICY)
    assert counts.disputes.all == sum(outcomes.by_outcome.values()) == 2
