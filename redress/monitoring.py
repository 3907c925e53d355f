"""C5: the card networks' monitoring of each merchant's disputes (SPEC §3), per month.

`figures` counts one merchant's month and `assess` applies the policy's thresholds to the
counts (a pure function, every number from `MonitoringPolicy`). `evaluate` does it for every
merchant with something to count, compares the statuses with the open alerts and writes the
changes (`monitoring_alerts`, `merchant_timeline`) in one transaction, so each change happens
once; `pending_notices` is the outbox the monitoring activity sends to the merchant desk.

Programmes, with the statuses each reports:
- `vamp` (Visa VAMP): (visa disputes + visa fraud reports) / visa settled card-not-present
  transactions of the month; excessive at or above `vamp_ratio` with the count strictly above
  `vamp_min_count`; warning at `warning_level` times both.
- `ecm` (Mastercard ECM): mastercard chargebacks of the month, and their ratio to LAST month's
  mastercard transactions (all of them, as Mastercard's ratio counts), both inside the ECM band;
  warning (nearing it) at `warning_level` times the band's lower ends, when neither ECM nor
  HECM holds.
- `hecm` (Mastercard HECM): count at or above `hecm_min_count` and ratio at or above
  `hecm_ratio`; excessive or ok.

A ratio compares by cross-multiplication (count ≥ threshold × denominator), exact in Decimal;
a zero denominator has no ratio and crosses no threshold.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import and_, func, literal, or_, select, true
from sqlalchemy.engine import Connection, Engine

from redress.policy import MonitoringPolicy
from redress.store.tables import (
    CaseRecord,
    FraudReport,
    MerchantTimelineEntry,
    MonitoringAlert,
    SettledTransaction,
)

Programme = Literal["vamp", "ecm", "hecm"]
Level = Literal["warning", "excessive"]
Status = Literal["ok", "warning", "excessive"]
Network = Literal["visa", "mastercard"]

PROGRAMMES: tuple[Programme, ...] = ("vamp", "ecm", "hecm")
PROGRAMME_NAMES: dict[str, str] = {
    "vamp": "Visa VAMP",
    "ecm": "Mastercard ECM",
    "hecm": "Mastercard HECM",
}
_RANK: dict[str, int] = {"ok": 0, "warning": 1, "excessive": 2}

_CASES: Any = CaseRecord.__table__  # type: ignore[attr-defined]
_SETTLED: Any = SettledTransaction.__table__  # type: ignore[attr-defined]
_FRAUD: Any = FraudReport.__table__  # type: ignore[attr-defined]
_ALERTS: Any = MonitoringAlert.__table__  # type: ignore[attr-defined]
_TIMELINE: Any = MerchantTimelineEntry.__table__  # type: ignore[attr-defined]

# --- months ------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_SHOWN = Decimal("0.00000001")  # ratios are shown truncated to 8 places


def parse_month(value: str) -> str:
    """`YYYY-MM`, or ValueError saying what was expected."""
    if (
        not isinstance(value, str)
        or not _MONTH.fullmatch(value)
        or not "1970" <= value[:4] < "9999"
    ):
        raise ValueError(f"expected a month as YYYY-MM (1970-01 to 9998-12), got {value!r}")
    return value


def month_of(at: datetime) -> str:
    """The UTC month of an aware instant."""
    return at.astimezone(UTC).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) in UTC."""
    year, mon = (int(part) for part in parse_month(month).split("-"))
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=UTC)
    return start, end


def previous_month(month: str) -> str:
    year, mon = (int(part) for part in parse_month(month).split("-"))
    return f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"


# --- the figures ---------------------------------------------------------------------------


class NetworkCounts(BaseModel):
    """Counts by card network. For disputes, `visa` and `mastercard` each include the
    `unknown` ones (no network given): see `_add`."""

    all: int = 0
    visa: int = 0
    mastercard: int = 0
    unknown: int = 0


