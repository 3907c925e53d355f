"""The payment failure kind's chart on the console's overview (`CaseKind.console_charts`):
the failure rate of each merchant's channels as the alert evaluation counts it (F5): over
the alert's window, from the attempts ledger, truncated as `rate_of` truncates, against the
alert's threshold; a channel with fewer failures than `alert.min_failures` is drawn apart
(its rate raises no alert, however high)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from redress.console.svg import Chart, bars
from redress.models.payment_failure import rules_of
from redress.models.payment_failure_tables import PaymentAttempt
from redress.payments.failure_rates import figures, rate_of, span
from redress.policy import Policy

MAX_BARS = 10
TEXT = {
    "en": {
        "title": "Payment failure rate by merchant and channel, the alert's window ({window})",
        "rate": "failure rate",
        "few": "under {n} failures (no alert)",
        "alert": "alert",
        "empty": "no payments in the window",
        "note": "Raised at {rate} or more with at least {n} failures in {window}.",
    },
    "zh-CN": {
        "title": "各商户、渠道的支付失败率（告警窗口 {window}）",
        "rate": "失败率",
        "few": "失败少于 {n} 笔（不告警）",
        "alert": "告警",
        "empty": "窗口内没有支付",
        "note": "失败率达到 {rate} 且窗口 {window} 内失败至少 {n} 笔时告警。",
    },
}


def failure_rates(
    engine: Engine, policy: Policy, merchants: frozenset[str] | None, now: datetime, lang: str
) -> list[Chart]:
    rules = rules_of(policy).alert
    text = TEXT.get(lang, TEXT["en"])
    window = span(rules.window)
    table = PaymentAttempt.__table__  # type: ignore[attr-defined]
    stmt = (
        select(table.c.merchant_id)
        .where(table.c.at >= now - rules.window)
        .group_by(table.c.merchant_id)
        .order_by(func.count().desc(), table.c.merchant_id)
        .limit(MAX_BARS)
    )
    if merchants is not None:
        stmt = stmt.where(table.c.merchant_id.in_(sorted(merchants)))
    with engine.connect() as conn:
        shown = [m for (m,) in conn.execute(stmt)]
    labels: list[str] = []
    counted: list[float] = []  # enough failures: the rate the alert compares
    few: list[float] = []  # too few failures to raise an alert
    for merchant in shown:
        for channel, fig in figures(engine, merchant, rules.window, now, window).channels.items():
            rate = float(rate_of(fig.failures, fig.attempts) * 100)
            labels.append(f"{merchant} · {channel}")
            enough = fig.failures >= rules.min_failures
            counted.append(rate if enough else 0.0)
            few.append(0.0 if enough else rate)
    n = MAX_BARS
    series = {
        text["rate"]: counted[:n],
        text["few"].format(n=rules.min_failures): few[:n],
    }
    threshold = float(rules.rate) * 100
    svg = bars(
        labels[:n],
        series,
        unit="%",
        thresholds=[(threshold, text["alert"])],
        empty=text["empty"],
    )
    note = text["note"].format(rate=f"{threshold:g}%", n=rules.min_failures, window=window)
    return [Chart(text["title"].format(window=window), svg, note)]
