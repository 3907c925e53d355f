"""The dispute kind's chart on the console's overview (`CaseKind.console_charts`): each
merchant's dispute ratios this month against the card networks' thresholds (C5), from the
same figures the monitoring alerts use."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from redress.console.svg import Chart, bars
from redress.models.dispute import KIND
from redress.monitoring.figures import figures
from redress.monitoring.months import month_bounds, month_of
from redress.policy import Policy
from redress.store.tables import CaseRecord

MAX_MERCHANTS = 8  # the merchants with the most disputes this month
TITLE = {
    "en": "Dispute ratios this month ({month}) against the card networks' thresholds",
    "zh-CN": "本月（{month}）争议率与卡组织阈值",
}


def dispute_ratios(
    engine: Engine, policy: Policy, merchants: frozenset[str] | None, now: datetime, lang: str
) -> list[Chart]:
    rules = policy.monitoring()
    if rules is None:
        return []
    month = month_of(now)
    start, end = month_bounds(month)
    table = CaseRecord.__table__  # type: ignore[attr-defined]
    stmt = (
        select(table.c.merchant_id, func.count())
        .where(table.c.kind == KIND, table.c.created_at >= start, table.c.created_at < end)
        .group_by(table.c.merchant_id)
        .order_by(func.count().desc(), table.c.merchant_id)
        .limit(MAX_MERCHANTS)
    )
    if merchants is not None:
        stmt = stmt.where(table.c.merchant_id.in_(sorted(merchants)))
    with engine.connect() as conn:
        shown = [m for m, _ in conn.execute(stmt)]
    metrics = [figures(engine, m, month, rules) for m in shown]
    labels = shown

    def pct(value: Decimal | None) -> float:
        return float(value) * 100 if value is not None else 0.0

    series = {
        "Visa VAMP": [pct(m.vamp_ratio) for m in metrics],
        "Mastercard ECM": [pct(m.ecm_ratio) for m in metrics],
    }
    thresholds = [
        (float(rules.vamp_ratio) * 100, "VAMP"),
        (float(rules.hecm_ratio) * 100, "HECM"),
    ]
    if rules.ecm_ratio != rules.vamp_ratio:
        thresholds.append((float(rules.ecm_ratio) * 100, "ECM"))
    zh = lang == "zh-CN"
    empty = "本月没有争议" if zh else "no disputes this month"
    # No settled transaction this month: no ratio at all (null), never a ratio of 0 %.
    unsettled = "本月没有已结算交易" if zh else "no settled transactions this month"
    slot_notes = [
        unsettled if m.vamp_ratio is None and m.ecm_ratio is None else "" for m in metrics
    ]
    svg = bars(
        labels,
        series,
        stacked=False,
        unit="%",
        thresholds=thresholds,
        empty=empty,
        notes=slot_notes,
    )
    without = [m for m, n in zip(labels, slot_notes, strict=True) if n]
    note = f"{unsettled}{'：' if zh else ': '}{', '.join(without)}" if without else ""
    return [Chart(TITLE.get(lang, TITLE["en"]).format(month=month), svg, note)]
