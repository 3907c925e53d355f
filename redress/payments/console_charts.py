"""The payment failure kind's chart on the console's overview (`CaseKind.console_charts`):
the failure rate of each merchant's channels over the last day, against the alert's
threshold (F5), from the attempts ledger the alerts read."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from redress.console.svg import Chart, bars
from redress.models.payment_failure import rules_of
from redress.models.payment_failure_tables import PaymentAttempt
from redress.payments.failure_rates import figures
from redress.policy import Policy

SPAN = timedelta(days=1)  # what the overview looks back on (the alerts use the policy's window)
MAX_BARS = 10
TITLE = {
    "en": "Payment failure rate by merchant and channel, last 24 h",
    "zh-CN": "近 24 小时各商户、渠道的支付失败率",
}


def failure_rates(
    engine: Engine, policy: Policy, merchants: frozenset[str] | None, now: datetime, lang: str
) -> list[Chart]:
    rules = rules_of(policy).alert
    table = PaymentAttempt.__table__  # type: ignore[attr-defined]
    since = now - SPAN
    stmt = (
        select(table.c.merchant_id)
        .where(table.c.at >= since)
        .group_by(table.c.merchant_id)
        .order_by(func.count().desc(), table.c.merchant_id)
        .limit(MAX_BARS)
    )
    if merchants is not None:
        stmt = stmt.where(table.c.merchant_id.in_(sorted(merchants)))
    with engine.connect() as conn:
        shown = [m for (m,) in conn.execute(stmt)]
    labels: list[str] = []
    rates: list[float] = []
    for merchant in shown:
        for channel, fig in figures(engine, merchant, SPAN, now, "24h").channels.items():
            labels.append(f"{merchant} · {channel}")
            rates.append(fig.rate * 100)
    labels, rates = labels[:MAX_BARS] or ["—"], rates[:MAX_BARS] or [0.0]
    label = "失败率" if lang == "zh-CN" else "failure rate"
    alert = "告警" if lang == "zh-CN" else "alert"
    svg = bars(labels, {label: rates}, unit="%", thresholds=[(float(rules.rate) * 100, alert)])
    return [Chart(TITLE.get(lang, TITLE["en"]), svg)]
