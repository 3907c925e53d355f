"""The queue: open cases of every kind, most urgent first, with the queue API's filters,
time left on each, paging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from redress import kinds
from redress.console import i18n
from redress.console.pages import Visit, aware, now, render, signed_in, time_left
from redress.store import crud

router = APIRouter()
PAGE = 25
# The queue API's filters, as the form names them (the values are checked there).
FILTERS = (
    "kind",
    "status",
    "merchant_id",
    "category",
    "priority",
    "penalized",
    "overdue",
    "created_from",
    "created_to",
    "sort",
)
SORTS = ("", "next_deadline", "-next_deadline", "created_at", "-created_at", "amount", "-amount")


@dataclass
class Row:
    case_id: str
    kind: str
    status: str
    outcome: str | None
    merchant_id: str
    amount: str
    currency: str
    category: str | None
    created_at: datetime
    next_deadline: datetime | None
    next_deadline_name: str | None
    priority: str
    penalty_points: int
    assignee: str | None = None
    left: str = ""
    overdue: bool = False


def _filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: q[k][:128] for k in FILTERS if q.get(k)}


def _page(v: Visit, filters: dict[str, str], cursor: str | None) -> tuple[list[Row], str | None]:
    """A page of the queue from the case store (open cases, urgent first, then the next
    deadline, cases without one last)."""
    p = v.principal
    assert p is not None
    offset = int(cursor) if cursor and cursor.isdigit() else 0
    _, records = crud.list_cases(
        v.state.engine,
        status=filters.get("status"),
        merchant_id=filters.get("merchant_id"),
        kind=filters.get("kind") if filters.get("kind") in kinds.KINDS else None,
        merchants=p.merchants,
        limit=500,
    )
    rows = []
    for r in records:
        data: dict[str, Any] = r.data
        if data.get("closed_at") or r.status == "closed":
            continue
        deadlines = {
            name: aware(datetime.fromisoformat(at))
            for name, at in data.get("deadlines", {}).items()
        }
        name = min(deadlines, key=lambda n: deadlines[n]) if deadlines else None
        rows.append(
            Row(
                case_id=r.case_id,
                kind=r.kind,
                status=r.status,
                outcome=r.outcome,
                merchant_id=r.merchant_id,
                amount=str(data.get("amount", "")),
                currency=str(data.get("currency", "")),
                category=data.get("category"),
                created_at=aware(r.created_at),
                next_deadline=deadlines[name] if name else None,
                next_deadline_name=name,
                priority=r.priority,
                penalty_points=r.points,
            )
        )
    far = aware(datetime.max.replace(year=9999))
    rows.sort(key=lambda r: (r.priority != "urgent", r.next_deadline or far, r.case_id))
    page = rows[offset : offset + PAGE]
    more = str(offset + PAGE) if len(rows) > offset + PAGE else None
    return page, more


@router.get("")
async def queue(request: Request, cursor: str | None = None) -> Response:
    v = signed_in(request)
    filters = _filters(request)
    rows, next_cursor = await run_in_threadpool(_page, v, filters, cursor)
    lang = i18n.choose(request)
    at = now()
    for row in rows:
        row.left, row.overdue = time_left(row.next_deadline, lang, at)
    return render(
        v,
        "queue.html",
        rows=rows,
        filters=filters,
        kinds=list(kinds.KINDS),
        sorts=SORTS,
        next_cursor=next_cursor,
        cursor=cursor,
        query={k: val for k, val in filters.items()},
    )
