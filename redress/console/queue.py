"""The queue: open cases of every kind in the queue API's order (urgent first, then the
next deadline, cases without one last), time left on each, the API's filters, paging by
cursor, and claiming a case. Both go through what the API uses (`queue_page`, the claim
routes' own functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from redress import kinds
from redress.api import claims
from redress.api.errors import validation_detail
from redress.console import i18n, session
from redress.console.pages import form_of, now, render, signed_in, time_left
from redress.store.queue import SORTS, QueueError, QueuePage, QueueQuery, queue_page

router = APIRouter()
PAGE = 25  # rows a page shows unless `limit` asks for 1 to MAX_PAGE
MAX_PAGE = 100
# The queue API's filters, as the form names them (`QueueQuery` checks the values).
FILTERS = (
    "open",
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
    "limit",
)


def _day(raw: str, after: bool) -> datetime | str:
    """A date input's day as the instant it starts (`after`: the next day's start, so the
    day itself is inside `created_to`); anything else is left to the query to refuse."""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return raw
    return datetime.combine(day + timedelta(days=1 if after else 0), time(), tzinfo=UTC)


def _query(filters: dict[str, str], cursor: str | None) -> QueueQuery:
    given: dict[str, Any] = {k: v for k, v in filters.items() if k not in ("open", "limit")}
    given["open"] = {"true": True, "false": False}.get(filters.get("open", "true"))
    for name in ("penalized", "overdue"):
        if name in given:
            given[name] = given[name] == "true"
    if "created_from" in given:
        given["created_from"] = _day(given["created_from"], after=False)
    if "created_to" in given:
        given["created_to"] = _day(given["created_to"], after=True)
    limit = filters.get("limit", "")
    size = int(limit) if limit.isdigit() and 1 <= int(limit) <= MAX_PAGE else PAGE
    return QueueQuery(**given, limit=size, cursor=cursor or None)


@router.get("")
async def queue(request: Request, cursor: str | None = None) -> Response:
    v = signed_in(request)
    assert v.principal is not None
    q = request.query_params
    filters = {k: q[k][:128] for k in FILTERS if q.get(k)}
    error = ""
    page = QueuePage(total=0, items=[])
    try:
        query = _query(filters, cursor)
        page = await run_in_threadpool(queue_page, v.state.engine, query, v.principal.merchants)
    except ValidationError as err:
        error = validation_detail(err)
    except QueueError as err:
        error = str(err)
    lang = i18n.choose(request)
    at = now()
    rows = [(row, *time_left(row.next_deadline, lang, at)) for row in page.items]
    return render(
        v,
        "queue.html",
        status=422 if error else 200,
        error=error,
        rows=rows,
        total=page.total,
        filters=filters,
        kinds=list(kinds.KINDS),
        statuses=kinds.statuses(),
        sorts=("", *SORTS),
        next_cursor=page.next_cursor,
        cursor=cursor,
        query=filters,
    )


@router.post("/cases/{case_id}/claim")
async def claim(case_id: str, request: Request) -> Response:
    """Claim the case, or release it (`release=1`), as the claim API does; back to the
    queue, where a refusal (someone else holds it) shows its message."""
    v = signed_in(request)
    form = await form_of(request)
    await session.check_csrf(request, v.state, v.session, v.principal, form, case_id=case_id)
    assert v.principal is not None
    try:
        if form.get("release"):
            await claims.release(case_id, v.state, v.principal)
        else:
            await claims.claim(case_id, v.state, v.principal, None)
    except HTTPException as err:
        return render(
            v, "message.html", status=err.status_code, message="refused", detail=str(err.detail)
        )
    back = form.get("back", "")
    target = back if back.startswith("/console") and "//" not in back else "/console"
    return RedirectResponse(target or f"/console#{quote(case_id)}", status_code=303)
