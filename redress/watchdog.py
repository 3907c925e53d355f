"""The deadline watchdog: nothing passes silently, even when a case's own workflow cannot
move (a workflow task failing on every attempt, a projection that cannot be written, a
worker that serves nothing).

A case is *stalled* when its next deadline passed more than the policy's grace ago and its
projection was last written before that deadline: a workflow that fires a deadline writes
its projection at once (the kernel flushes after every alarm), so a healthy case is never
stalled, even one whose passed deadline stays listed (an appeal review the platform has not
decided yet). A closed case whose penalties can still be appealed keeps its appeal and
review deadlines running, and is watched like any other.

`evaluate` clears the alerts of cases that moved and raises one per newly stalled case, each
change in one short transaction that also sets or clears the case's `stalled_since` mark
(what `GET /cases` shows); `pending_notices` is the outbox the watchdog activity sends to
the supervisors' desks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, field_validator
from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from redress.policy import WatchdogPolicy
from redress.store.tables import CaseRecord, DeadlineAlert, IntakeRecord

_CASES: Any = CaseRecord.__table__  # type: ignore[attr-defined]
_ALERTS: Any = DeadlineAlert.__table__  # type: ignore[attr-defined]
_LEDGER: Any = IntakeRecord.__table__  # type: ignore[attr-defined]

# A case opened (its workflow started, in the intake ledger) that never reached the store:
# its first state could not be written, so nothing shows it. Its alert has no projection
# to compare (seq -1) and clears when one appears.
UNPROJECTED = "first_projection"
_NO_SEQ = -1


class WatchdogInput(BaseModel):
    policy: WatchdogPolicy


class WatchdogResult(BaseModel):
    raised: int
    cleared: int
    notices: int
    open: int  # stalled cases still alerted after this run


def _aware(at: datetime) -> datetime:
    """SQLite gives the stored UTC instants back naive."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


