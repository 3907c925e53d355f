"""shared_0010 on a store with cases: each row's queue columns filled from the case view
it keeps (amount, currency, category, next deadline's name, open, urgency, sort key), and
the queue lists them in its order at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from redress.kinds import KINDS
from redress.store.db import _config, make_engine
from redress.store.queue import QueueQuery, queue_page

KIND = next(iter(KINDS.values()))
AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    url = (
        f"sqlite:///{tmp_path / 'cases.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    engine = make_engine(url, create=False)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "shared_0009")
    return engine


def _case(case_id: str, status: str, deadlines: dict[str, str], priority: str) -> dict[str, object]:
    data = {
        "case_id": case_id,
        "amount": "12.30",
        "currency": "USD",
        "category": "charged_twice",
        "deadlines": deadlines,
    }
    due = min((datetime.fromisoformat(d) for d in deadlines.values()), default=None)
    return dict(
        case_id=case_id,
        workflow_id=case_id,
        kind=KIND.name,
        status=status,
        merchant_id="M1",
        created_at=AT,
        updated_at=AT,
        next_deadline=due,
        priority=priority,
        points=0,
        version=1,
        seq=1,
        data=json.dumps(data),
    )


def test_existing_cases_get_their_queue_columns(old_store: Engine) -> None:
    rows = [
        _case(
            "a",
            KIND.statuses[0],
            {"late_by": "2026-03-09T00:00:00+00:00", "soon_by": "2026-03-05T00:00:00+00:00"},
            "regular",
        ),
        _case("b", KIND.statuses[0], {}, "urgent"),
        _case("c", "closed", {}, "regular"),
    ]
    insert = sa.text(
        "INSERT INTO cases (case_id, workflow_id, kind, status, merchant_id, created_at, "
        "updated_at, next_deadline, priority, points, version, seq, data) VALUES (:case_id, "
        ":workflow_id, :kind, :status, :merchant_id, :created_at, :updated_at, :next_deadline, "
        ":priority, :points, :version, :seq, :data)"
    ).bindparams(
        sa.bindparam("created_at", type_=sa.DateTime(timezone=True)),
        sa.bindparam("updated_at", type_=sa.DateTime(timezone=True)),
        sa.bindparam("next_deadline", type_=sa.DateTime(timezone=True)),
    )
    with old_store.begin() as conn:
        conn.execute(insert, rows)
        command.upgrade(_config(conn), "heads")
    page = queue_page(old_store, QueueQuery(), now=AT)
    assert [r.case_id for r in page.items] == ["b", "a", "c"]
    a = page.items[1]
    assert (a.amount, a.currency, a.category, a.next_deadline_name, a.open) == (
        Decimal("12.30"),
        "USD",
        "charged_twice",
        "soon_by",
        True,
    )
    assert not page.items[2].open
    assert queue_page(old_store, QueueQuery(open=True), now=AT).total == 2
    old_store.dispose()
