"""DisputeWorkflow: one provider dispute (a chargeback, an inquiry), rules C1–C6 and SPEC §2.

```
 any first event ──► needs_response ──submit_defense──► submitted ──won / lost──► closed
                       │  │ accept_dispute ──► closed (accepted)      (provider's verdict)
                       │  └ withdrawn by the cardholder ──► closed (withdrawn)
                       │ nobody acted by due_by − safety_margin (the policy acts, actor system):
                       │   below auto_accept_below: accept; otherwise submit the packet as it
                       │   stands and escalate to a supervisor
                       │ due_by passed with no response ──► closed (expired)
 closed ──a needs_response event (pre-arbitration, a second chargeback)──► needs_response,
          round + 1, its own due time
```

The deadline is the provider's instant (`respond_by` = `due_by`, to the second). Provider
events arrive out of order and more than once: each is applied once (by its event ID), and
only if it is not older than the newest applied (by the provider's own timestamp); money
moved (funds withdrawn or reinstated, fees) is recorded whatever the order. A closed case
waits `reopen_window` for a new round before its workflow ends.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, get_args

from temporalio import workflow

from workflows.alarms import Alarm, unknown
from workflows.dispute_actions import ACTIONS as ACTION_RULES
from workflows.kernel import RETRY, CaseFacts, CaseWorkflow, human

with workflow.unsafe.imports_passed_through():
    from activities.disputes import DisputeActivities
    from redress import search_attributes as sa
    from redress.models.case import Addressee, CaseResult, Recipient
    from redress.models.dispute import (
        ACTIONS,
        AMOUNT_EVENTS,
        DESK_USER,
        KIND,
        ROLE_ACTIONS,
        CaseStatus,
        DisputeCaseInput,
        DisputeEvent,
        due_window,
        rules_of,
    )
    from redress.models.evidence import (
        AcceptRequest,
        DefenseRequest,
        EvidenceItem,
        HeldEvidence,
        Packet,
        ProviderReceipt,
        RecordRefs,
        RecordsFound,
        RecordsRequest,
        accept_body,
        build_packet,
        defense_body,
    )

CLOSING = {"won": "won", "lost": "lost", "accepted": "accepted", "withdrawn": "withdrawn"}
# Behaviour changes, each taken where the new code would first act differently (so a case
# already running takes it from its next such event, and a recorded history replays):
# a later event no longer moves the merchant, the charge, the currency, or the amount
# except by the provider's documented events; a provider date the case cannot count on
# is recorded and left out instead of raising in the workflow task.
FACTS_FIXED = "dispute-facts-fixed"
DATES_CHECKED = "dispute-dates-checked"


class DisputeAlarm(StrEnum):
    RESPOND_BY = "respond_by"  # the provider's due time: no response, the case expires
    SUBMIT_BY = "submit_by"  # the due time less the safety margin: the policy acts
    REMINDER = "reminder"  # before the due time, about the round
    REOPEN_WINDOW = "reopen_window"  # a closed case's wait for a new round ends


class DisputeEffect(StrEnum):
    RECORDS = "records"  # the transaction's stored records, for the packet (C1)
    AUTO_ACCEPT = "auto_accept"  # nobody acted, below the policy's amount: accept
    AUTO_SUBMIT = "auto_submit"  # nobody acted: submit the packet as it stands


@workflow.defn
class DisputeWorkflow(CaseWorkflow):
    KIND = KIND
    STATUSES = get_args(CaseStatus)
    ACTION_TYPES = ACTIONS
    ROLES = ROLE_ACTIONS
    _status: CaseStatus
    CLOSED_NOTE = "a new round opens with the provider's next needs_response event"

    @workflow.init
    def __init__(self, inp: DisputeCaseInput) -> None:
        e = inp.first
        facts = _facts(e)
        if not _representable(e.occurred_at):  # shown as opened when it reached us
            facts = dataclasses.replace(facts, created_at=inp.received_at)
        super().__init__(inp, facts, status="needs_response")
        self._rules = rules_of(inp.policy)
        self._first = e
        self._provider, self._dispute_id = e.provider, e.dispute_id
        self._category = e.category
        self._network = e.network
        self._round = 1
        self._due_by: datetime | None = None
        self._latest: datetime | None = None  # the newest provider timestamp applied
        self._raw_status: str | None = None
        self._seen: list[str] = []  # provider event IDs applied (the last few hundred)
        self._evidence: list[EvidenceItem] = []
        self._records: list[EvidenceItem] = []  # from the transaction's stored records
        self._submitted: dict[int, str] = {}  # round → the provider's reference
        self._money = {"withdrawn": Decimal(0), "reinstated": Decimal(0), "fees": Decimal(0)}
        self._escalated = False
        self._reopen_until: datetime | None = None
        self._packet_memo: tuple[list[EvidenceItem], list[EvidenceItem], Packet] | None = None
        # The first event may carry no amount (an alert): the first that does sets it.
        self._amount_known = e.amount is not None and bool(e.currency)
        # Rules 2: evidence texts live in the case store and the transaction's records are
        # held as references and sizes; cases opened before hold them inline, as recorded.
        self._by_reference = inp.rules >= 2

    @workflow.run
    async def run(self, inp: DisputeCaseInput) -> CaseResult:
        return await self._serve()

    # --- provider events ------------------------------------------------------------------

    def _open(self) -> None:
        e = self._first
        self._event(
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
        if e.event_id in self._seen:
            return  # delivered again: applied once
        self._seen = [*self._seen, e.event_id][-500:]
        usable = self._usable_dates(e)
        if usable is None:
            return
        e = usable
        if e.merchant_id != self.facts.merchant_id and workflow.patched(FACTS_FIXED):
            # The merchant is the one the first event named: whatever a later event says
            # (another Connect account, or none and a fallback), the case stays on its desk.
            self._conflict(e, "merchant_id", e.merchant_id, self.facts.merchant_id)
        if e.funds:  # money moved: a fact whatever the order it arrives in
            amount, fee = e.funds_amount or Decimal(0), e.fee or Decimal(0)
            self._money[e.funds] += amount
            self._money["fees"] += fee
            self._event(f"funds_{e.funds}", e.provider, amount=str(amount), fee=str(fee))
        if self._latest is not None and e.occurred_at < self._latest:
            self._event(
                "stale_event",
                e.provider,
                event_type=e.type,
                occurred_at=e.occurred_at.isoformat(),
                newest=self._latest.isoformat(),
            )
            return
        self._latest = e.occurred_at
        if e.amount is not None and e.currency:
            moved = _facts(e, self.facts)
            if moved != self.facts:
                if workflow.patched(FACTS_FIXED):
                    self._take_facts(e)
                else:
                    self.facts = moved
        self._network = e.network or self._network
        if e.stage is None:
            if e.type == "DEFENSE_DUE_ALERT":
                self._event("provider_alert", e.provider, due_by=_iso(e.due_by))
            if e.due_by:
                self._move_due(e.due_by, e)
            return
        self._raw_status = e.raw_status
        if e.stage == "needs_response":
            self._needs_response(e)
        elif e.stage == "under_review" and self._status == "needs_response":
            self._status = "submitted"
            self._event("under_review", e.provider, status=e.raw_status)
        elif e.stage in CLOSING:
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
        if not self._amount_known:
            changes.update(amount=e.amount, currency=e.currency)
            self._amount_known = True
        elif e.currency != f.currency:
            self._conflict(e, "currency", e.currency, f.currency)
        elif e.amount != f.amount:
            if e.type in AMOUNT_EVENTS.get(e.provider, frozenset()):
                changes["amount"] = e.amount
                self._event(
                    "amount_changed",
                    e.provider,
                    amount_from=str(f.amount),
                    amount_to=str(e.amount),
                    event_type=e.type,
                )
            else:
                self._conflict(e, "amount", str(e.amount), str(f.amount))
        self.facts = dataclasses.replace(f, **changes)

    def _conflict(self, e: DisputeEvent, field: str, named: Any, kept: Any) -> None:
        self._event(
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
        if not _representable(e.occurred_at):
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
        if not _representable(due_by):
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
        self._event(
            "provider_date_ignored",
            e.provider,
            field=field,
            value=value.isoformat(),
            event_type=e.type,
            event_id=e.event_id,
        )

    def _needs_response(self, e: DisputeEvent) -> None:
        new_round = self._status == "closed" or (
            self._status == "submitted"
            and e.due_by is not None
            and self._due_by is not None
            and e.due_by > self._due_by
        )
        if new_round:
            # Pre-arbitration or a second chargeback: the same case, its next round.
            self._round += 1
            self._status, self._outcome, self._closed_at = "needs_response", None, None
            self._reopen_until = None
            self._escalated = False
            self._event("new_round", e.provider, round=self._round, status=e.raw_status)
            self._notify("new_round", "merchant", f"round:{self._round}", round=self._round)
            self._ask(DisputeEffect.RECORDS)
        if e.due_by:
            self._move_due(e.due_by, e)

    def _move_due(self, due_by: datetime, e: DisputeEvent) -> None:
        if due_by == self._due_by:
            return
        before, self._due_by = self._due_by, due_by
        if before is not None:
            self._event(
                "due_moved", e.provider, due_from=before.isoformat(), due_to=due_by.isoformat()
            )
        # Warnings whose moment passed before we knew this due time are not sent late.
        self._skip_passed(self._reminders())

    def _verdict(self, outcome: str, e: DisputeEvent) -> None:
        if self._status == "closed":
            if self._outcome != outcome:  # e.g. "lost" after the merchant accepted
                self._event("provider_outcome", e.provider, outcome=outcome, kept=self._outcome)
            return
        self._close(outcome, e.provider)
        self._after_close()
        self._notify("outcome", "merchant", f"outcome:{self._round}:{outcome}", outcome=outcome)

    def _after_close(self) -> None:
        self._escalated = False
        self._reopen_until = workflow.now() + self._rules.reopen_window

    # --- deadlines ------------------------------------------------------------------------

    def _case_deadlines(self) -> list[Alarm]:
        due = self._due_by
        if self._status != "needs_response" or due is None:
            return []
        return [
            Alarm(DisputeAlarm.RESPOND_BY, due),
            Alarm(DisputeAlarm.SUBMIT_BY, due - self._rules.safety_margin),
        ]

    def _reminders(self) -> list[Alarm]:
        if self._status == "closed":
            until = self._reopen_until
            return [Alarm(DisputeAlarm.REOPEN_WINDOW, until)] if until else []
        if self._status != "needs_response" or self._due_by is None:
            return []
        return [
            Alarm(DisputeAlarm.REMINDER, self._due_by - b, str(self._round))
            for b in self._rules.reminders_before
        ]

    def _finished(self) -> bool:
        """Closed, and its window for a new round over."""
        return self._status == "closed" and self._reopen_until is None

    def _on_alarm(self, alarm: Alarm) -> None:
        due, name, at = self._due_by, alarm.name, alarm.at
        if not isinstance(name, DisputeAlarm):
            unknown(alarm, "a dispute")
        if name == DisputeAlarm.REOPEN_WINDOW:
            if self._status == "closed":
                self._reopen_until = None
            return
        if self._status != "needs_response" or due is None:
            return
        now = workflow.now()
        if name == DisputeAlarm.REMINDER:
            if now < due:
                self._notify(
                    "deadline_reminder",
                    "merchant",
                    f"reminder:{self._round}:{due.isoformat()}:{int((due - at).total_seconds())}",
                    due_by=due,
                    remaining=human(due - at),
                    round=self._round,
                )
        elif name == DisputeAlarm.SUBMIT_BY and now < due:
            # Nobody acted: the policy acts before the due time, never after.
            limit = self._rules.auto_accept_below.get(self.facts.currency)
            if limit is not None and self.facts.amount < limit:
                self._ask(DisputeEffect.AUTO_ACCEPT)
            else:
                self._ask(DisputeEffect.AUTO_SUBMIT)
        elif name == DisputeAlarm.RESPOND_BY:
            self._close("expired", "system")
            self._after_close()
            self._notify("outcome", "merchant", f"outcome:{self._round}:expired", outcome="expired")

    # --- effects that need an activity ------------------------------------------------------

    async def _effect(self, effect: StrEnum) -> None:
        match effect:
            case DisputeEffect.RECORDS:
                await self._collect_records()
            case DisputeEffect.AUTO_ACCEPT | DisputeEffect.AUTO_SUBMIT:
                if self._status == "needs_response":  # somebody acted first
                    await self._auto_act(DisputeEffect(effect))
            case _:
                await super()._effect(effect)

    async def _collect_records(self) -> None:
        if self._by_reference:
            refs: RecordRefs = await workflow.execute_activity_method(
                DisputeActivities.collect_record_refs,
                RecordsRequest(merchant_id=self.facts.merchant_id, charge=self.facts.trade_no),
                start_to_close_timeout=self.ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
            )
            self._records = list(refs.items)
            return
        found: RecordsFound = await workflow.execute_activity_method(
            DisputeActivities.collect_records,
            RecordsRequest(merchant_id=self.facts.merchant_id, charge=self.facts.trade_no),
            start_to_close_timeout=self.ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        self._records = found.items

    async def _auto_act(self, effect: DisputeEffect) -> None:
        packet = self._packet()
        if effect == DisputeEffect.AUTO_ACCEPT:
            receipt = await self._accept_at_provider()
            self._event("auto_accepted", "system", reference=receipt.reference)
            self._close("accepted", "system")
            self._after_close()
            self._notify("auto_action", "merchant", f"auto:{self._round}", action="accepted")
            return
        if packet.over_limit:
            # Nothing can be submitted as it stands: a supervisor must cut it down now.
            self._escalated = True
            self._event("escalated", "system", reason="packet_over_limit", detail=packet.over_limit)
            self._notify("auto_action", "supervisor", f"auto:{self._round}", action="escalated")
            return
        receipt = await self._submit(packet)
        self._escalated = True
        self._event(
            "auto_submitted",
            "system",
            reference=receipt.reference,
            missing=packet.missing,
            items=len(packet.items),
        )
        self._notify("auto_action", "supervisor", f"auto:{self._round}", action="submitted")

    async def _submit(self, packet: Packet) -> ProviderReceipt:
        request = DefenseRequest(
            idempotency_key=self._key(f"defense:{self._round}"),
            case_id=self._in.case_id,
            provider=self._provider,
            dispute_id=self._dispute_id,
            body={},
        )
        if self._by_reference:
            # The activity reads the texts from the store: its input stays small.
            request.items = [HeldEvidence.model_validate(i.model_dump()) for i in packet.items]
            request.merchant_id, request.charge = self.facts.merchant_id, self.facts.trade_no
        else:
            request.body = defense_body(self._provider, self._dispute_id, packet.items)
        receipt: ProviderReceipt = await workflow.execute_activity_method(
            DisputeActivities.submit_defense,
            request,
            start_to_close_timeout=self.ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        self._submitted[self._round] = receipt.reference
        self._status = "submitted"
        return receipt

    async def _accept_at_provider(self) -> ProviderReceipt:
        receipt: ProviderReceipt = await workflow.execute_activity_method(
            DisputeActivities.accept_dispute,
            AcceptRequest(
                idempotency_key=self._key(f"accept:{self._round}"),
                case_id=self._in.case_id,
                provider=self._provider,
                dispute_id=self._dispute_id,
                body=accept_body(self._provider, self._dispute_id),
            ),
            start_to_close_timeout=self.ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        return receipt

    def _packet(self) -> Packet:
        # A view shows the packet twice (`packet`, `details.packet`): built once per state
        # of the evidence (both lists are replaced, never changed in place).
        memo = self._packet_memo
        if memo and memo[0] is self._records and memo[1] is self._evidence:
            return memo[2]
        limits = self._rules.limits.get(self._provider)
        packet = build_packet(
            self._category,
            [*self._records, *self._evidence],
            self._rules.required,
            self._provider,
            limits.model_dump() if limits else {},
        )
        self._packet_memo = (self._records, self._evidence, packet)
        return packet

    # --- the case as shown ----------------------------------------------------------------

    def _recipient(self, to: Addressee) -> Recipient:
        # A dispute's supervisor is the merchant's own: the escalation goes to its desk.
        return super()._recipient("merchant" if to == "supervisor" else to)

    def _search_attributes(self) -> list[tuple[Any, Any]]:
        return [*super()._search_attributes(), (sa.ESCALATED, self._escalated)]

    def _envelope(self) -> dict[str, Any]:
        return {"round": self._round, "packet": self._packet_view()}

    def _packet_view(self) -> dict[str, Any]:
        packet = self._packet()
        return {
            "items": len(packet.items),
            "required": packet.required,
            "missing": packet.missing,
            "total_bytes": packet.total_bytes,
            "encoded_chars": packet.encoded_chars,
            "over_limit": packet.over_limit,
        }

    def _details(self) -> dict[str, Any]:
        return {
            "provider": self._provider,
            "dispute_id": self._dispute_id,
            "round": self._round,
            "reason": self._first.reason,
            "reason_category": self._category,
            "network": self._network,
            "due_by": _iso(self._due_by),
            "provider_status": self._raw_status,
            "escalated": self._escalated,
            "submitted": {str(k): v for k, v in self._submitted.items()},
            "packet": self._packet_view(),
            "money": {k: str(v) for k, v in self._money.items()},
        }

    def _history_limit(self) -> int | None:
        return self._rules.history_limit

    def _kind_state(self) -> dict[str, Any]:
        return {
            "round": self._round,
            "due_by": _iso(self._due_by),
            "latest": _iso(self._latest),
            "raw_status": self._raw_status,
            "seen": self._seen,
            "evidence": [i.model_dump(mode="json") for i in self._evidence],
            "submitted": {str(k): v for k, v in self._submitted.items()},
            "money": {k: str(v) for k, v in self._money.items()},
            "escalated": self._escalated,
            "reopen_until": _iso(self._reopen_until),
            "network": self._network,
            "facts": {"amount": str(self.facts.amount), "currency": self.facts.currency},
            "amount_known": self._amount_known,
            "trade_no": self.facts.trade_no,
        }

    def _restore_kind(self, state: dict[str, Any]) -> None:
        self._round = state["round"]
        self._due_by = _dt(state["due_by"])
        self._latest = _dt(state["latest"])
        self._raw_status = state["raw_status"]
        self._seen = list(state["seen"])
        held = HeldEvidence if self._by_reference else EvidenceItem
        self._evidence = [held.model_validate(i) for i in state["evidence"]]
        self._submitted = {int(k): v for k, v in state["submitted"].items()}
        self._money = {k: Decimal(v) for k, v in state["money"].items()}
        self._escalated = state["escalated"]
        self._reopen_until = _dt(state["reopen_until"])
        self._network = state.get("network")
        amount, currency = state["facts"]["amount"], state["facts"]["currency"]
        self.facts = CaseFacts(
            **{**self.facts.__dict__, "amount": Decimal(amount), "currency": currency}
        )
        self._amount_known = state.get("amount_known", True)
        if state.get("trade_no"):  # filled by a later event (a run before kept the first's)
            self.facts = dataclasses.replace(self.facts, trade_no=state["trade_no"])
        self._ask(DisputeEffect.RECORDS)

    ACTIONS = ACTION_RULES


def _facts(e: DisputeEvent, before: CaseFacts | None = None) -> CaseFacts:
    return CaseFacts(
        merchant_id=e.merchant_id,
        amount=e.amount if e.amount is not None else (before.amount if before else Decimal(0)),
        currency=e.currency or (before.currency if before else "USD"),
        created_at=before.created_at if before else e.occurred_at,
        user=DESK_USER,
        trade_no=e.charge or (before.trade_no if before else None),
        category=e.category,
    )


def _representable(at: datetime) -> bool:
    """An instant that has a UTC time (year 9999 at -08:00 has none)."""
    try:
        at.astimezone(UTC)
    except OverflowError:
        return False
    return True


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
