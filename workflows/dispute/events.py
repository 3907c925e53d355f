"""A dispute's provider events: each applied once (by its event ID) and only if not older
than the newest applied (by the provider's own timestamp); money moved is recorded whatever
the order; a later event may change only what the provider's documented events change."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import Any, get_args

from temporalio import workflow

from workflows.dispute.state import (
    CLOSING,
    DATES_CHECKED,
    FACTS_FIXED,
    LIFECYCLE,
    ROUND_VERDICTS,
    Amount,
    DisputeEffect,
    DisputeState,
    facts_of,
    iso,
    representable,
)
from workflows.kernel import CaseFacts, CaseWorkflow

with workflow.unsafe.imports_passed_through():
    from redress.models.dispute import (
        AMOUNT_EVENTS,
        PHASE_RANK,
        CaseStatus,
        DisputeEvent,
        DisputePolicy,
        due_window,
    )
    from redress.models.evidence import Category, EvidenceItem, Packet, Provider


class DisputeEvents(CaseWorkflow):
    """The dispute's workflow as the provider's events move it (`DisputeWorkflow`
    inherits it)."""

    STATUSES = get_args(CaseStatus)
    _status: CaseStatus
    state: DisputeState
    _rules: DisputePolicy
    _first: DisputeEvent
    _provider: Provider
    _dispute_id: str
    _category: Category
    _records: list[EvidenceItem]
    _packet_memo: tuple[list[EvidenceItem], list[EvidenceItem], int, Packet] | None
    _by_reference: bool

    def _open(self) -> None:
        e = self._first
        self.event(
            "dispute_opened",
            e.provider,
            dispute_id=e.dispute_id,
            reason=e.reason,
            category=e.category,
            amount=str(e.amount) if e.amount is not None else None,
            currency=e.currency,
        )
        self._ask(DisputeEffect.RECORDS)
        self._apply(e)

    def _apply(self, e: DisputeEvent) -> None:
        if e.event_id in self.state.seen:
            return  # delivered again: applied once
        self.state.seen = [*self.state.seen, e.event_id][-500:]
        usable = self._usable_dates(e)
        if usable is None:
            return
        e = usable
        if e.merchant_id != self.facts.merchant_id and workflow.patched(FACTS_FIXED):
            # The merchant is the one the first event named: whatever a later event says
            # (another Connect account, or none and a fallback), the case stays on its desk.
            self._conflict(e, "merchant_id", e.merchant_id, self.facts.merchant_id)
        new = workflow.patched(LIFECYCLE)
        if e.funds:  # money moved: a fact whatever the order it arrives in
            amount, fee = e.funds_amount or Decimal(0), e.fee or Decimal(0)
            self.state.money[e.funds] = self.state.money.get(e.funds, Decimal(0)) + amount
            self.state.money["fees"] += fee
            if new:
                self._moved(e, amount, fee)
            else:
                self.event(f"funds_{e.funds}", e.provider, amount=str(amount), fee=str(fee))
        if self.state.latest is not None and e.occurred_at < self.state.latest:
            self.event(
                "stale_event",
                e.provider,
                event_type=e.type,
                occurred_at=e.occurred_at.isoformat(),
                newest=self.state.latest.isoformat(),
            )
            return
        self.state.latest = e.occurred_at
        if e.amount is not None and e.currency:
            moved = facts_of(e, self.facts)
            if moved != self.facts:
                if workflow.patched(FACTS_FIXED):
                    self._take_facts(e)
                else:
                    self._set_facts(moved)
        self.state.network = e.network or self.state.network
        if e.enhanced_eligibility is not None:  # Stripe: what enhanced evidence it may take
            self.state.eligibility = e.enhanced_eligibility
        if e.stage is None:
            if e.type == "DEFENSE_DUE_ALERT":
                self.event("provider_alert", e.provider, due_by=iso(e.due_by))
            if e.due_by:
                self._move_due(e.due_by, e)
            return
        self.state.raw_status = e.raw_status
        if new and e.defendable is not None:
            self.state.defendable = e.defendable
        if e.stage == "needs_response":
            self._needs_response(e, new)
        elif e.stage == "under_review" and new and self._advances(e):
            # The next stage is already under review (its needs_response came late or not
            # at all, e.g. an appeal submitted at the provider): its round, submitted.
            self._next_round(e, "submitted")
        elif e.stage == "under_review" and self._status == "needs_response":
            self._status = "submitted"
            self.event("under_review", e.provider, status=e.raw_status)
        elif e.stage in CLOSING and not self._earlier_round(e):
            self._verdict(CLOSING[e.stage], e)

    def _take_facts(self, e: DisputeEvent) -> None:
        """What a later (newest) event may change: the amount by the provider's documented
        events, what was missing; anything else it names differently is a conflict."""
        f = self.facts
        changes: dict[str, Any] = {"category": e.category}
        if e.charge and f.trade_no and e.charge != f.trade_no:
            self._conflict(e, "charge", e.charge, f.trade_no)
        elif e.charge and not f.trade_no:
            changes["trade_no"] = e.charge
        if not self.state.amount_known:
            changes.update(amount=e.amount, currency=e.currency)
            self.state.amount_known = True
        elif e.currency != f.currency:
            self._conflict(e, "currency", e.currency, f.currency)
        elif e.amount != f.amount:
            if e.type in AMOUNT_EVENTS.get(e.provider, frozenset()):
                changes["amount"] = e.amount
                self.event(
                    "amount_changed",
                    e.provider,
                    amount_from=str(f.amount),
                    amount_to=str(e.amount),
                    event_type=e.type,
                )
            else:
                self._conflict(e, "amount", str(e.amount), str(f.amount))
        self._set_facts(dataclasses.replace(f, **changes))

    def _conflict(self, e: DisputeEvent, field: str, named: Any, kept: Any) -> None:
        self.event(
            "fact_conflict",
            e.provider,
            field=field,
            named=named,
            kept=kept,
            event_type=e.type,
            event_id=e.event_id,
        )

    def _usable_dates(self, e: DisputeEvent) -> DisputeEvent | None:
        """The event with the dates the case can count on. The webhook refuses others;
        one already in a case's history (taken before that check) is recorded and left
        out, never an exception that would fail every workflow task of the case."""
        if not representable(e.occurred_at):
            if workflow.patched(DATES_CHECKED):
                self._date_ignored(e, "occurred_at", e.occurred_at)
                return None
            return e
        if e.due_by is None or self._due_usable(e.due_by, e.occurred_at):
            return e
        if not workflow.patched(DATES_CHECKED):
            return e
        self._date_ignored(e, "due_by", e.due_by)
        return e.model_copy(update={"due_by": None})

    def _due_usable(self, due_by: datetime, at: datetime) -> bool:
        if not representable(due_by):
            return False
        early, late = due_window(at, self._rules)
        if early is None or late is None or not early <= due_by <= late:
            return False
        try:  # the alarms the case counts back from it
            for span in [self._rules.safety_margin, *self._rules.reminders_before]:
                due_by - span
        except OverflowError:
            return False
        return True

    def _date_ignored(self, e: DisputeEvent, field: str, value: datetime) -> None:
        self.event(
            "provider_date_ignored",
            e.provider,
            field=field,
            value=value.isoformat(),
            event_type=e.type,
            event_id=e.event_id,
        )

    def _needs_response(self, e: DisputeEvent, new: bool = False) -> None:
        new_round = self._status == "closed" or (
            self._status == "submitted"
            and e.due_by is not None
            and self.state.due_by is not None
            and e.due_by > self.state.due_by
        )
        if new and not new_round:
            # A later stage (an appeal, a chargeback after an inquiry), or the materials of
            # a submitted request refused (Antom VALIDATE_FAIL): the next round too.
            again = self._status == "submitted" and e.raw_status == "VALIDATE_FAIL"
            new_round = self._advances(e) or again
        if new_round:
            # Pre-arbitration or a second chargeback: the same case, its next round.
            self._next_round(e, "needs_response", new)
        elif new and e.phase and self.state.phase is None:
            self.state.phase = e.phase
        if new and e.raw_status == "VALIDATE_FAIL":  # a person decides what to supply now
            self._escalate("validation_failed")
        if new and self._unanswerable(e):
            return
        if e.due_by:
            self._move_due(e.due_by, e)

    def _next_round(self, e: DisputeEvent, status: CaseStatus, new: bool = True) -> None:
        if new:
            if self.state.round in self.state.submitted:  # its packet went: a fresh one
                self.state.round_from = len(self.state.evidence)
            self.state.phase = e.phase or self.state.phase
            self.state.round_at = e.occurred_at
        self.state.round += 1
        self._status, self._outcome, self._closed_at = status, None, None
        self.state.reopen_until = None
        self.state.escalated = False
        self.event("new_round", e.provider, round=self.state.round, status=e.raw_status)
        self.notify("new_round", "merchant", f"round:{self.state.round}", round=self.state.round)
        self._ask(DisputeEffect.RECORDS)

    def _earlier_round(self, e: DisputeEvent) -> bool:
        """A verdict stamped at the instant the open round began is the round before's (it
        came after the round's first event, in the same second): recorded, not applied."""
        at = self.state.round_at
        if at is None or e.occurred_at != at or self._status == "closed":
            return False
        if not workflow.patched(ROUND_VERDICTS):
            return False
        self.event(
            "stale_event",
            e.provider,
            event_type=e.type,
            occurred_at=e.occurred_at.isoformat(),
            newest=at.isoformat(),
            round=self.state.round,
        )
        return True

    def _advances(self, e: DisputeEvent) -> bool:
        """The event is about a later response stage than the round's (an appeal after a
        chargeback; a chargeback after an inquiry or a retrieval request)."""
        now, then = e.phase, self.state.phase
        return now is not None and then is not None and PHASE_RANK[now] > PHASE_RANK[then]

    def _unanswerable(self, e: DisputeEvent) -> bool:
        """True when the provider allows no response (the case waits, no timers); a later
        event that gives a due time makes it answerable again."""
        if e.no_response and self._status != "closed":
            if self._status != "not_answerable":
                self._status = "not_answerable"
                self.state.due_by = None
                self.event(
                    "not_answerable",
                    e.provider,
                    status=e.raw_status,
                    reason="the provider allows no response to this dispute (no due time)",
                )
            return True
        if self._status == "not_answerable" and e.due_by:
            self._status = "needs_response"
        return False

    def _escalate(self, reason: str, **detail: Any) -> None:
        """What a person should decide: a supervisor's, now (timeline, notice, flag)."""
        self.state.escalated = True
        self.event("escalated", "system", reason=reason, round=self.state.round, **detail)
        self.notify("auto_action", "supervisor", f"auto:{self.state.round}", action="escalated")

    def _moved(self, e: DisputeEvent, amount: Decimal, fee: Decimal) -> None:
        """Money the provider moved, by its currency (the balance's may not be the case's)."""
        currency = e.funds_currency or e.currency or self.facts.currency
        assert e.funds is not None
        book = dict(self.state.moved.get(currency, {}))
        book[e.funds] = book.get(e.funds, Decimal(0)) + amount
        if fee:
            book["fees"] = book.get("fees", Decimal(0)) + fee
        self.state.moved = {**self.state.moved, currency: book}
        self.event(
            f"funds_{e.funds}",
            e.provider,
            amount=str(amount),
            fee=str(fee),
            currency=currency,
            event_type=e.type,
        )

    def _move_due(self, due_by: datetime, e: DisputeEvent) -> None:
        if due_by == self.state.due_by:
            return
        before, self.state.due_by = self.state.due_by, due_by
        if before is not None:
            self.event(
                "due_moved", e.provider, due_from=before.isoformat(), due_to=due_by.isoformat()
            )
        # Warnings whose moment passed before we knew this due time are not sent late.
        self._skip_passed(self._reminders())

    def _verdict(self, outcome: str, e: DisputeEvent) -> None:
        if self._status == "closed":
            if self._outcome != outcome:  # e.g. "lost" after the merchant accepted
                self.event("provider_outcome", e.provider, outcome=outcome, kept=self._outcome)
            return
        self._close(outcome, e.provider)
        self._after_close()
        self.notify("outcome", "merchant", f"outcome:{self.state.round}:{outcome}", outcome=outcome)

    def _after_close(self) -> None:
        self.state.escalated = False
        self.state.reopen_until = workflow.now() + self._rules.reopen_window

    def _set_facts(self, facts: CaseFacts) -> None:
        """The case's facts as a later event leaves them; the amount, currency and charge
        go on to a continued run with the state."""
        self.facts = facts
        self.state.facts = Amount(amount=facts.amount, currency=facts.currency)
        self.state.trade_no = facts.trade_no
