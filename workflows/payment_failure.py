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
The case never holds a card number: the intake kept its last four digits (F6).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows.kernel import RETRY, CaseFacts, CaseWorkflow, human
from workflows.payment_failure_actions import ACTIONS as ACTION_RULES

with workflow.unsafe.imports_passed_through():
    from activities.payment_failures import PaymentFailureActivities
    from redress import search_attributes as sa
    from redress.models.case import CaseResult
    from redress.models.payment_failure import (
        ACTIONS,
        KIND,
        ROLE_ACTIONS,
        PaymentFailureCaseInput,
        ReconcileRequest,
        ReconcileResult,
    )

OPEN = ("reconciling", "awaiting_retry", "escalated")
MAX_SEEN = 50  # the channel's event IDs a case remembers


@workflow.defn
class PaymentFailureWorkflow(CaseWorkflow):
    KIND = KIND
    ACTION_TYPES = ACTIONS
    ROLES = ROLE_ACTIONS
    CLOSED_NOTE = "a capture reported within the late-capture window is still refunded"
    ACTIONS = ACTION_RULES

    @workflow.init
    def __init__(self, inp: PaymentFailureCaseInput) -> None:
        p = inp.payment
        rules = inp.policy.payment_failure
        assert rules is not None, "the policy has no [payment_failure] section"
        self._rules = rules
        self._payment = p
        self._cause, rule, self._known_code = rules.classify(p.channel, p.return_code)
        self._rule = rule
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
        self._channel_state = "unknown"
        self._checked_at: datetime | None = None
        self._checks = 0
        self._next_check: datetime | None = None
        self._taken = False  # the channel took the money (it said so, or the desk did)
        self._late_until: datetime | None = None
        self._seen: list[str] = []  # the channel's event IDs applied
        self._notes = 0

    @workflow.run
    async def run(self, inp: PaymentFailureCaseInput) -> CaseResult:
        return await self._serve()

    # --- F1–F3: the cause, and the user told at once --------------------------------------

    def _open(self) -> None:
        p = self._payment
        self._event(
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
            self._event("unknown_return_code", "system", channel=p.channel, code=p.return_code)
        self._notify(self._cause, "user", "cause", **self._advice())
        self._ask("reconcile")

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

    # --- F4: reconciliation -----------------------------------------------------------------

    async def _effect(self, what: str) -> None:
        if what == "reconcile" and self._status == "reconciling" and not self._taken:
            await self._reconcile()

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
        self._checks += 1
        self._checked_at = workflow.now()
        self._next_check = None
        if self._taken or self._status != "reconciling":
            return  # a capture or the desk got there while the channel was asked
        if result.state == "captured":
            await self._captured("channel")
        elif result.state == "not_captured":
            self._channel_state = "not_captured"
            self._status = "awaiting_retry"
            self._event("reconciled", "channel", channel_state="not_captured")
        else:
            self._event("channel_unknown", "system", attempt=self._checks, reason=result.reason)
            at = workflow.now() + self._backoff()
            self._next_check = at if at < self._reconcile_by() else None

    def _backoff(self) -> timedelta:
        first, cap = self._rules.reconcile_first_retry, self._rules.reconcile_max_interval
        return min(first * (2 ** min(self._checks - 1, 20)), max(cap, first))

    def _reconcile_by(self) -> datetime:
        return self._start + self._rules.reconcile_within

    def _retry_by(self) -> datetime:
        return self._start + self._rules.retry_window

    async def _captured(self, actor: str, event_id: str | None = None) -> None:
        """The money was taken while the order failed: refund it at once, once."""
        if self._taken:
            self._event("capture_repeated", actor, event_id=event_id)
            return
        self._taken, self._channel_state = True, "captured"
        self._next_check = None
        self._event("captured", actor, event_id=event_id)
        await self._give_back(self.facts.amount - self._refunded, actor)

    async def _give_back(self, amount: Decimal, actor: str) -> bool:
        """Refund through the gateway (idempotency keys: `_refund`); a decline or a
        gateway that does not confirm in time escalates to the desk."""
        if amount <= 0:
            return False
        try:
            receipt = await self._refund(amount)
        except ApplicationError as err:
            self._event("refund_failed", "system", amount=str(amount), reason=err.message)
            self._escalate("refund_failed")
            return False
        self._event("refunded", actor, amount=str(receipt.amount), refund_id=receipt.refund_id)
        if self._refunded >= self.facts.amount:
            self.refunded_in_full(actor)
        return True

    def refunded_in_full(self, actor: str) -> None:
        """All that was taken is back: closed, the user told. The case still takes the
        channel's late events for a while (a repeated capture is recorded, nothing more)."""
        self._finish("refunded", actor)
        self._notify("refunded", "user", "refunded", **self._advice(), refunded=str(self._refunded))

    def _escalate(self, reason: str) -> None:
        if self._status == "escalated":
            return
        self._status = "escalated"
        self._next_check = None
        self._event("escalated", "system", reason=reason)
        self._notify("escalation", "desk", f"escalation:{reason}", reason=reason, **self._advice())

    def _recovered(self, payment_id: str, event_id: str) -> None:
        self._event("payment_succeeded", "channel", payment_id=payment_id, event_id=event_id)
        if self._status in OPEN:
            self._finish("recovered", "channel")

    def _finish(self, outcome: str, actor: str) -> None:
        self._close(outcome, actor)
        self._next_check = None
        # A capture reported later is still given back.
        self._late_until = workflow.now() + self._rules.late_capture_window

    # --- deadlines ----------------------------------------------------------------------------

    def _case_deadlines(self) -> dict[str, datetime]:
        if self._status == "reconciling":
            return {"reconcile_by": self._reconcile_by()}
        if self._status == "awaiting_retry":
            return {"retry_by": self._retry_by()}
        return {}

    def _reminders(self) -> list[tuple[datetime, str]]:
        if self._status == "reconciling" and self._next_check is not None:
            return [(self._next_check, f"check:{self._checks}")]
        if self._status == "closed" and self._late_until is not None:
            return [(self._late_until, "late_capture_window")]
        return []

    def _on_alarm(self, name: str, at: datetime) -> None:
        if name == "late_capture_window":
            self._late_until = None
        elif name.startswith("check:") and self._status == "reconciling":
            self._ask("reconcile")
        elif name == "reconcile_by" and self._status == "reconciling":
            self._escalate("channel_unknown")
        elif name == "retry_by" and self._status == "awaiting_retry":
            self._finish("abandoned", "system")

    def _finished(self) -> bool:
        return self._status == "closed" and self._late_until is None

    # --- the case as shown --------------------------------------------------------------------

    def _search_attributes(self) -> list[tuple[Any, Any]]:
        return [*super()._search_attributes(), (sa.ESCALATED, self._status == "escalated")]

    def _details(self) -> dict[str, Any]:
        p, rule = self._payment, self._rule
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
                "channel_state": self._channel_state,
                "checked_at": self._checked_at.isoformat() if self._checked_at else None,
                "attempts": self._checks,
            },
            "card_last4": p.card.last4 if p.card else None,
            "refunded": str(self._refunded),
        }

    def _history_limit(self) -> int | None:
        return self._rules.history_limit

    def _refund_timeout(self) -> timedelta | None:
        return self._rules.refund_timeout

    def _kind_state(self) -> dict[str, Any]:
        return {
            "channel_state": self._channel_state,
            "checked_at": _iso(self._checked_at),
            "checks": self._checks,
            "next_check": _iso(self._next_check),
            "taken": self._taken,
            "late_until": _iso(self._late_until),
            "seen": self._seen,
            "notes": self._notes,
        }

    def _restore_kind(self, state: dict[str, Any]) -> None:
        self._channel_state = state["channel_state"]
        self._checked_at = _dt(state["checked_at"])
        self._checks = state["checks"]
        self._next_check = _dt(state["next_check"])
        self._taken = state["taken"]
        self._late_until = _dt(state["late_until"])
        self._seen = list(state["seen"])
        self._notes = state["notes"]


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
