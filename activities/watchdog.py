"""The deadline watchdog's activity: find stalled cases, raise and clear their alerts
(`redress.watchdog.evaluate`), log each change, and tell the supervisors' desks.

The alerts and the cases' marks are written before any notice goes; the notices go out from
the alerts' outbox, each keyed by alert, direction and desk, so a retried or crashed attempt
neither loses nor repeats one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from temporalio import activity

from activities.notices import send_once
from redress import watchdog
from redress.logs import get_logger
from redress.models import NoticeRequest, Recipient
from redress.notices.channels import NoticeChannel
from redress.notices.renderer import NoticeRenderer
from redress.policy import WatchdogPolicy, format_duration
from redress.watchdog import StallChange, WatchdogInput, WatchdogResult

log = get_logger()

TEMPLATES = {"raise": "stalled", "clear": "moved"}  # templates/watchdog/<locale>/<name>.txt.j2


def notice_context(change: StallChange, policy: WatchdogPolicy) -> dict[str, Any]:
    return {
        "case_id": change.case_id,
        "kind": change.kind,
        "merchant_id": change.merchant_id,
        "status": change.status,
        "deadline": change.deadline,
        "deadline_name": change.deadline_name or "-",
        "stalled_since": change.stalled_since,
        "overdue": format_duration(change.at - change.deadline),
        "grace": format_duration(policy.grace),
        "because": change.because or "",
    }


class WatchdogActivities:
    def __init__(self, engine: Engine, channel: NoticeChannel, renderer: NoticeRenderer) -> None:
        self.engine = engine
        self.channel = channel
        self.renderer = renderer

    @activity.defn(name="sweep_deadlines")
    def sweep(self, inp: WatchdogInput) -> WatchdogResult:
        policy = inp.policy
        changes = watchdog.evaluate(self.engine, policy, datetime.now(UTC))
        for change in changes:
            fields = dict(
                case_id=change.case_id,
                kind=change.kind,
                merchant_id=change.merchant_id,
                status=change.status,
                deadline=change.deadline.isoformat(),
                deadline_name=change.deadline_name,
                alert_id=change.alert_id,
            )
            if change.action == "raise":
                log.warning("case stalled: its deadline passed and nothing moved it", **fields)
            else:
                log.info("stalled case moved: alert cleared", because=change.because, **fields)
        sent = 0
        # Two notices per alert at most: the outbox drains at the pace alerts are raised.
        for change in watchdog.pending_notices(self.engine, limit=2 * policy.max_per_sweep):
            for address in policy.notify:
                self.send(change, address, policy)
                sent += 1
            watchdog.mark_noticed(self.engine, change, datetime.now(UTC))
        raised = sum(c.action == "raise" for c in changes)
        cleared = sum(c.action == "clear" for c in changes)
        still = watchdog.open_alerts(self.engine)
        # A sweep runs every few seconds under the fast policy: a quiet one is a debug line.
        (log.info if raised or cleared or sent else log.debug)(
            "deadline watchdog swept", raised=raised, cleared=cleared, notices=sent, open=still
        )
        return WatchdogResult(raised=raised, cleared=cleared, notices=sent, open=still)

    def send(self, change: StallChange, address: str, policy: WatchdogPolicy) -> None:
        request = NoticeRequest(
            idempotency_key=change.idempotency_key(address),
            case_id=change.case_id,
            template=TEMPLATES[change.action],
            locale=policy.locale,
            recipient=Recipient(kind="desk", channel="desk", address=address),
            context=notice_context(change, policy),
            kind="watchdog",
        )
        _, delivered = send_once(self.channel, self.renderer, request)
        if not delivered:
            return
