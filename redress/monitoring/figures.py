"""C5: the card networks' monitoring of each merchant's disputes (SPEC §3), per month.

`figures` counts one merchant's month and `assess` applies the policy's thresholds to the
counts (a pure function, every number from `MonitoringPolicy`); `alerts.py` turns the
statuses into alerts raised and cleared once.

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

from collections import defaultdict
from decimal import ROUND_DOWN, Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, literal, select, true
from sqlalchemy.engine import Connection, Engine

from redress.models.dispute_tables import (
    FraudReport,
    MerchantTimelineEntry,
    MonitoringAlert,
    SettledTransaction,
)
from redress.monitoring.months import month_bounds, parse_month, previous_month
from redress.policy import MonitoringPolicy
from redress.store.tables import CaseRecord

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

_SHOWN = Decimal("0.00000001")  # ratios are shown truncated to 8 places


# --- the figures ---------------------------------------------------------------------------


class NetworkCounts(BaseModel):
    """Counts by card network, each dispute (or report, or transaction) once, under the
    network it was processed on: `visa` and `mastercard` (the programmes' own), `other` (a
    network no programme here watches: amex, cartes_bancaires, a local scheme) and
    `unknown` (no network given), both shown apart and counted in no programme; `all` is
    their sum."""

    all: int = 0
    visa: int = 0
    mastercard: int = 0
    other: int = 0
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


# The response stages (the dispute's `details.phase`) the networks' programmes do not count.
NOT_DISPUTES = ("inquiry", "retrieval")


def _bucket(network: str | None) -> str:
    name = (network or "").strip().lower()
    return name if name in ("visa", "mastercard") else "unknown" if not name else "other"


def _add(counts: NetworkCounts, network: str | None, n: int) -> None:
    bucket = _bucket(network)
    counts.all += n
    setattr(counts, bucket, getattr(counts, bucket) + n)


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
            # An inquiry or a retrieval request is not (yet) a chargeback: the programmes
            # count disputes and fraud reports; one that became a chargeback shows that stage.
            func.coalesce(_CASES.c.data[("details", "phase")].as_string(), "").not_in(NOT_DISPUTES),
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
        _add(out[merchant].disputes, network, n)

    for merchant, network, n in conn.execute(
        select(_FRAUD.c.merchant_id, _FRAUD.c.network, func.count())
        .where(_FRAUD.c.reported_at >= start, _FRAUD.c.reported_at < end, only(_FRAUD))
        .group_by(_FRAUD.c.merchant_id, _FRAUD.c.network)
    ):
        _add(out[merchant].fraud_reports, network, n)

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
        _add(out[merchant].settled_cnp, network, n)

    for merchant, network, n in conn.execute(
        select(_SETTLED.c.merchant_id, _SETTLED.c.network, func.count())
        .where(_SETTLED.c.settled_at >= last_start, _SETTLED.c.settled_at < start, only(_SETTLED))
        .group_by(_SETTLED.c.merchant_id, _SETTLED.c.network)
    ):
        _add(out[merchant].settled_last_month, network, n)
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


MONEY_KINDS = ("withdrawn", "reinstated", "deducted", "fees")


class DisputeOutcomes(BaseModel):
    """The month's disputes by how they ended (open: not yet), and the money moved on them
    (funds withdrawn and reinstated, Antom's judged deductions, fees), in each currency.
    Counted as `figures` counts disputes: inquiries and retrieval requests (`NOT_DISPUTES`)
    are left out of both."""

    by_outcome: dict[str, int]
    money: dict[str, dict[str, Decimal]]  # currency → withdrawn / reinstated / deducted / fees


def _money_of(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A dispute's money by currency: `details.moved` (kept by the currency it moved in)
    where the view has it, else `details.money` in the dispute's currency."""
    details = data.get("details") or {}
    moved = details.get("moved")
    if isinstance(moved, dict) and moved:
        return {str(c): m for c, m in moved.items() if isinstance(m, dict)}
    return {str(data.get("currency") or "?"): details.get("money") or {}}


def dispute_outcomes(engine: Engine, merchant_id: str, month: str) -> DisputeOutcomes:
    start, end = month_bounds(parse_month(month))
    stmt = select(_CASES.c.outcome, _CASES.c.data).where(
        _CASES.c.kind == "dispute",
        _CASES.c.merchant_id == merchant_id,
        func.coalesce(_CASES.c.data[("details", "phase")].as_string(), "").not_in(NOT_DISPUTES),
        _CASES.c.created_at >= start,
        _CASES.c.created_at < end,
    )
    by_outcome: dict[str, int] = defaultdict(int)
    money: dict[str, dict[str, Decimal]] = {}
    with engine.connect() as conn:
        for outcome, data in conn.execute(stmt):
            by_outcome[outcome or "open"] += 1
            currency = str(data.get("currency") or "?")
            money.setdefault(currency, {k: Decimal(0) for k in MONEY_KINDS})
            for cur, moved in _money_of(data).items():
                totals = money.setdefault(cur, {k: Decimal(0) for k in MONEY_KINDS})
                for key in MONEY_KINDS:
                    totals[key] += Decimal(str(moved.get(key) or "0"))
    return DisputeOutcomes(by_outcome=dict(by_outcome), money=money)