class Counts(BaseModel):
    """What one merchant's month is assessed on."""

    disputes: NetworkCounts = Field(default_factory=NetworkCounts)  # created this month
    fraud_reports: NetworkCounts = Field(default_factory=NetworkCounts)  # reported this month
    settled_cnp: NetworkCounts = Field(default_factory=NetworkCounts)  # CNP, settled this month
    # Every settled transaction of the month before (Mastercard's ratio divides by these).
    settled_last_month: NetworkCounts = Field(default_factory=NetworkCounts)


class Threshold(BaseModel):
    """A programme's threshold as applied: a ratio at or above `ratio` (and at or below
    `max_ratio`), and a count strictly above `count_above` or within [`min_count`,
    `max_count`]."""

    ratio: Decimal
    max_ratio: Decimal | None = None
    count_above: Decimal | None = None
    min_count: Decimal | None = None
    max_count: Decimal | None = None


class ProgrammeStatus(BaseModel):
    network: Network
    status: Status
    count: int  # the events the programme counts
    denominator: int  # the transactions it divides by
    ratio: Decimal | None  # None: no transactions to divide by
    threshold: Threshold  # excessive at
    warning: Threshold | None = None  # nearing at (the policy's warning level)


class MerchantMetrics(BaseModel):
    month: str
    merchant_id: str
    disputes: NetworkCounts
    fraud_reports: NetworkCounts
    settled_cnp: NetworkCounts
    settled_last_month: NetworkCounts
    vamp_ratio: Decimal | None
    ecm_ratio: Decimal | None
    programmes: dict[Programme, ProgrammeStatus]


def _ratio(count: int, denominator: int) -> Decimal | None:
    if denominator <= 0:
        return None
    return (Decimal(count) / Decimal(denominator)).quantize(_SHOWN, rounding=ROUND_DOWN)


def _reached(count: int, denominator: int, ratio: Decimal) -> bool:
    """count / denominator ≥ ratio, exactly; never with no denominator."""
    return denominator > 0 and Decimal(count) >= ratio * denominator


def _within(count: int, denominator: int, ratio: Decimal) -> bool:
    """count / denominator ≤ ratio, exactly; never with no denominator."""
    return denominator > 0 and Decimal(count) <= ratio * denominator


def _shown(value: Decimal) -> Decimal:
    """1200.0 → 1200, 0.01200 → 0.012: a scaled threshold as people write it."""
    return Decimal(int(value)) if value == value.to_integral_value() else value.normalize()


