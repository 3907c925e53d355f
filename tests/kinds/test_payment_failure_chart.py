"""F5 on the console's overview: the payment failure chart shows the rate the alert
evaluation compares (its window, its truncation, its minimum of failures), on a seeded
store; an empty window says so; the threshold's label is clear of the bars."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine

from redress.console.svg import bars
from redress.models.payment_failure import Payment, rules_of
from redress.payments import attempts, failure_rates
from redress.payments.console_charts import failure_rates as chart
from redress.policy import load_policy

POLICY = load_policy("default")
RULES = rules_of(POLICY).alert


def pay(n: int, merchant: str, channel: str, at: datetime) -> Payment:
    return Payment(
        id=f"{merchant}-{channel}-{n}",
        order_no=f"O{n}",
        merchant_id=merchant,
        channel=channel,
        amount=Decimal("10.00"),
        currency="CNY",
        occurred_at=at,
    )


def bar_values(svg: str) -> dict[str, str]:
    """Each drawn bar: `label · series` → its value, from the bars' titles."""
    return dict(re.findall(r"<title>(.+?): ([0-9.]+%)</title>", svg))


def test_the_chart_shows_the_rate_the_alert_compares(engine: Engine) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    inside = now - RULES.window / 2
    # M-1 wechat: 12 failures of 35 payments in the window (34.28… %, over 30 %): alerted.
    for n in range(12):
        attempts.record(engine, "generic", pay(n, "M-1", "wechat", inside), "failed", "timeout")
    for n in range(12, 35):
        attempts.record(engine, "generic", pay(n, "M-1", "wechat", inside), "succeeded")
    # Earlier than the window: successes the 24 hours would count, the alert does not.
    for n in range(35, 200):
        earlier = now - RULES.window - timedelta(hours=2)
        attempts.record(engine, "generic", pay(n, "M-1", "wechat", earlier), "succeeded")
    # M-2 alipay: 2 failures, nothing else: 100 %, but under min_failures: no alert.
    for n in range(2):
        attempts.record(engine, "generic", pay(n, "M-2", "alipay", inside), "failed", "timeout")

    [change] = failure_rates.evaluate(engine, RULES, now)
    assert (change.merchant_id, change.channel, change.rate) == ("M-1", "wechat", Decimal("0.3428"))

    [drawn] = chart(engine, POLICY, None, now, "en")
    values = bar_values(str(drawn.svg))
    assert values["M-1 · wechat · failure rate"] == "34%"  # the alert's 0.3428, not 24 h's 6 %
    assert values[f"M-2 · alipay · under {RULES.min_failures} failures (no alert)"] == "100%"
    assert "M-1 · wechat · under" not in str(drawn.svg)
    assert "10m" in drawn.title and "at least 10 failures" in drawn.note
    # A desk sees its merchants only.
    [scoped] = chart(engine, POLICY, frozenset({"M-2"}), now, "zh-CN")
    assert "M-1" not in str(scoped.svg) and "M-2 · alipay" in str(scoped.svg)


def test_an_empty_window_says_so_and_the_threshold_label_is_clear_of_the_bars(
    engine: Engine,
) -> None:
    [drawn] = chart(engine, POLICY, None, datetime.now(UTC), "en")
    svg = str(drawn.svg)
    assert "no payments in the window" in svg and not bar_values(svg)  # no bar at all
    full = str(bars(["a", "b"], {"rate": [100.0, 100.0]}, unit="%", thresholds=[(30.0, "alert")]))
    [label_x] = re.findall(r'<text x="([0-9.]+)"[^>]*class="threshold"', full)
    right_edges = [
        float(x) + float(w)
        for x, w in re.findall(r'<rect x="([0-9.]+)" y="[^"]+" width="([0-9.]+)"', full)
    ]
    assert float(label_x) > max(right_edges)


def test_a_quiet_evaluation_logs_at_debug_one_that_raises_at_info(engine: Engine) -> None:
    """The Schedule looks every few seconds under a quick policy: nothing changed is a
    debug line; an alert raised is an INFO line."""
    from structlog.testing import capture_logs

    from activities.payment_failures import PaymentFailureActivities
    from redress.notices.channels import RecordingChannel
    from redress.notices.renderer import get_renderer
    from redress.payments.channel import SimulatedPaymentChannel
    from redress.payments.failure_rates import AlertsInput

    acts = PaymentFailureActivities(
        engine, SimulatedPaymentChannel(engine), RecordingChannel(engine), get_renderer()
    )
    now = datetime.now(UTC).replace(microsecond=0)
    inp = AlertsInput(policy=rules_of(POLICY), at=now)

    def levels() -> list[str]:
        with capture_logs() as logs:
            acts.evaluate_alerts(inp)
        return [e["log_level"] for e in logs if e["event"] == "payment failure rates evaluated"]

    assert levels() == ["debug"]
    for n in range(RULES.min_failures):
        attempts.record(engine, "generic", pay(n, "M-3", "card", now), "failed", "timeout")
    assert levels() == ["info"]
    assert levels() == ["debug"]  # the same incident: nothing new
