"""DisputeWorkflow: one provider dispute (a chargeback, an inquiry), rules C1–C6 and SPEC §2.

```
 any first event ──► needs_response ──submit_defense──► submitted ──won / lost──► closed
                       │  │ accept_dispute ──► closed (accepted)      (provider's verdict)
                       │  └ withdrawn by the cardholder ──► closed (withdrawn)
                       │ nobody acted by due_by − safety_margin (the policy acts, actor system),
                       │   on an inquiry or chargeback the provider says is defendable: below
                       │   auto_accept_below accept; otherwise submit the packet as it stands
                       │   and escalate; an appeal, a retrieval request, a dispute not
                       │   defendable or an empty packet: escalate to a supervisor only
                       │ due_by passed with no response ──► closed (expired)
 closed ──a needs_response event (pre-arbitration, a second chargeback)──► needs_response,
          round + 1, its own due time; so does a later stage (an appeal, a chargeback after
          an inquiry, Antom's materials refused) in any status, whatever the order
 the provider allows no answer (Stripe due_by 0) ──► not_answerable: no timers, its verdict
          closes it
```

The deadline is the provider's instant (`respond_by` = `due_by`, to the second). Provider
events arrive out of order and more than once: each is applied once (by its event ID), and
only if it is not older than the newest applied (by the provider's own timestamp); money
moved (funds withdrawn or reinstated, fees) is recorded whatever the order. A closed case
waits `reopen_window` for a new round before its workflow ends.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from temporalio import workflow

from workflows.alarms import Alarm, unknown
from workflows.dispute.actions import DisputeActions
from workflows.dispute.state import (
    LIFECYCLE,
    Amount,
    DisputeAlarm,
    DisputeEffect,
    DisputeState,
    facts_of,
    iso,
    representable,
)
from workflows.kernel import human

with workflow.unsafe.imports_passed_through():
    from redress import search_attributes as sa
    from redress.models.case import CaseResult
    from redress.models.dispute import (
        ACTIONS,
        AUTO_PHASES,
        KIND,
        ROLE_ACTIONS,
        DisputeCaseInput,
        rules_of,
    )
    from redress.models.effects import Addressee, Recipient
    from redress.models.evidence import EvidenceItem, Packet


@workflow.defn
class DisputeWorkflow(DisputeActions):
    KIND = KIND
    ACTION_TYPES = ACTIONS
    ROLES = ROLE_ACTIONS
    CLOSED_NOTE = "a new round opens with the provider's next needs_response event"
    STATUS_NOTES = {"not_answerable": "the provider allows no response to this dispute"}

    @workflow.init
    def __init__(self, inp: DisputeCaseInput) -> None:
        e = inp.first
        facts = facts_of(e)
        if not representable(e.occurred_at):  # shown as opened when it reached us
            facts = dataclasses.replace(facts, created_at=inp.received_at)
        super().__init__(inp, facts, status="needs_response")
        self._rules = rules_of(inp.policy)
        self._first = e
        self._provider, self._dispute_id = e.provider, e.dispute_id
        self._category = e.category
        self.state = DisputeState(
            network=e.network,
            facts=Amount(amount=facts.amount, currency=facts.currency),
            trade_no=facts.trade_no,
            # The first event may carry no amount (an alert): the first that does sets it.
            amount_known=e.amount is not None and bool(e.currency),
        )
        self._records: list[EvidenceItem] = []  # from the transaction's stored records
        self._packet_memo: tuple[list[EvidenceItem], list[EvidenceItem], int, Packet] | None = None
        # Rules 2: evidence texts live in the case store and the transaction's records are
        # held as references and sizes; cases opened before hold them inline, as recorded.
        self._by_reference = inp.rules >= 2

    @workflow.run
    async def run(self, inp: DisputeCaseInput) -> CaseResult:
        return await self._serve()

    # --- deadlines ------------------------------------------------------------------------

    def _case_deadlines(self) -> list[Alarm]:
        due = self.state.due_by
        if self._status != "needs_response" or due is None:
            return []
        return [
            Alarm(DisputeAlarm.RESPOND_BY, due),
            Alarm(DisputeAlarm.SUBMIT_BY, due - self._rules.safety_margin),
        ]

    def _reminders(self) -> list[Alarm]:
        if self._status == "closed":
            until = self.state.reopen_until
            return [Alarm(DisputeAlarm.REOPEN_WINDOW, until)] if until else []
        if self._status != "needs_response" or self.state.due_by is None:
            return []
        return [
            Alarm(DisputeAlarm.REMINDER, self.state.due_by - b, str(self.state.round))
            for b in self._rules.reminders_before
        ]

    def _finished(self) -> bool:
        """Closed, and its window for a new round over."""
        return self._status == "closed" and self.state.reopen_until is None

    def _on_alarm(self, alarm: Alarm) -> None:
        due, name, at = self.state.due_by, alarm.name, alarm.at
        if not isinstance(name, DisputeAlarm):
            unknown(alarm, "a dispute")
        if name == DisputeAlarm.REOPEN_WINDOW:
            if self._status == "closed":
                self.state.reopen_until = None
            return
        if self._status != "needs_response" or due is None:
            return
        now = workflow.now()
        if name == DisputeAlarm.REMINDER:
            if now < due:
                left = int((due - at).total_seconds())
                self.notify(
                    "deadline_reminder",
                    "merchant",
                    f"reminder:{self.state.round}:{due.isoformat()}:{left}",
                    due_by=due,
                    remaining=human(due - at),
                    round=self.state.round,
                )
        elif name == DisputeAlarm.SUBMIT_BY and now < due:
            # Nobody acted: the policy acts before the due time, never after; only on a stage
            # it knows to be defendable (elsewhere a supervisor decides).
            why = self._not_for_policy()
            if why and workflow.patched(LIFECYCLE):
                self._escalate(why)
                return
            limit = self._rules.auto_accept_below.get(self.facts.currency)
            if limit is not None and self.facts.amount < limit:
                self._ask(DisputeEffect.AUTO_ACCEPT)
            else:
                self._ask(DisputeEffect.AUTO_SUBMIT)
        elif name == DisputeAlarm.RESPOND_BY:
            self._close("expired", "system")
            self._after_close()
            self.notify(
                "outcome", "merchant", f"outcome:{self.state.round}:expired", outcome="expired"
            )

    def _not_for_policy(self) -> str | None:
        """Why the automatic action must leave this round to a person (None: it may act)."""
        phase = self.state.phase
        if phase not in AUTO_PHASES:
            return f"{phase or 'unknown'}_stage"
        if self.state.defendable is not True:
            return "not_defendable" if self.state.defendable is False else "defendable_unknown"
        return None

    # --- the case as shown ----------------------------------------------------------------

    def _recipient(self, to: Addressee) -> Recipient:
        # A dispute's supervisor is the merchant's own: the escalation goes to its desk.
        return super()._recipient("merchant" if to == "supervisor" else to)

    def _search_attributes(self) -> list[tuple[Any, Any]]:
        return [*super()._search_attributes(), (sa.ESCALATED, self.state.escalated)]

    def _envelope(self) -> dict[str, Any]:
        return {"round": self.state.round, "packet": self._packet_view()}

    def _packet_view(self) -> dict[str, Any]:
        packet = self._packet()
        return {
            "items": len(packet.items),
            "required": packet.required,
            "missing": packet.missing,
            "total_bytes": packet.total_bytes,
            "encoded_chars": packet.encoded_chars,
            "over_limit": packet.over_limit,
            "text_chars": packet.text_chars,
            "problems": packet.problems,
            "enhanced": sorted(self.state.enhanced or {}),
            "appeal": self.state.appeal is not None,
        }

    def _details(self) -> dict[str, Any]:
        return {
            "provider": self._provider,
            "dispute_id": self._dispute_id,
            "round": self.state.round,
            "reason": self._first.reason,
            "reason_category": self._category,
            "network": self.state.network,
            "enhanced_eligibility": self.state.eligibility,
            "due_by": iso(self.state.due_by),
            "provider_status": self.state.raw_status,
            "phase": self.state.phase,
            "defendable": self.state.defendable,
            "escalated": self.state.escalated,
            "submitted": {str(k): v for k, v in self.state.submitted.items()},
            "packet": self._packet_view(),
            "money": {k: str(v) for k, v in self.state.money.items()},
            "moved": {c: {k: str(v) for k, v in m.items()} for c, m in self.state.moved.items()},
        }

    def _history_limit(self) -> int | None:
        return self._rules.history_limit

    def _resumed(self) -> None:
        state = self.state
        amount, currency = state.facts.amount, state.facts.currency
        self.facts = dataclasses.replace(self.facts, amount=amount, currency=currency)
        if state.trade_no:  # filled by a later event (a run before kept the first's)
            self.facts = dataclasses.replace(self.facts, trade_no=state.trade_no)
        self._ask(DisputeEffect.RECORDS)