def assess(
    merchant_id: str, month: str, counts: Counts, policy: MonitoringPolicy
) -> MerchantMetrics:
    """The programmes' statuses for one merchant's month: every number from `policy`."""
    level = policy.warning_level

    # Visa VAMP.
    v_count = counts.disputes.visa + counts.fraud_reports.visa
    v_den = counts.settled_cnp.visa
    vamp_at = Threshold(ratio=policy.vamp_ratio, count_above=Decimal(policy.vamp_min_count))
    vamp_near = Threshold(
        ratio=_shown(level * policy.vamp_ratio),
        count_above=_shown(level * policy.vamp_min_count),
    )
    if _reached(v_count, v_den, vamp_at.ratio) and v_count > policy.vamp_min_count:
        vamp: Status = "excessive"
    elif (
        _reached(v_count, v_den, vamp_near.ratio)
        and vamp_near.count_above is not None
        and v_count > vamp_near.count_above
    ):
        vamp = "warning"
    else:
        vamp = "ok"

    # Mastercard ECM / HECM: this month's chargebacks over last month's transactions.
    m_count = counts.disputes.mastercard
    m_den = counts.settled_last_month.mastercard
    ecm_at = Threshold(
        ratio=policy.ecm_ratio,
        max_ratio=policy.ecm_max_ratio,
        min_count=Decimal(policy.ecm_min_count),
        max_count=Decimal(policy.ecm_max_count),
    )
    ecm_near = Threshold(
        ratio=_shown(level * policy.ecm_ratio), min_count=_shown(level * policy.ecm_min_count)
    )
    hecm_at = Threshold(ratio=policy.hecm_ratio, min_count=Decimal(policy.hecm_min_count))
    in_ecm = (
        policy.ecm_min_count <= m_count <= policy.ecm_max_count
        and _reached(m_count, m_den, policy.ecm_ratio)
        and _within(m_count, m_den, policy.ecm_max_ratio)
    )
    in_hecm = m_count >= policy.hecm_min_count and _reached(m_count, m_den, policy.hecm_ratio)
    near_ecm = (
        ecm_near.min_count is not None
        and m_count >= ecm_near.min_count
        and _reached(m_count, m_den, ecm_near.ratio)
    )
    ecm: Status = "excessive" if in_ecm else "warning" if near_ecm and not in_hecm else "ok"
    hecm: Status = "excessive" if in_hecm else "ok"

    v_ratio, m_ratio = _ratio(v_count, v_den), _ratio(m_count, m_den)
    visa = dict(network="visa", count=v_count, denominator=v_den, ratio=v_ratio)
    master = dict(network="mastercard", count=m_count, denominator=m_den, ratio=m_ratio)
    return MerchantMetrics(
        month=month,
        merchant_id=merchant_id,
        **counts.model_dump(),
        vamp_ratio=v_ratio,
        ecm_ratio=m_ratio,
        programmes={
            "vamp": ProgrammeStatus(status=vamp, threshold=vamp_at, warning=vamp_near, **visa),
            "ecm": ProgrammeStatus(status=ecm, threshold=ecm_at, warning=ecm_near, **master),
            "hecm": ProgrammeStatus(status=hecm, threshold=hecm_at, **master),
        },
    )


def _bucket(network: str | None) -> str:
    name = (network or "").strip().lower()
    return name if name in ("visa", "mastercard") else "unknown" if not name else "other"


def _add(counts: NetworkCounts, network: str | None, n: int, unknown_counts_for_both: bool) -> None:
    bucket = _bucket(network)
    counts.all += n
    if bucket in ("visa", "mastercard"):
        setattr(counts, bucket, getattr(counts, bucket) + n)
    elif bucket == "unknown":
        counts.unknown += n
        if unknown_counts_for_both:
            # A dispute whose network is not known counts for Visa and for Mastercard alike:
            # it errs on the side of an early warning rather than a missed one.
            counts.visa += n
            counts.mastercard += n


def _grouped(conn: Connection, month: str, merchant_id: str | None) -> dict[str, Counts]:
    """Counts of the month for every merchant with any (or for `merchant_id`): a few
    grouped queries, not one per merchant."""
    start, end = month_bounds(month)
    last_start, _ = month_bounds(previous_month(month))
    out: dict[str, Counts] = defaultdict(Counts)

    def only(table: Any) -> Any:
        return table.c.merchant_id == merchant_id if merchant_id is not None else true()

    # Disputes: cases of kind `dispute` created in the month, by the network in their view.
    # Grouped over a subquery so the JSON path is written once (PostgreSQL needs the GROUP BY
    # expression to be the selected one).
    inner = (
        select(
            _CASES.c.merchant_id.label("merchant_id"),
            func.lower(_CASES.c.data[("details", "network")].as_string()).label("network"),
        )
        .where(
            _CASES.c.kind == "dispute",
            _CASES.c.created_at >= start,
            _CASES.c.created_at < end,
            only(_CASES),
        )
        .subquery()
    )
    for merchant, network, n in conn.execute(
        select(inner.c.merchant_id, inner.c.network, func.count()).group_by(
            inner.c.merchant_id, inner.c.network
        )
    ):
        _add(out[merchant].disputes, network, n, unknown_counts_for_both=True)

    for merchant, network, n in conn.execute(
        select(_FRAUD.c.merchant_id, _FRAUD.c.network, func.count())
        .where(_FRAUD.c.reported_at >= start, _FRAUD.c.reported_at < end, only(_FRAUD))
        .group_by(_FRAUD.c.merchant_id, _FRAUD.c.network)
    ):
        _add(out[merchant].fraud_reports, network, n, unknown_counts_for_both=False)

    for merchant, network, n in conn.execute(
        select(_SETTLED.c.merchant_id, _SETTLED.c.network, func.count())
        .where(
            _SETTLED.c.settled_at >= start,
            _SETTLED.c.settled_at < end,
            _SETTLED.c.card_not_present.is_(True),
            only(_SETTLED),
        )
        .group_by(_SETTLED.c.merchant_id, _SETTLED.c.network)
    ):
        _add(out[merchant].settled_cnp, network, n, unknown_counts_for_both=False)

    for merchant, network, n in conn.execute(
        select(_SETTLED.c.merchant_id, _SETTLED.c.network, func.count())
        .where(_SETTLED.c.settled_at >= last_start, _SETTLED.c.settled_at < start, only(_SETTLED))
        .group_by(_SETTLED.c.merchant_id, _SETTLED.c.network)
    ):
        _add(out[merchant].settled_last_month, network, n, unknown_counts_for_both=False)
    return dict(out)


