"""C5's alerts: `evaluate` compares every merchant's statuses with the open alerts and
writes the changes (`monitoring_alerts`, `merchant_timeline`) in one transaction, so each
change happens once; `pending_notices` is the outbox the monitoring activity sends to the
merchant desk."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection, Engine

from redress.monitoring.figures import (
    _ALERTS,
    _RANK,
    _TIMELINE,
    PROGRAMMES,
    Counts,
    Level,
    Programme,
    ProgrammeStatus,
    Status,
    _grouped,
    assess,
    parse_month,
    previous_month,
)
from redress.policy import MonitoringPolicy

# --- alerts --------------------------------------------------------------------------------


class AlertView(BaseModel):
    id: int
    programme: Programme
    month: str
    level: Level
    previous_level: Level | None = None
    raised_at: datetime
    cleared_at: datetime | None = None
    figures: dict[str, Any] = Field(default_factory=dict)

    @field_validator("raised_at", "cleared_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        # SQLite gives the stored UTC instants back naive.
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def open_alerts(engine: Engine, merchant_id: str) -> list[AlertView]:
    stmt = (
        select(_ALERTS)
        .where(_ALERTS.c.merchant_id == merchant_id, _ALERTS.c.cleared_at.is_(None))
        .order_by(_ALERTS.c.raised_at, _ALERTS.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [AlertView.model_validate(dict(row)) for row in rows]


class AlertChange(BaseModel):
    """An alert raised or cleared. `notice`: the merchant desk hears of it (a clear that
    only makes way for another level of the same merchant is bookkeeping, no notice)."""

    action: Literal["raise", "clear"]
    alert_id: int
    merchant_id: str
    programme: Programme
    month: str
    level: Level
    previous: Level | None = None  # a raise that replaced this level
    at: datetime
    figures: dict[str, Any] = Field(default_factory=dict)
    notice: bool = True

    @property
    def idempotency_key(self) -> str:
        """One notice per merchant, programme, month, level and direction."""
        return (
            f"monitoring:{self.merchant_id}:{self.programme}:{self.month}:{self.level}:"
            f"{self.action}"
        )


def _snapshot(status: ProgrammeStatus, month: str) -> dict[str, Any]:
    return {"month": month, **status.model_dump(mode="json", exclude={"network"})}


def _worse(a: Status, b: Status) -> Status:
    return a if _RANK[a] >= _RANK[b] else b


def evaluate(
    engine: Engine, policy: MonitoringPolicy, month: str, now: datetime
) -> list[AlertChange]:
    """Compare every merchant's statuses for `month` with the open alerts; raise and clear
    alerts to match, with a timeline entry each, in one transaction; return the changes.

    A month's status is the worse of its own (to date) and the month before's: the networks
    identify a merchant on a complete month's figures, so an alert stays up through the
    month after the one that raised it rather than clearing at every month's start, when the
    counts begin again from zero. An open alert raised for a later month than `month` is
    left alone (re-evaluating a past month never undoes a newer alert)."""
    month = parse_month(month)
    before = previous_month(month)
    with engine.connect() as conn:
        counts_now = _grouped(conn, month, None)
        counts_before = _grouped(conn, before, None)

    def statuses(merchant: str) -> dict[str, tuple[Status, str, ProgrammeStatus]]:
        current = assess(merchant, month, counts_now.get(merchant, Counts()), policy)
        prior = assess(merchant, before, counts_before.get(merchant, Counts()), policy)
        out: dict[str, tuple[Status, str, ProgrammeStatus]] = {}
        for programme in PROGRAMMES:
            mine, theirs = current.programmes[programme], prior.programmes[programme]
            worst = _worse(mine.status, theirs.status)
            # Ties go to this month: an alert names the latest month that bears it out.
            if mine.status == worst:
                out[programme] = (worst, month, mine)
            else:
                out[programme] = (worst, before, theirs)
        return out

    def counted(c: Counts) -> bool:
        return c.disputes.all + c.fraud_reports.all > 0

    changes: list[AlertChange] = []
    with engine.begin() as conn:
        alerts = {
            (row.merchant_id, row.programme): row
            for row in conn.execute(select(_ALERTS).where(_ALERTS.c.cleared_at.is_(None)))
        }
        merchants = sorted(
            {m for m, c in counts_now.items() if counted(c)}
            | {m for m, c in counts_before.items() if counted(c)}
            | {m for m, _ in alerts}
        )
        for merchant in merchants:
            found = statuses(merchant)
            for programme in PROGRAMMES:
                status, at_month, shown = found[programme]
                alert = alerts.get((merchant, programme))
                if alert is not None and alert.month > month:
                    continue
                if alert is not None and status == alert.level:
                    continue
                if alert is not None:
                    # Moving from ECM up to HECM is no falling back: the ECM alert makes way.
                    up_to_hecm = programme == "ecm" and found["hecm"][0] == "excessive"
                    quiet = status != "ok" or up_to_hecm
                    changes.append(
                        _clear(conn, alert, now, _snapshot(shown, at_month), notice=not quiet)
                    )
                if status != "ok":
                    previous = alert.level if alert is not None else None
                    changes.append(
                        _raise(conn, merchant, programme, at_month, status, previous, now, shown)
                    )
    return changes


def _raise(
    conn: Connection,
    merchant: str,
    programme: Programme,
    month: str,
    level: Status,
    previous: str | None,
    now: datetime,
    shown: ProgrammeStatus,
) -> AlertChange:
    snapshot = _snapshot(shown, month)
    alert_id = conn.execute(
        _ALERTS.insert()
        .values(
            merchant_id=merchant,
            month=month,
            programme=programme,
            level=level,
            previous_level=previous,
            raised_at=now,
            cleared_at=None,
            superseded=False,
            figures={"raised": snapshot},
            raise_noticed_at=None,
            clear_noticed_at=None,
        )
        .returning(_ALERTS.c.id)
    ).scalar_one()
    change = AlertChange(
        action="raise",
        alert_id=alert_id,
        merchant_id=merchant,
        programme=programme,
        month=month,
        level=level,
        previous=previous,
        at=now,
        figures=snapshot,
    )
    _timeline(conn, change)
    return change


def _clear(
    conn: Connection, alert: Any, now: datetime, snapshot: dict[str, Any], notice: bool
) -> AlertChange:
    conn.execute(
        _ALERTS.update()
        .where(_ALERTS.c.id == alert.id)
        .values(
            cleared_at=now,
            superseded=not notice,
            figures={**(alert.figures or {}), "cleared": snapshot},
        )
    )
    change = AlertChange(
        action="clear",
        alert_id=alert.id,
        merchant_id=alert.merchant_id,
        programme=alert.programme,
        month=alert.month,
        level=alert.level,
        at=now,
        figures=snapshot,
        notice=notice,
    )
    _timeline(conn, change)
    return change


def _timeline(conn: Connection, change: AlertChange) -> None:
    details = {
        "alert_id": change.alert_id,
        "programme": change.programme,
        "month": change.month,
        "level": change.level,
        "previous": change.previous,
        "notice": change.notice,
        "figures": change.figures,
    }
    kind = "monitoring.alert_raised" if change.action == "raise" else "monitoring.alert_cleared"
    conn.execute(
        _TIMELINE.insert().values(
            merchant_id=change.merchant_id, at=change.at, type=kind, details=details
        )
    )


def _aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def pending_notices(engine: Engine) -> list[AlertChange]:
    """The outbox: raises and clears whose notice has not gone out yet, oldest first. A
    raise already superseded before its notice went is skipped (its successor tells)."""
    stmt = select(_ALERTS).where(
        or_(
            and_(_ALERTS.c.raise_noticed_at.is_(None), _ALERTS.c.superseded.is_(False)),
            and_(
                _ALERTS.c.cleared_at.is_not(None),
                _ALERTS.c.superseded.is_(False),
                _ALERTS.c.clear_noticed_at.is_(None),
            ),
        )
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out: list[AlertChange] = []
    for row in rows:
        common = dict(
            alert_id=row.id,
            merchant_id=row.merchant_id,
            programme=row.programme,
            month=row.month,
            level=row.level,
        )
        figures_ = row.figures or {}
        if row.raise_noticed_at is None:
            out.append(
                AlertChange(
                    action="raise",
                    previous=row.previous_level,
                    at=_aware(row.raised_at),
                    figures=figures_.get("raised", {}),
                    **common,
                )
            )
        if row.cleared_at is not None and row.clear_noticed_at is None:
            out.append(
                AlertChange(
                    action="clear",
                    at=_aware(row.cleared_at),
                    figures=figures_.get("cleared", {}),
                    **common,
                )
            )
    out.sort(key=lambda c: (c.at, c.alert_id, c.action != "raise"))
    return out


def mark_noticed(engine: Engine, change: AlertChange, at: datetime) -> None:
    column = "raise_noticed_at" if change.action == "raise" else "clear_noticed_at"
    with engine.begin() as conn:
        conn.execute(_ALERTS.update().where(_ALERTS.c.id == change.alert_id).values({column: at}))


def timeline(engine: Engine, merchant_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """A merchant's timeline, newest first."""
    stmt = (
        select(_TIMELINE.c.at, _TIMELINE.c.type, _TIMELINE.c.details)
        .where(_TIMELINE.c.merchant_id == merchant_id)
        .order_by(_TIMELINE.c.at.desc(), _TIMELINE.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [{"at": _aware(r.at), "type": r.type, "details": r.details} for r in rows]
