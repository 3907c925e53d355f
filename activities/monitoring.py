"""The monitoring activity (C5): recompute every merchant's programme statuses, write the
alerts that changed, and tell the merchant desks.

One class with injected dependencies, like `CaseActivities`. The alerts and their timeline
entries are written in one transaction (`monitoring.evaluate`); the notices go out from the
alerts' outbox (`monitoring.pending_notices`), each keyed, so a retried or crashed attempt
neither loses nor repeats one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy.engine import Engine
from temporalio import activity

from activities.notices import send_once
from redress import monitoring
from redress.logs import get_logger
from redress.models import NoticeRequest, Recipient
from redress.monitoring import AlertChange, MonitoringInput, MonitoringResult
from redress.notices.channels import NoticeChannel
from redress.notices.renderer import DEFAULT_LOCALE, NoticeRenderer

log = get_logger()

TEMPLATES = {"raise": "alert", "clear": "clear"}  # templates/monitoring/<locale>/<name>.txt.j2


def _percent(value: Any) -> str:
    """'0.0152' → '1.52 %' (truncated, so a ratio under a threshold never reads as on it)."""
    if value is None:
        return "–"
    pct = (Decimal(str(value)) * 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return f"{pct} %"


def notice_context(change: AlertChange) -> dict[str, Any]:
    figures = change.figures
    threshold = figures.get("threshold") or {}
    warning = figures.get("warning") or {}
    at = threshold if change.level == "excessive" else warning
    count_at = at.get("count_above") or at.get("min_count")
    return {
        "merchant_id": change.merchant_id,
        "programme": change.programme,
        "programme_name": monitoring.PROGRAMME_NAMES[change.programme],
        "month": change.month,
        "level": change.level,
        "previous": change.previous or "",
        "count": figures.get("count", 0),
        "denominator": figures.get("denominator", 0),
        "ratio": _percent(figures.get("ratio")),
        "threshold_ratio": _percent(at.get("ratio")),
        "threshold_count": count_at if count_at is not None else "–",
        "count_strictly_above": "count_above" in at and at.get("count_above") is not None,
        "status": figures.get("status", "ok"),
    }


class MonitoringActivities:
    def __init__(self, engine: Engine, channel: NoticeChannel, renderer: NoticeRenderer) -> None:
        self.engine = engine
        self.channel = channel
        self.renderer = renderer

    @activity.defn(name="recompute_monitoring")
    def recompute(self, inp: MonitoringInput) -> MonitoringResult:
        now = datetime.now(UTC)
        month = inp.month or monitoring.month_of(now)
        changes = monitoring.evaluate(self.engine, inp.policy, month, now)
        sent = 0
        for change in monitoring.pending_notices(self.engine):
            self.send(change)
            monitoring.mark_noticed(self.engine, change, datetime.now(UTC))
            sent += 1
        raised = sum(c.action == "raise" for c in changes)
        cleared = sum(c.action == "clear" and c.notice for c in changes)
        log.info("monitoring recomputed", month=month, raised=raised, cleared=cleared, notices=sent)
        return MonitoringResult(month=month, raised=raised, cleared=cleared, notices=sent)

    def send(self, change: AlertChange) -> None:
        request = NoticeRequest(
            idempotency_key=change.idempotency_key,
            case_id=f"monitoring:{change.merchant_id}",
            template=TEMPLATES[change.action],
            locale=DEFAULT_LOCALE,  # type: ignore[arg-type]
            recipient=Recipient(kind="merchant", channel="desk", address=change.merchant_id),
            context=notice_context(change),
            kind="monitoring",
        )
        _, delivered = send_once(self.channel, self.renderer, request)
        if not delivered:
            return
        log.info(
            "monitoring notice delivered",
            merchant_id=change.merchant_id,
            programme=change.programme,
            level=change.level,
            action=change.action,
        )
