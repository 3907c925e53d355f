"""The daily digest (M12): what each merchant's operations contact should work today.

Computed from the case store alone, every kind alike (nothing here names a kind): a case is
open while its status is not one of its kind's final statuses (`kinds.is_open`); its running
deadlines and penalties are those of its projection (`CaseView.deadlines`,
`CaseView.penalties`). Per merchant:

- due: open cases with a deadline within `digest.due_within` from now (the earliest shown);
- overdue: open cases a deadline of which has passed (the earliest passed one shown);
- appeals: penalties whose appeal window is still open, with its last day in the digest's
  time zone (closed cases keep their penalties' windows too);
- categories: the categories with the most cases created in the last 7 days, against the
  7 days before (the root causes to chase).

Every query of the digest is in this module; categories are counted on the queue's column.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Engine
from temporalio.client import ScheduleCalendarSpec, ScheduleRange, ScheduleSpec

from redress import kinds
from redress.models import CaseView
from redress.policy import DigestPolicy
from redress.store.tables import CaseRecord

_CASES: Any = CaseRecord.__table__  # type: ignore[attr-defined]
WEEK = timedelta(days=7)
ANY_MERCHANT = "*"


class DigestCase(BaseModel):
    case_id: str
    kind: str
    status: str
    deadline_name: str
    deadline: datetime  # in the digest's time zone
    amount: str
    currency: str


class DigestPenalty(BaseModel):
    case_id: str
    kind: str
    penalty_id: str
    reason: str
    points: int
    appeal_deadline: datetime  # in the digest's time zone
    last_day: date  # the window's last day there


class CategoryCount(BaseModel):
    kind: str
    category: str
    this_week: int
    last_week: int


class Digest(BaseModel):
    merchant_id: str
    at: datetime  # when it was computed, in the digest's time zone
    day: date  # the digest's day there (one digest per merchant and day)
    due_within: timedelta
    due: list[DigestCase] = Field(default_factory=list)
    overdue: list[DigestCase] = Field(default_factory=list)
    appeals: list[DigestPenalty] = Field(default_factory=list)
    categories: list[CategoryCount] = Field(default_factory=list)
    # Entries left out of a list longer than `digest.max_cases`, by list.
    more: dict[str, int] = Field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.due or self.overdue or self.appeals or self.categories)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def schedule_spec(policy: DigestPolicy) -> ScheduleSpec:
    """Every day at the policy's time of day, in its time zone."""
    hour, minute = (int(part) for part in policy.at.split(":"))
    return ScheduleSpec(
        calendars=[
            ScheduleCalendarSpec(hour=[ScheduleRange(hour)], minute=[ScheduleRange(minute)])
        ],
        time_zone_name=policy.timezone,
    )


def merchants(engine: Engine, now: datetime) -> list[str]:
    """The merchants a digest may say something to: a case with a running deadline (open
    cases, closed ones with an appeal window), or one created in the last two weeks."""
    since = _utc(now) - 2 * WEEK
    stmt = (
        select(_CASES.c.merchant_id)
        .where(or_(_CASES.c.next_deadline.is_not(None), _CASES.c.created_at >= since))
        .distinct()
        .order_by(_CASES.c.merchant_id)
    )
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(stmt)]


