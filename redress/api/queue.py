"""`GET /cases`: the queue, as `redress.store.queue.queue_page` answers it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import ValidationError

from redress import kinds
from redress.api.deps import CurrentPrincipal, State
from redress.api.errors import error_responses, validation_detail
from redress.store.queue import (
    MAX_CURSOR,
    MAX_LIMIT,
    MAX_OFFSET,
    PRIORITIES,
    SORTS,
    QueueError,
    QueuePage,
    QueueQuery,
    queue_page,
)

router = APIRouter(tags=["cases"])

KNOWN_PARAMS = (
    "open",
    "status",
    "kind",
    "merchant_id",
    "category",
    "priority",
    "penalized",
    "overdue",
    "created_from",
    "created_to",
    "sort",
    "limit",
    "cursor",
    "offset",
)


def _any_of(known: list[str]) -> dict[str, str]:
    """A comma-separated list of known values, as the OpenAPI document states it (checked
    by `QueueQuery`, whose refusal names the known values)."""
    one = "|".join(known)
    return {"pattern": f"^({one})(,({one}))*$"}


_BOOL = {"true": True, "false": False}


def _flag_param(description: str) -> object:
    return Query(
        max_length=5, description=description, json_schema_extra={"enum": ["true", "false"]}
    )


def _flag(name: str, raw: str | None) -> bool | None:
    if raw is None:
        return None
    if raw not in _BOOL:
        raise HTTPException(422, f"query.{name}: expected true or false, got {raw[:20]!r}")
    return _BOOL[raw]


@router.get(
    "/cases",
    response_model=QueuePage,
    responses=error_responses(401, 422),
    description=(
        "The queue: every case the token may see, filtered, sorted and paged. Default "
        "order: urgent cases first, then by next deadline, cases without one last. Page "
        "with `cursor` (the answer's `next_cursor`). Unknown parameters or values are a "
        "422 naming the known ones."
    ),
)
def list_cases(
    request: Request,
    state: State,
    principal: CurrentPrincipal,
    open: Annotated[str | None, _flag_param("open cases (true) or final ones (false)")] = None,
    status: Annotated[
        str | None,
        Query(
            max_length=400,
            json_schema_extra=_any_of(kinds.statuses()),
            description="any of these statuses, comma-separated",
        ),
    ] = None,
    kind: Annotated[
        str | None,
        Query(
            max_length=200,
            json_schema_extra=_any_of(list(kinds.KINDS)),
            description="any of these kinds, comma-separated",
        ),
    ] = None,
    merchant_id: Annotated[str | None, Query(max_length=128)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    priority: Annotated[
        str | None, Query(max_length=16, json_schema_extra={"enum": list(PRIORITIES)})
    ] = None,
    penalized: Annotated[str | None, _flag_param("with penalty points (true) or none")] = None,
    overdue: Annotated[str | None, _flag_param("open, a deadline passed (true)")] = None,
    created_from: Annotated[datetime | None, Query(description="created at or after")] = None,
    created_to: Annotated[datetime | None, Query(description="created before")] = None,
    sort: Annotated[
        str | None, Query(max_length=16, json_schema_extra={"enum": list(SORTS)})
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR,
            pattern="^[A-Za-z0-9_-]+$",
            description="the `next_cursor` of the page before",
        ),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> QueuePage:
    unknown = sorted(set(request.query_params) - set(KNOWN_PARAMS))
    if unknown:
        raise HTTPException(
            422,
            f"query.{unknown[0][:40]}: unknown parameter (known: {', '.join(KNOWN_PARAMS)})",
        )
    if sort is not None and sort not in SORTS:
        raise HTTPException(422, f"query.sort: unknown sort {sort!r} (known: {', '.join(SORTS)})")
    if priority is not None and priority not in PRIORITIES:
        raise HTTPException(
            422, f"query.priority: unknown priority {priority!r} (known: {', '.join(PRIORITIES)})"
        )
    try:
        query = QueueQuery(
            open=_flag("open", open),
            status=status,  # type: ignore[arg-type]  # comma-separated, split by the model
            kind=kind,  # type: ignore[arg-type]
            merchant_id=merchant_id,
            category=category,
            priority=priority,  # type: ignore[arg-type]
            penalized=_flag("penalized", penalized),
            overdue=_flag("overdue", overdue),
            created_from=created_from,
            created_to=created_to,
            sort=sort,  # type: ignore[arg-type]
            limit=limit,
            offset=offset,
            cursor=cursor,
        )
    except ValidationError as err:
        raise HTTPException(422, "query." + validation_detail(err)) from err
    try:
        # A scoped token lists its merchants' cases only.
        return queue_page(state.engine, query, principal.merchants)
    except QueueError as err:
        raise HTTPException(422, f"query.{err}") from err