class StallChange(BaseModel):
    """An alert raised (the case stalled) or cleared (the case moved)."""

    action: Literal["raise", "clear"]
    alert_id: int
    case_id: str
    kind: str
    merchant_id: str
    status: str
    deadline: datetime
    deadline_name: str = ""
    stalled_since: datetime
    at: datetime
    because: str | None = None  # a clear's reason: moved | closed | gone

    @field_validator("deadline", "stalled_since", "at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _aware(value)

    def idempotency_key(self, address: str) -> str:
        """One notice per alert, direction and desk."""
        return f"watchdog:{self.alert_id}:{self.action}:{address}"[:200]


def stalled_query(cutoff: datetime, limit: int) -> Any:
    """Cases whose next deadline passed before `cutoff` (now minus the grace) and whose
    projection has not been written since that deadline, not yet alerted; oldest deadline
    first. A range on `ix_cases_running_deadline` (next_deadline, updated_at)."""
    return (
        select(
            _CASES.c.case_id,
            _CASES.c.kind,
            _CASES.c.merchant_id,
            _CASES.c.status,
            _CASES.c.next_deadline,
            _CASES.c.seq,
            _CASES.c.version,
        )
        .where(
            _CASES.c.next_deadline <= cutoff,
            _CASES.c.updated_at < _CASES.c.next_deadline,
            _CASES.c.stalled_since.is_(None),
        )
        .order_by(_CASES.c.next_deadline)
        .limit(limit)
    )


def unprojected_query(cutoff: datetime, since: datetime, limit: int) -> Any:
    """Cases the intake opened between `since` and `cutoff` that have no projection and no
    open alert; a range on the ledger's `opened_at`, each looked up by key."""
    alerted = (
        select(_ALERTS.c.id)
        .where(_ALERTS.c.case_id == _LEDGER.c.case_id, _ALERTS.c.cleared_at.is_(None))
        .exists()
    )
    return (
        select(_LEDGER.c.case_id, _LEDGER.c.kind, _LEDGER.c.opened_at)
        .select_from(_LEDGER.outerjoin(_CASES, _CASES.c.case_id == _LEDGER.c.case_id))
        .where(
            _LEDGER.c.opened_at <= cutoff,
            _LEDGER.c.opened_at > since,
            _CASES.c.case_id.is_(None),
            ~alerted,
        )
        .order_by(_LEDGER.c.opened_at)
        .limit(limit)
    )


def evaluate(engine: Engine, policy: WatchdogPolicy, now: datetime) -> list[StallChange]:
    """Clear the alerts of cases that moved, then raise one for each newly stalled case (at
    most `policy.max_per_sweep`, never-projected ones included); return the changes, each
    written exactly once."""
    changes = _clear_moved(engine, now)
    cutoff = now - policy.grace
    with engine.connect() as conn:
        found = conn.execute(stalled_query(cutoff, policy.max_per_sweep)).all()
        room = policy.max_per_sweep - len(found)
        since = now - policy.unprojected_lookback
        unseen = conn.execute(unprojected_query(cutoff, since, room)).all() if room else []
    for row in found:
        change = _raise(engine, row, now)
        if change is not None:
            changes.append(change)
    for row in unseen:
        change = _raise_unprojected(engine, row, now)
        if change is not None:
            changes.append(change)
    return changes


def _deadline_name(conn: Connection, case_id: str, deadline: datetime) -> str:
    """Which of the case's deadlines it is (e.g. `respond_by`), from its projection."""
    data = conn.execute(select(_CASES.c.data).where(_CASES.c.case_id == case_id)).scalar()
    deadlines = (data or {}).get("deadlines") or {}
    for name, at in sorted(deadlines.items()):
        try:
            if datetime.fromisoformat(at).astimezone(UTC) == _aware(deadline):
                return str(name)[:80]
        except (TypeError, ValueError):
            continue
    return ""


def _raise(engine: Engine, row: Any, now: datetime) -> StallChange | None:
    """Mark the case stalled and open its alert in one transaction, only if the case is
    still as the sweep found it (same seq and version): a write in between means it moved."""
    try:
        with engine.begin() as conn:
            marked = conn.execute(
                _CASES.update()
                .where(
                    _CASES.c.case_id == row.case_id,
                    _CASES.c.seq == row.seq,
                    _CASES.c.version == row.version,
                    _CASES.c.stalled_since.is_(None),
                )
                .values(stalled_since=now)
                .returning(_CASES.c.case_id)
            ).first()
            if marked is None:
                return None
            name = _deadline_name(conn, row.case_id, row.next_deadline)
            alert_id = conn.execute(
                _ALERTS.insert()
                .values(
                    case_id=row.case_id,
                    kind=row.kind,
                    merchant_id=row.merchant_id,
                    status=row.status,
                    deadline=row.next_deadline,
                    deadline_name=name,
                    seq=row.seq,
                    version=row.version,
                    raised_at=now,
                )
                .returning(_ALERTS.c.id)
            ).scalar_one()
    except IntegrityError:  # an alert of this case is open already (a concurrent sweep)
        return None
    return StallChange(
        action="raise",
        alert_id=alert_id,
        case_id=row.case_id,
        kind=row.kind,
        merchant_id=row.merchant_id,
        status=row.status,
        deadline=row.next_deadline,
        deadline_name=name,
        stalled_since=now,
        at=now,
    )


def _raise_unprojected(engine: Engine, row: Any, now: datetime) -> StallChange | None:
    change = StallChange(
        action="raise",
        alert_id=0,
        case_id=row.case_id,
        kind=row.kind,
        merchant_id="",  # only the projection knows it
        status="not_projected",
        deadline=row.opened_at,
        deadline_name=UNPROJECTED,
        stalled_since=now,
        at=now,
    )
    values = change.model_dump(include={"case_id", "kind", "merchant_id", "status"})
    try:
        with engine.begin() as conn:
            change.alert_id = conn.execute(
                _ALERTS.insert()
                .values(
                    **values,
                    deadline=row.opened_at,
                    deadline_name=UNPROJECTED,
                    seq=_NO_SEQ,
                    version=_NO_SEQ,
                    raised_at=now,
                )
                .returning(_ALERTS.c.id)
            ).scalar_one()
    except IntegrityError:  # a concurrent sweep raised it
        return None
    return change


def _clear_moved(engine: Engine, now: datetime) -> list[StallChange]:
    """Clear every open alert whose case moved since it was raised: a new projection (seq
    or version), another next deadline, or no case any more (purged)."""
    stmt = (
        select(
            _ALERTS,
            _CASES.c.seq.label("case_seq"),
            _CASES.c.version.label("case_version"),
            _CASES.c.next_deadline.label("case_deadline"),
            _CASES.c.status.label("case_status"),
        )
        .select_from(_ALERTS.outerjoin(_CASES, _CASES.c.case_id == _ALERTS.c.case_id))
        .where(_ALERTS.c.cleared_at.is_(None))
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    changes: list[StallChange] = []
    for row in rows:
        if row.case_seq is None and row.seq == _NO_SEQ:
            continue  # still not projected
        if row.case_seq is None:
            because = "gone"
        elif (row.case_seq, row.case_version) != (row.seq, row.version) or (
            row.case_deadline is None or _aware(row.case_deadline) != _aware(row.deadline)
        ):
            because = "closed" if row.case_status == "closed" else "moved"
        else:
            continue  # still stalled: raised once, nothing more to say
        with engine.begin() as conn:
            done = conn.execute(
                _ALERTS.update()
                .where(_ALERTS.c.id == row.id, _ALERTS.c.cleared_at.is_(None))
                .values(cleared_at=now, cleared_because=because)
                .returning(_ALERTS.c.id)
            ).first()
            if done is None:
                continue  # a concurrent sweep cleared it
            # A projection write cleared the mark already; an unchanged row keeps none either.
            conn.execute(
                _CASES.update()
                .where(_CASES.c.case_id == row.case_id, _CASES.c.stalled_since.is_not(None))
                .values(stalled_since=None)
            )
        changes.append(
            StallChange(
                action="clear",
                alert_id=row.id,
                case_id=row.case_id,
                kind=row.kind,
                merchant_id=row.merchant_id,
                status=row.case_status or row.status,
                deadline=row.deadline,
                deadline_name=row.deadline_name,
                stalled_since=row.raised_at,
                at=now,
                because=because,
            )
        )
    return changes


def pending_notices(engine: Engine, limit: int) -> list[StallChange]:
    """The outbox: raises and clears whose notices have not all gone out, oldest first."""
    stmt = (
        select(_ALERTS)
        .where(
            or_(
                _ALERTS.c.raise_noticed_at.is_(None),
                and_(_ALERTS.c.cleared_at.is_not(None), _ALERTS.c.clear_noticed_at.is_(None)),
            )
        )
        .order_by(_ALERTS.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out: list[StallChange] = []
    for row in rows:
        common: dict[str, Any] = dict(
            alert_id=row.id,
            case_id=row.case_id,
            kind=row.kind,
            merchant_id=row.merchant_id,
            status=row.status,
            deadline=row.deadline,
            deadline_name=row.deadline_name,
            stalled_since=row.raised_at,
        )
        if row.raise_noticed_at is None:
            out.append(StallChange(action="raise", at=row.raised_at, **common))
        if row.cleared_at is not None and row.clear_noticed_at is None:
            out.append(
                StallChange(
                    action="clear", at=row.cleared_at, because=row.cleared_because, **common
                )
            )
    return out


def mark_noticed(engine: Engine, change: StallChange, at: datetime) -> None:
    column = "raise_noticed_at" if change.action == "raise" else "clear_noticed_at"
    with engine.begin() as conn:
        conn.execute(_ALERTS.update().where(_ALERTS.c.id == change.alert_id).values({column: at}))


def open_alerts(engine: Engine) -> int:
    stmt = select(func.count()).select_from(_ALERTS).where(_ALERTS.c.cleared_at.is_(None))
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())
