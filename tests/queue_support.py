"""Cases as the projection writes them, for the queue's tests (store, API, bench smoke)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine

from redress.kinds import KINDS
from redress.models import CaseView
from redress.models.case import Penalty
from redress.store import crud
from redress.store.queue import QueueQuery, queue_page

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
KIND_NAMES = list(KINDS)


def view(
    case_id: str,
    *,
    kind: str | None = None,
    status: str | None = None,
    merchant: str = "M1",
    amount: str = "10.00",
    currency: str = "CNY",
    category: str | None = "not_received",
    created: timedelta = timedelta(hours=-1),
    due: dict[str, timedelta] | None = None,
    priority: str = "regular",
    points: int = 0,
    version: int = 1,
    base: datetime = NOW,
) -> CaseView:
    """A case of `kind` (the first registered by default) created `created` from `base`,
    its deadlines `due` from `base`, with a penalty of `points` if any."""
    kind = kind or KIND_NAMES[0]
    status = status or KINDS[kind].statuses[0]
    penalties = []
    if points:
        penalties.append(
            Penalty(
                id="p1",
                reason="late",
                points=points,
                imposed_at=base,
                appeal_deadline=base + timedelta(days=7),
            )
        )
    return CaseView(
        case_id=case_id,
        workflow_id=case_id,
        kind=kind,
        status=status,
        merchant_id=merchant,
        amount=Decimal(amount),
        currency=currency,
        category=category,
        created_at=base + created,
        policy="default",
        deadlines={name: base + at for name, at in (due or {}).items()},
        penalties=penalties,
        priority=priority,  # type: ignore[arg-type]
        version=version,
        seq=version,
    )


def project(engine: Engine, views: Iterable[CaseView]) -> None:
    for v in views:
        assert crud.upsert_case(engine, v)


def ids(engine: Engine, merchants: frozenset[str] | None = None, **query: Any) -> list[str]:
    """The case IDs of one page, at NOW."""
    page = queue_page(engine, QueueQuery(**query), merchants, now=NOW)
    return [row.case_id for row in page.items]


def every_page(engine: Engine, **query: Any) -> list[str]:
    """Every case ID, page after page by cursor."""
    seen: list[str] = []
    cursor = None
    while True:
        page = queue_page(engine, QueueQuery(**query, cursor=cursor), None, now=NOW)
        seen += [row.case_id for row in page.items]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor
