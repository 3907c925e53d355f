"""The case queue: what is due next, across every kind — one query for every caller.

    from redress.store.queue import QueueQuery, queue_page

    page = queue_page(engine, QueueQuery(open=True, kind="dispute"), merchants=None)
    page.total, page.items          # QueueRow…, in the query's order
    page.next_cursor                # QueueQuery(…, cursor=page.next_cursor): the next page

`GET /cases` (redress/api/queue.py) and the console's queue page call `queue_page` with the
same `QueueQuery`, so both list, filter, sort and page alike. `merchants` is the caller's
merchant scope (a token's merchants; None: every merchant): rows of other merchants are
never read. Bad input (an unknown status or kind, a malformed cursor…) is a pydantic
`ValidationError` when the query is built, or a `QueueError` naming the field from
`queue_page` (the API answers both with a 422).

Filters (all optional, all combined): `open` (the case is not in a final status of its
kind, `CaseKind.final_statuses`), `status` and `kind` (any of; a list or comma-separated),
`merchant_id`, `category`, `priority`, `penalized` (penalty points not revoked), `overdue`
(open, and a deadline passed: its next running one, or one it missed and has not moved on
from, redress/store/missed.py), `created_from` (inclusive) / `created_to` (exclusive).

Orders (`sort`): None, the desk's order: urgent cases first, then by next deadline, cases
without one last; `next_deadline`, `created_at`, `amount`, and each descending with a `-`.
A case sorts by its sort key `due_at`: its next deadline, or the deadline it missed when
that is earlier (an overdue case sorts by what it missed); a case without either as if due
at `NO_DEADLINE`: last ascending, first descending. Ties go by `case_id`, in the order's
direction, so each row has one place.

Paging is keyset: `next_cursor` holds the sort key and `case_id` of the page's last row,
and the next page is the rows strictly after it. Rows inserted, changed or removed between
pages never make an unchanged row skipped or listed twice (a changed row shows where it now
sorts). The cursor is opaque (base64url JSON) and validated: its format version, its sort
(a cursor of another sort is refused) and its values' types. `offset` still skips rows
(after the cursor, if any); `total` counts every row the filters match.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Boolean, ColumnElement, and_, func, not_, select, true, tuple_
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from redress import kinds
from redress.store.queue_cursor import (
    ORDERS,
    SORTS,
    QueueError,
    as_utc,
    decode_cursor,
    encode_cursor,
)
from redress.store.tables import REGULAR_URGENCY, URGENCY, CaseRecord

__all__ = [
    "SORTS",
    "QueueError",
    "QueuePage",
    "QueueQuery",
    "QueueRow",
    "encode_cursor",
    "queue_page",
]

Sort = Literal["next_deadline", "-next_deadline", "created_at", "-created_at", "amount", "-amount"]
PRIORITIES = ("regular", "urgent")
MAX_LIMIT = 500
MAX_OFFSET = 2**31 - 1  # inside every store's OFFSET (64-bit); larger is a 422
MAX_CURSOR = 512

_T: Any = CaseRecord.__table__  # type: ignore[attr-defined]


def _listed(value: Any) -> Any:
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list | tuple):
        items = tuple(dict.fromkeys(v.strip() for v in value if isinstance(v, str)))
        return tuple(v for v in items if v) or None
    return value


def _known(name: str, values: tuple[str, ...] | None, known: list[str]) -> None:
    for v in values or ():
        if v not in known:
            raise ValueError(f"unknown {name} {v[:60]!r} (known: {', '.join(known)})")


class QueueQuery(BaseModel):
    """What the queue is asked for; every field optional (the module docstring says how
    each filters). `status` and `kind` take a list or a comma-separated string."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    open: bool | None = None
    status: tuple[str, ...] | None = Field(default=None, max_length=40)
    kind: tuple[str, ...] | None = Field(default=None, max_length=20)
    merchant_id: str | None = Field(default=None, max_length=128)
    category: str | None = Field(default=None, max_length=64)
    priority: Literal["regular", "urgent"] | None = None
    penalized: bool | None = None
    overdue: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    sort: Sort | None = None
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)
    cursor: str | None = Field(default=None, max_length=MAX_CURSOR)

    @field_validator("status", "kind", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        return _listed(value)

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        _known("status", value, kinds.statuses())
        return value

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        _known("kind", value, list(kinds.KINDS))
        return value

    @field_validator("created_from", "created_to")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        try:
            return None if value is None else as_utc(value)
        except OverflowError as err:  # 0001-01-01T00:00+01:00 is before the first UTC year
            raise ValueError("outside the years 1 to 9999 in UTC") from err


class QueueRow(BaseModel):
    """One case as the queue lists it."""

    case_id: str
    kind: str
    status: str
    outcome: str | None
    open: bool
    merchant_id: str
    amount: Decimal
    currency: str
    category: str | None
    created_at: datetime
    next_deadline: datetime | None
    next_deadline_name: str | None
    overdue: bool  # open, and a deadline passed (the next one, or one it missed)
    priority: str = "regular"
    penalty_points: int = 0  # penalty points not revoked
    points: int = 0  # the same figure, under its earlier name
    # Who works the case (`POST /cases/{case_id}/claim`): actor ID and display name.
    assignee: str | None = None
    assignee_name: str | None = None
    claimed_at: datetime | None = None
    # The deadline watchdog's mark: a deadline passed and nothing moved the case since.
    stalled: bool = False
    stalled_since: datetime | None = None


class QueuePage(BaseModel):
    total: int  # every case the filters match, on all pages
    items: list[QueueRow]
    next_cursor: str | None = None  # None: this is the last page


class _Unnarrowing(FunctionElement[bool]):
    """A condition the store's planner should not take as the way in. SQLite, reading no
    statistics, would find the overdue cases by their deadline's range and sort them all
    for the desk's order; told the condition is likely (`likelihood(…, 0.9)`), it walks
    the queue's index in that order and stops at the page's end. Elsewhere: as written."""

    type = Boolean()
    name = "unnarrowing"
    inherit_cache = True


@compiles(_Unnarrowing)
def _as_written(element: _Unnarrowing, compiler: Any, **kw: Any) -> str:
    [condition] = element.clauses
    return str(compiler.process(condition, **kw))


@compiles(_Unnarrowing, "sqlite")
def _likely(element: _Unnarrowing, compiler: Any, **kw: Any) -> str:
    [condition] = element.clauses
    return f"likelihood({compiler.process(condition, **kw)}, 0.9)"


def _implied_open(statuses: tuple[str, ...] | None) -> bool | None:
    """Whether cases in `statuses` are all open (or all not), as their kinds declare: said
    to the store too, so it walks the queue's own index instead of sorting the matches."""
    if not statuses:
        return None
    found = {k.is_open(s) for k in kinds.KINDS.values() for s in k.statuses if s in set(statuses)}
    return found.pop() if len(found) == 1 else None


def _filters(
    query: QueueQuery, merchants: frozenset[str] | None, now: datetime
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if merchants is not None:
        where.append(_T.c.merchant_id.in_(sorted(merchants)))
    open_ = query.open if query.open is not None else _implied_open(query.status)
    if open_ is not None:
        where.append(_T.c.open == open_)
    if query.status:
        where.append(_T.c.status.in_(query.status))
    if query.kind:
        where.append(_T.c.kind.in_(query.kind))
    for name in ("merchant_id", "category"):
        value = getattr(query, name)
        if value is not None:
            where.append(_T.c[name] == value)
    if query.priority is not None:
        # As the order's key holds it: urgent cases are one run of the queue's index.
        where.append(_T.c.urgency == URGENCY.get(query.priority, REGULAR_URGENCY))
    if query.penalized is not None:
        where.append(_T.c.points > 0 if query.penalized else _T.c.points <= 0)
    if query.overdue is not None:
        passed: ColumnElement[bool] = _T.c.due_at < now
        if query.sort is None:
            passed = _Unnarrowing(passed)
        overdue = and_(_T.c.open == true(), passed)
        where.append(overdue if query.overdue else not_(overdue))
    if query.created_from is not None:
        where.append(_T.c.created_at >= query.created_from)
    if query.created_to is not None:
        where.append(_T.c.created_at < query.created_to)
    return where


def _amount(value: Any) -> Decimal:
    """The stored amount as the case states it: cents kept, the store's padding dropped."""
    amount = Decimal(str(value))
    cents = amount.quantize(Decimal("0.01"))
    return cents if cents == amount else amount.normalize()


def _row(r: Any, now: datetime) -> QueueRow:
    deadline = as_utc(r.next_deadline) if r.next_deadline is not None else None
    return QueueRow(
        case_id=r.case_id,
        kind=r.kind,
        status=r.status,
        outcome=r.outcome,
        open=bool(r.open),
        merchant_id=r.merchant_id,
        amount=_amount(r.amount),
        currency=r.currency,
        category=r.category,
        created_at=as_utc(r.created_at),
        next_deadline=deadline,
        next_deadline_name=r.next_deadline_name,
        overdue=bool(r.open) and as_utc(r.due_at) < now,
        priority=r.priority,
        penalty_points=r.points,
        points=r.points,
        assignee=r.assignee,
        assignee_name=r.assignee_name,
        claimed_at=as_utc(r.claimed_at) if r.claimed_at is not None else None,
        stalled=r.stalled_since is not None,
        stalled_since=as_utc(r.stalled_since) if r.stalled_since is not None else None,
    )


_COLUMNS = [
    "case_id",
    "kind",
    "status",
    "outcome",
    "open",
    "merchant_id",
    "amount",
    "currency",
    "category",
    "created_at",
    "next_deadline",
    "next_deadline_name",
    "priority",
    "points",
    "assignee",
    "assignee_name",
    "claimed_at",
    "stalled_since",
    "urgency",
    "due_at",
]


def page_statement(
    query: QueueQuery, merchants: frozenset[str] | None, now: datetime | None = None
) -> Any:
    """The SELECT of one page (one row more than the limit: whether another page follows);
    the benchmark EXPLAINs it."""
    now = as_utc(now or datetime.now(UTC))
    order = ORDERS[query.sort]
    where = _filters(query, merchants, now)
    columns = [_T.c[k] for k in (*order.keys, "case_id")]
    if query.cursor is not None:
        keys, case_id = decode_cursor(query.cursor, query.sort)
        after = tuple_(*columns)
        bound = tuple_(*keys, case_id)
        where.append(after < bound if order.descending else after > bound)
    ordering = [c.desc() for c in columns] if order.descending else columns
    return (
        select(*(_T.c[name] for name in _COLUMNS))
        .where(*where)
        .order_by(*ordering)
        .offset(query.offset)
        .limit(query.limit + 1)
    )


def count_statement(query: QueueQuery, merchants: frozenset[str] | None, now: datetime) -> Any:
    return select(func.count()).select_from(_T).where(*_filters(query, merchants, now))


def queue_page(
    engine: Engine,
    query: QueueQuery,
    merchants: frozenset[str] | None = None,
    *,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the queue (see the module docstring); `merchants` the caller's scope."""
    now = as_utc(now or datetime.now(UTC))
    if merchants is not None and not merchants:
        return QueuePage(total=0, items=[])
    stmt = page_statement(query, merchants, now)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
        total = conn.execute(count_statement(query, merchants, now)).scalar_one()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        keys = [getattr(last, k) for k in ORDERS[query.sort].keys]
        next_cursor = encode_cursor(query.sort, keys, last.case_id)
    return QueuePage(total=int(total), items=[_row(r, now) for r in rows], next_cursor=next_cursor)