def figures(
    engine: Engine, merchant_id: str, month: str, policy: MonitoringPolicy
) -> MerchantMetrics:
    """One merchant's month: its counts and the programmes' statuses."""
    month = parse_month(month)
    with engine.connect() as conn:
        counts = _grouped(conn, month, merchant_id).get(merchant_id, Counts())
    return assess(merchant_id, month, counts, policy)


def known_merchant(engine: Engine, merchant_id: str) -> bool:
    """Whether anything in the store names this merchant (a case, a transaction, a fraud
    report, an alert)."""
    with engine.connect() as conn:
        for table in (_CASES, _SETTLED, _FRAUD, _ALERTS):
            hit = conn.execute(
                select(literal(1)).where(table.c.merchant_id == merchant_id).limit(1)
            ).first()
            if hit is not None:
                return True
    return False


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


# --- the Temporal side's messages -----------------------------------------------------------


class MonitoringInput(BaseModel):
    """The Schedule's workflow input, and the activity's: the policy travels in it (a
    snapshot taken when the Schedule was last written). No month: the current UTC month."""

    month: str | None = None
    policy: MonitoringPolicy

    @field_validator("month")
    @classmethod
    def _month(cls, value: str | None) -> str | None:
        return None if value is None else parse_month(value)


class MonitoringResult(BaseModel):
    month: str
    raised: int
    cleared: int
    notices: int


class DisputeOutcomes(BaseModel):
    """The month's disputes by how they ended (open: not yet), and the money moved on them
    (funds withdrawn and reinstated, fees), in each currency."""

    by_outcome: dict[str, int]
    money: dict[str, dict[str, Decimal]]  # currency → withdrawn / reinstated / fees


def dispute_outcomes(engine: Engine, merchant_id: str, month: str) -> DisputeOutcomes:
    start, end = month_bounds(parse_month(month))
    stmt = select(_CASES.c.outcome, _CASES.c.data).where(
        _CASES.c.kind == "dispute",
        _CASES.c.merchant_id == merchant_id,
        _CASES.c.created_at >= start,
        _CASES.c.created_at < end,
    )
    by_outcome: dict[str, int] = defaultdict(int)
    money: dict[str, dict[str, Decimal]] = {}
    with engine.connect() as conn:
        for outcome, data in conn.execute(stmt):
            by_outcome[outcome or "open"] += 1
            moved = (data.get("details") or {}).get("money") or {}
            totals = money.setdefault(
                data.get("currency", "?"),
                {"withdrawn": Decimal(0), "reinstated": Decimal(0), "fees": Decimal(0)},
            )
            for key in totals:
                totals[key] += Decimal(str(moved.get(key, "0")))
    return DisputeOutcomes(by_outcome=dict(by_outcome), money=money)
