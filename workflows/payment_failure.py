"""PaymentFailureWorkflow: one failed payment, rules F1–F6 (seeds/002, seeds/001).

```
 payment.failed ──► reconciling: the cause from the return code (F1), the user told at once
                     │             with the next step and the remedies (F2, F3); the channel
                     │             asked whether it took the money (F4)
                     ├ captured ──► refund at once, exactly once ──► closed (refunded), user told
                     ├ not captured ──► awaiting_retry ──retry_window──► closed (abandoned)
                     └ cannot say ──► asked again with backoff ──reconcile_within──► escalated
                                       (the desk records the result: record_reconciliation)
 a payment of the same order succeeded (any open status) ──► closed (recovered)
 the channel reports a capture (before or after the failure, even after closing, within
 late_capture_window) ──► refunded once; a repeated capture changes nothing
```

Every wait is the policy's `[payment_failure]`; the clocks count from the case's arrival.
The case never holds a card number: the intake kept its last four digits (F6). Its state is
one model (`PaymentFailureState`, every list in it bounded), carried whole to a continued
run; the desk's actions and the channel's later events are methods of the workflow.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, get_args

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.alarms import Alarm, unknown
from workflows.kernel import RETRY, CaseFacts, CaseWorkflow, Rule, human
from workflows.payment_failure_state import (
    MAX_SEEN,
    FailureAlarm,
    FailureEffect,
    PaymentFailureState,
)

with workflow.unsafe.imports_passed_through():
    from activities.payment_failures import PaymentFailureActivities
    from redress import search_attributes as sa
    from redress.models.case import CaseAction, CaseResult
    from redress.models.effects import Addressee, Recipient
    from redress.models.payment_failure import (
        ACTIONS,
        KIND,
        ROLE_ACTIONS,
        CaseStatus,
        PaymentFailureCaseInput,
        ReconcileRequest,
        ReconcileResult,
        rules_of,
    )
    from redress.refusals import refuse

OPEN: tuple[CaseStatus, ...] = ("reconciling", "awaiting_retry", "escalated")


@workflow.defn
class PaymentFailureWorkflow(CaseWorkflow):
    KIND = KIND
    STATUSES = get_args(CaseStatus)
    ACTION_TYPES = ACTIONS
    ROLES = ROLE_ACTIONS
    CLOSED_NOTE = "a capture reported within the late-capture window is still refunded"
    _status: CaseStatus
    state: PaymentFailureState

    @workflow.init
    def __init__(self, inp: PaymentFailureCaseInput) -> None:
        p = inp.payment
        self._rules = rules = rules_of(inp.policy)
        self._payment = p
        self._cause, self._rule, self._known_code = rules.classify(p.channel, p.return_code)
        super().__init__(
            inp,
            CaseFacts(
                merchant_id=p.merchant_id,
                amount=p.amount,
                currency=p.currency,
                created_at=p.occurred_at,
                user=p.user,
                trade_no=p.id,  # what a refund gives back: this payment
                category=self._cause,
            ),
            status="reconciling",
        )
        self._start = inp.received_at
        self.state = PaymentFailureState()

    @workflow.run
    async def run(self, inp: PaymentFailureCaseInput) -> CaseResult:
        return await self._serve()

    # --- F1–F3: the cause, and the user told at once --------------------------------------

    def _open(self) -> None:
        p = self._payment
        self.event(
            "payment_failed",
            p.channel,
            payment_id=p.id,
            order_no=p.order_no,
            return_code=p.return_code,
            cause=self._cause,
            amount=str(p.amount),
            currency=p.currency,
        )
        if not self._known_code:
            # Counted per channel in the failure figures (`unknown_codes`) for the catalogue.
            self.event("unknown_return_code", "system", channel=p.channel, code=p.return_code)
        self.notify(self._cause, "user", "cause", **self._advice())
        self._ask(FailureEffect.RECONCILE)

    def _advice(self) -> dict[str, Any]:
        p, rule = self._payment, self._rule
        return {
            "cause": self._cause,
            "order_no": p.order_no,
            "channel": p.channel,
            "return_code": p.return_code,
            "next_step": rule.next_step,
            "retry_safe": rule.retry_safe,
            "retry_after": human(rule.retry_after) if rule.retry_after else "",
            "needs_verification": rule.needs_verification,
            "remedies": list(rule.remedies),
            "backup_channel": self._rules.emergency.backup_channels.get(p.channel),
            "card_last4": p.card.last4 if p.card else None,
        }

    def _recipient(self, to: Addressee) -> Recipient:
        # The desk that reconciles and refunds is the merchant's.
        return super()._recipient("merchant" if to == "desk" else to)

    # --- F4: reconciliation -----------------------------------------------------------------

    async def _effect(self, effect: StrEnum) -> None:
        match effect:
            case FailureEffect.RECONCILE:
                if self._status == "reconciling" and not self.state.taken:
                    await self._reconcile()
            case _:
                await super()._effect(effect)

    async def _reconcile(self) -> None:
        result: ReconcileResult = await workflow.execute_activity_method(
            PaymentFailureActivities.reconcile,
            ReconcileRequest(
                case_id=self._in.case_id,
                source=self._in.source,
                payment=self._payment,
                cause=self._cause,
            ),
            start_to_close_timeout=self.ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        state = self.state
        state.checks += 1
        state.checked_at = workflow.now()
        state.next_check = None
        if state.taken or self._status != "reconciling":
            return  # a capture or the desk got there while the channel was asked
        if result.state == "captured":
            await self._captured("channel")
        elif result.state == "not_captured":
            state.channel_state = "not_captured"
            self._status = "awaiting_retry"
            self.event("reconciled", "channel", channel_state="not_captured")
        else:
            self.event("channel_unknown", "system", attempt=state.checks, reason=result.reason)
            at = workflow.now() + self._backoff()
            state.next_check = at if at < self._reconcile_by() else None

    def _backoff(self) -> timedelta:
        first, cap = self._rules.reconcile_first_retry, self._rules.reconcile_max_interval
        return min(first * (2 ** min(self.state.checks - 1, 20)), max(cap, first))

    def _reconcile_by(self) -> datetime:
        return self._start + self._rules.reconcile_within

    def _retry_by(self) -> datetime:
        return self._start + self._rules.retry_window

    async def _captured(self, actor: str, event_id: str | None = None) -> None:
        """The money was taken while the order failed: refund it at once, once."""
        state = self.state
        if state.taken:
            self.event("capture_repeated", actor, event_id=event_id)
            return
        state.taken, state.channel_state = True, "captured"
        state.next_check = None
        self.event("captured", actor, event_id=event_id)
        await self._give_back(self.facts.amount - self._refunded, actor)

    async def _give_back(self, amount: Decimal, actor: str) -> bool:
        """Refund through the gateway (idempotency keys: `_refund`); a decline or a
        gateway that does not confirm in time escalates to the desk."""
        if amount <= 0:
            return False
        try:
            receipt = await self._refund(amount)
        except ApplicationError as err:
            self.event("refund_failed", "system", amount=str(amount), reason=err.message)
            self._escalate("refund_failed")
            return False
        self.event("refunded", actor, amount=str(receipt.amount), refund_id=receipt.refund_id)
        if self._refunded >= self.facts.amount:
            self._refunded_in_full(actor)
        return True

    def _refunded_in_full(self, actor: str) -> None:
        """All that was taken is back: closed, the user told. The case still takes the
        channel's late events for a while (a repeated capture is recorded, nothing more)."""
        self._finish("refunded", actor)
        self.notify("refunded", "user", "refunded", **self._advice(), refunded=str(self._refunded))

    def _escalate(self, reason: str) -> None:
        if self._status == "escalated":
            return
        self._status = "escalated"
        self.state.next_check = None
        self.event("escalated", "system", reason=reason)
        self.notify("escalation", "desk", f"escalation:{reason}", reason=reason, **self._advice())

    def _recovered(self, payment_id: str, event_id: str) -> None:
        self.event("payment_succeeded", "channel", payment_id=payment_id, event_id=event_id)
        if self._status in OPEN:
            self._finish("recovered", "channel")

    def _finish(self, outcome: str, actor: str) -> None:
        self._close(outcome, actor)
        self.state.next_check = None
        # A capture reported later is still given back.
        self.state.late_until = workflow.now() + self._rules.late_capture_window

    # --- deadlines ----------------------------------------------------------------------------

    def _case_deadlines(self) -> list[Alarm]:
        if self._status == "reconciling":
            return [Alarm(FailureAlarm.RECONCILE_BY, self._reconcile_by())]
        if self._status == "awaiting_retry":
            return [Alarm(FailureAlarm.RETRY_BY, self._retry_by())]
        return []

    def _reminders(self) -> list[Alarm]:
        state = self.state
        if self._status == "reconciling" and state.next_check is not None:
            return [Alarm(FailureAlarm.CHECK, state.next_check, str(state.checks))]
        if self._status == "closed" and state.late_until is not None:
            return [Alarm(FailureAlarm.LATE_CAPTURE, state.late_until)]
        return []

    def _on_alarm(self, alarm: Alarm) -> None:
        match alarm.name:
            case FailureAlarm.LATE_CAPTURE:
                self.state.late_until = None
            case FailureAlarm.CHECK:
                if self._status == "reconciling":
                    self._ask(FailureEffect.RECONCILE)
            case FailureAlarm.RECONCILE_BY:
                if self._status == "reconciling":
                    self._escalate("channel_unknown")
            case FailureAlarm.RETRY_BY:
                if self._status == "awaiting_retry":
                    self._finish("abandoned", "system")
            case _:
                unknown(alarm, "a payment failure")

    def _finished(self) -> bool:
        return self._status == "closed" and self.state.late_until is None

    # --- the case as shown --------------------------------------------------------------------

    def _search_attributes(self) -> list[tuple[Any, Any]]:
        return [*super()._search_attributes(), (sa.ESCALATED, self._status == "escalated")]

    def _details(self) -> dict[str, Any]:
        p, rule, state = self._payment, self._rule, self.state
        return {
            "cause": self._cause,
            "return_code": p.return_code,
            "known_code": self._known_code,
            "channel": p.channel,
            "payment_id": p.id,
            "order_no": p.order_no,
            "next_step": rule.next_step,
            "retry_safe": rule.retry_safe,
            "retry_after": int(rule.retry_after.total_seconds()),
            "needs_verification": rule.needs_verification,
            "remedies": list(rule.remedies),
            "reconciliation": {
                "channel_state": state.channel_state,
                "checked_at": state.checked_at.isoformat() if state.checked_at else None,
                "attempts": state.checks,
            },
            "card_last4": p.card.last4 if p.card else None,
            "refunded": str(self._refunded),
        }

    def _history_limit(self) -> int | None:
        return self._rules.history_limit

    def _refund_timeout(self) -> timedelta | None:
        return self._rules.refund_timeout

    # --- the desk ---------------------------------------------------------------------------

    async def _record_reconciliation(self, cmd: CaseAction, a: Any) -> None:
        """The channel could not say; the desk found out (F4)."""
        state = self.state
        self.event("reconciliation_recorded", cmd.actor, channel_state=a.channel_state, note=a.note)
        state.checked_at = workflow.now()
        if a.channel_state == "captured":
            await self._captured(cmd.actor)
            return
        if state.taken:
            return  # the money was taken and is being given back: nothing to wait for
        state.channel_state = "not_captured"
        state.next_check = None
        self._status = "awaiting_retry"  # the user may still pay, until retry_by

    def _check_refund(self, cmd: CaseAction, a: Any) -> None:
        f = self.facts
        if not self.state.taken:
            raise refuse(
                "Conflict",
                "nothing was taken for this payment (as far as the channel or the desk said): "
                "record_reconciliation with channel_state captured first",
            )
        left = f.amount - self._refunded
        if a.amount > left:
            raise refuse(
                "Invalid",
                f"refund of {a.amount} {f.currency} exceeds what was taken and not given back "
                f"({left} {f.currency})",
            )

    async def _do_refund(self, cmd: CaseAction, a: Any) -> None:
        receipt = await self._refund(a.amount)  # a refusal: the reviewer sees why, nothing moved
        self.event(
            "refunded",
            cmd.actor,
            amount=str(receipt.amount),
            refund_id=receipt.refund_id,
            note=a.note,
        )
        if self._refunded >= self.facts.amount:
            self._refunded_in_full(cmd.actor)

    def _close_by_desk(self, cmd: CaseAction, a: Any) -> None:
        self.event("closed_by_desk", cmd.actor, reason=a.reason)
        self._finish("resolved", cmd.actor)

    def _check_note(self, cmd: CaseAction, a: Any) -> None:
        if self.state.notes >= self._rules.max_notes:
            raise refuse(
                "Conflict",
                f"case {self._in.case_id} holds {self._rules.max_notes} notes already "
                "(payment_failure.max_notes)",
            )

    def _note(self, cmd: CaseAction, a: Any) -> None:
        self.state.notes += 1
        self.event("note", cmd.actor, text=a.text)

    # --- the channel's later events (role `user`, through the intake) ------------------------

    def _first_time(self, event_id: str) -> bool:
        state = self.state
        if event_id in state.seen:
            return False
        state.seen = [*state.seen, event_id][-MAX_SEEN:]
        return True

    async def _on_captured(self, cmd: CaseAction, a: Any) -> None:
        """Before the failure, after it, after the case closed: the same end, one refund."""
        if self._first_time(a.event_id):
            await self._captured("channel", event_id=a.event_id)

    def _on_succeeded(self, cmd: CaseAction, a: Any) -> None:
        if self._first_time(a.event_id):
            self._recovered(a.payment_id, a.event_id)

    ACTIONS = {
        "record_reconciliation": Rule(_record_reconciliation, OPEN),
        "refund": Rule(_do_refund, OPEN, _check_refund),
        "close": Rule(_close_by_desk, OPEN),
        "note": Rule(_note, None, _check_note),
        "captured": Rule(_on_captured, None),
        "succeeded": Rule(_on_succeeded, None),
    }
