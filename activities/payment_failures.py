"""Activities of a payment failure (F4, F5): reconciliation through the payment channel,
and the failure-rate alerts with their notices to the merchant's operations contact.

One class with injected dependencies, like `CaseActivities`: the channel is a
`PaymentChannel` (the simulated one by default, `redress/payments/channel.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from temporalio import activity

from activities.notices import send_once
from redress.logs import get_logger
from redress.models import NoticeRequest, Recipient
from redress.models.payment_failure import ReconcileRequest, ReconcileResult
from redress.notices.channels import NoticeChannel
from redress.notices.renderer import NoticeRenderer
from redress.payments import attempts, failure_rates
from redress.payments.channel import ChannelUnavailable, PaymentChannel
from redress.payments.failure_rates import AlertChange, AlertsInput, AlertsResult

if TYPE_CHECKING:
    from redress.kinds import WorkerParts

log = get_logger()

TEMPLATES = {"raise": "alert", "clear": "alert_cleared"}  # templates/payment_failure/<locale>/


def for_worker(parts: WorkerParts) -> list[Callable[..., Any]]:
    """The payment failure's activities (its registry entry names this), through the given
    `payment_channel` or the simulated one (REDRESS_SIMULATED_CHANNEL)."""
    from redress.payments.channel import channel_from_env

    channel = parts.get("payment_channel", lambda: channel_from_env(parts.engine))
    acts = PaymentFailureActivities(parts.engine, channel, parts.channel, parts.renderer)
    return [acts.reconcile, acts.evaluate_alerts]


class PaymentFailureActivities:
    def __init__(
        self,
        engine: Engine,
        channel: PaymentChannel,
        notices: NoticeChannel,
        renderer: NoticeRenderer,
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.notices = notices
        self.renderer = renderer

    @activity.defn(name="reconcile_payment")
    def reconcile(self, request: ReconcileRequest) -> ReconcileResult:
        """The failure in the attempts ledger first (so a capture reported meanwhile finds
        its case), then the channel's answer; a channel that cannot say is `unknown`."""
        p = request.payment
        attempts.record(
            self.engine, request.source, p, "failed", cause=request.cause, case_id=request.case_id
        )
        try:
            answer = self.channel.query(request.source, p.channel, p.id)
        except ChannelUnavailable as err:
            log.info("payment channel did not answer", case_id=request.case_id, channel=p.channel)
            return ReconcileResult(state="unknown", reason=str(err)[:500])
        log.info(
            "payment reconciled", case_id=request.case_id, channel=p.channel, state=answer.state
        )
        return ReconcileResult(state=answer.state, captured_at=answer.captured_at)

    @activity.defn(name="evaluate_payment_failure_alerts")
    def evaluate_alerts(self, inp: AlertsInput) -> AlertsResult:
        now = inp.at or datetime.now(UTC)
        changes = failure_rates.evaluate(self.engine, inp.policy.alert, now)
        sent = 0
        for change in failure_rates.pending_notices(self.engine):
            self.send(change, inp)
            failure_rates.mark_noticed(self.engine, change, datetime.now(UTC))
            sent += 1
        purged = attempts.purge_before(self.engine, now - timedelta(seconds=inp.keep_for_seconds))
        raised = sum(c.action == "raise" for c in changes)
        cleared = sum(c.action == "clear" for c in changes)
        # Every few seconds under a quick policy: worth an INFO line only when it changed
        # something (an alert raised or cleared, a notice sent, attempts purged).
        told = log.info if raised or cleared or sent or purged else log.debug
        told(
            "payment failure rates evaluated",
            raised=raised,
            cleared=cleared,
            notices=sent,
            purged=purged,
        )
        return AlertsResult(raised=raised, cleared=cleared, notices=sent)

    def send(self, change: AlertChange, inp: AlertsInput) -> None:
        plan = inp.policy.emergency
        request = NoticeRequest(
            idempotency_key=change.idempotency_key,
            case_id=f"payment-failures:{change.merchant_id}"[:160],
            template=TEMPLATES[change.action],
            locale=inp.policy.alert.locale,
            recipient=Recipient(
                kind="merchant", channel="ops", address=plan.ops_address(change.merchant_id)
            ),
            context=_context(change, inp),
            kind="payment_failure",
        )
        _, delivered = send_once(self.notices, self.renderer, request)
        if not delivered:
            return
        log.info(
            "payment failure alert notice delivered",
            merchant_id=change.merchant_id,
            channel=change.channel,
            action=change.action,
        )


def _context(change: AlertChange, inp: AlertsInput) -> dict[str, Any]:
    plan = inp.policy.emergency
    rules = inp.policy.alert
    return {
        "merchant_id": change.merchant_id,
        "channel": change.channel,
        "opened_at": change.opened_at.isoformat(),
        "cleared_at": change.cleared_at.isoformat() if change.cleared_at else None,
        "rate": failure_rates.percent(change.rate),
        "threshold": failure_rates.percent(rules.rate),
        "failures": change.failures,
        "attempts": change.attempts,
        "min_failures": rules.min_failures,
        "window": failure_rates.span(rules.window),
        "top_causes": change.top_causes,
        "backup_channel": plan.backup_channels.get(change.channel),
        "contacts": list(plan.contacts),
        "steps": list(plan.steps),
    }