def compute(engine: Engine, merchant_id: str, now: datetime, policy: DigestPolicy) -> Digest:
    """The merchant's digest as of `now`."""
    zone = ZoneInfo(policy.timezone)
    now = _utc(now)
    due_by = now + policy.due_within
    due: list[DigestCase] = []
    overdue: list[DigestCase] = []
    appeals: list[DigestPenalty] = []
    for view in _running(engine, merchant_id):
        is_open = kinds.is_open(view.kind, view.status)
        passed = sorted((at, name) for name, at in view.deadlines.items() if _utc(at) <= now)
        coming = sorted(
            (at, name) for name, at in view.deadlines.items() if now < _utc(at) <= due_by
        )
        if is_open and passed:
            overdue.append(_case(view, *passed[0], zone))
        elif is_open and coming:
            due.append(_case(view, *coming[0], zone))
        for p in view.penalties:
            if p.state == "active" and _utc(p.appeal_deadline) > now:
                last = p.appeal_deadline.astimezone(zone)
                appeals.append(
                    DigestPenalty(
                        case_id=view.case_id,
                        kind=view.kind,
                        penalty_id=p.id,
                        reason=p.reason,
                        points=p.points,
                        appeal_deadline=last,
                        # A window ending at midnight ends with the day before.
                        last_day=(last - timedelta(microseconds=1)).date(),
                    )
                )
    due.sort(key=lambda c: (c.deadline, c.case_id))
    overdue.sort(key=lambda c: (c.deadline, c.case_id))
    appeals.sort(key=lambda p: (p.appeal_deadline, p.case_id, p.penalty_id))
    digest = Digest(
        merchant_id=merchant_id,
        at=now.astimezone(zone),
        day=now.astimezone(zone).date(),
        due_within=policy.due_within,
        categories=categories(engine, merchant_id, now, policy.top_categories),
    )
    for name, items in (("due", due), ("overdue", overdue), ("appeals", appeals)):
        setattr(digest, name, items[: policy.max_cases])
        if len(items) > policy.max_cases:
            digest.more[name] = len(items) - policy.max_cases
    return digest


def _running(engine: Engine, merchant_id: str) -> list[CaseView]:
    """The merchant's cases with a running deadline (penalties' windows included)."""
    stmt = select(_CASES.c.data).where(
        and_(_CASES.c.merchant_id == merchant_id, _CASES.c.next_deadline.is_not(None))
    )
    with engine.connect() as conn:
        return [CaseView.model_validate(row[0]) for row in conn.execute(stmt)]


def _case(view: CaseView, at: datetime, name: str, zone: ZoneInfo) -> DigestCase:
    return DigestCase(
        case_id=view.case_id,
        kind=view.kind,
        status=view.status,
        deadline_name=name,
        deadline=at.astimezone(zone),
        amount=format(view.amount, "f"),
        currency=view.currency,
    )


def categories(engine: Engine, merchant_id: str, now: datetime, top: int) -> list[CategoryCount]:
    """The categories (per kind) with the most cases created in the 7 days before `now`,
    with their count in the 7 days before those; most this week first."""
    now = _utc(now)
    week, before = now - WEEK, now - 2 * WEEK
    category = func.coalesce(_CASES.c.category, "")
    this_week = func.sum(case((_CASES.c.created_at >= week, 1), else_=0))
    last_week = func.sum(case((_CASES.c.created_at < week, 1), else_=0))
    stmt = (
        select(_CASES.c.kind, category, this_week, last_week)
        .where(
            and_(
                _CASES.c.merchant_id == merchant_id,
                _CASES.c.created_at >= before,
                _CASES.c.created_at < now,
            )
        )
        .group_by(_CASES.c.kind, category)
    )
    with engine.connect() as conn:
        rows = [
            CategoryCount(kind=k, category=c or "-", this_week=int(t or 0), last_week=int(w or 0))
            for k, c, t, w in conn.execute(stmt)
        ]
    rows = [r for r in rows if r.this_week]
    rows.sort(key=lambda r: (-r.this_week, -(r.this_week - r.last_week), r.kind, r.category))
    return rows[:top]


def contact(policy: DigestPolicy, merchant_id: str) -> str | None:
    """The merchant's operations contact, if the policy names one ("*": every merchant)."""
    found = policy.ops_contacts.get(merchant_id) or policy.ops_contacts.get(ANY_MERCHANT)
    return found.replace("{merchant}", merchant_id) if found else None


def context(digest: Digest) -> dict[str, Any]:
    """The digest as its notice templates read it."""
    hours = digest.due_within.total_seconds() / 3600
    return {
        **digest.model_dump(mode="python"),
        "due_within_hours": int(hours) if hours == int(hours) else round(hours, 1),
        "more": {"due": 0, "overdue": 0, "appeals": 0, **digest.more},
        "empty": digest.empty,
    }
