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
from typing import Annotated, Any, get_args

from temporalio import workflow

from workflows.actions import Rule
from workflows.alarms import Alarm, unknown
from workflows.kernel import RETRY, CaseFacts, CaseWorkflow, KindState, human

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, BeforeValidator, Field

    from activities.disputes import DisputeActivities
    from redress import search_attributes as sa
    from redress.models.case import Addressee, CaseAction, CaseResult, Recipient
    from redress.models.dispute import (
        ACTIONS,
        AMOUNT_EVENTS,
        DESK_USER,
        KIND,
        ROLE_ACTIONS,
        SUPERVISORS,
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
        StoredTexts,
        StoreTexts,
        accept_body,
        build_packet,
        defense_body,
        text_size,
    )
    from redress.refusals import refuse

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


class Amount(BaseModel):
    amount: Decimal
    currency: str


def _held_or_inline(items: Any) -> Any:
    """Items are read back as they were held: a held item (its text in the case store,
    rules 2) carries `stored`, an item held inline does not."""
    if not isinstance(items, list):
        return items
    return [
        (HeldEvidence if "stored" in i else EvidenceItem).model_validate(i)
        if isinstance(i, dict)
        else i
        for i in items
    ]


HeldItems = Annotated[list[HeldEvidence | EvidenceItem], BeforeValidator(_held_or_inline)]


class DisputeState(KindState):
    """What the provider's events and the desk change as the case goes; a continued run
    reads it back from the JSON the run before handed over (the same names)."""

    round: int = 1  # a pre-arbitration or second chargeback is the next round
    due_by: datetime | None = None  # the provider's due time, to the second
    latest: datetime | None = None  # the newest provider timestamp applied
    raw_status: str | None = None
    seen: list[str] = Field(default_factory=list)  # event IDs applied (the last few hundred)
    evidence: HeldItems = Field(default_factory=list)  # the desk's (replaced, not changed)
    submitted: dict[int, str] = Field(default_factory=dict)  # round → provider's reference
    money: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "withdrawn": Decimal(0),
            "reinstated": Decimal(0),
            "fees": Decimal(0),
        }
    )
    escalated: bool = False
    reopen_until: datetime | None = None
    network: str | None = None
    facts: Amount  # as the newest event that may change them left them
    amount_known: bool = True
    trade_no: str | None = None  # the charge, once an event named it


@workflow.defn
class DisputeWorkflow(CaseWorkflow):
    KIND = KIND
    STATUSES = get_args(CaseStatus)
    ACTION_TYPES = ACTIONS
    ROLES = ROLE_ACTIONS
    _status: CaseStatus
    state: DisputeState
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
        self.state = DisputeState(
            network=e.network,
            facts=Amount(amount=facts.amount, currency=facts.currency),
            trade_no=facts.trade_no,
            # The first event may carry no amount (an alert): the first that does sets it.
            amount_known=e.amount is not None and bool(e.currency),
        )
        self._records: list[EvidenceItem] = []  # from the transaction's stored records
        self._packet_memo: tuple[list[EvidenceItem], list[EvidenceItem], Packet] | None = None
        # Rules 2: evidence texts live in the case store and the transaction's records are
        # held as references and sizes; cases opened before hold them inline, as recorded.
        self._by_reference = inp.rules >= 2

    @workflow.run
    async def run(self, inp: DisputeCaseInput) -> CaseResult:
        return await self._serve()

    # --- provider events ------------------------------------------------------------------

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
        if e.funds:  # money moved: a fact whatever the order it arrives in
            amount, fee = e.funds_amount or Decimal(0), e.fee or Decimal(0)
            self.state.money[e.funds] += amount
            self.state.money["fees"] += fee
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
            moved = _facts(e, self.facts)
            if moved != self.facts:
                if workflow.patched(FACTS_FIXED):
                    self._take_facts(e)
                else:
                    self._set_facts(moved)
        self.state.network = e.network or self.state.network
        if e.stage is None:
            if e.type == "DEFENSE_DUE_ALERT":
                self.event("provider_alert", e.provider, due_by=_iso(e.due_by))
            if e.due_by:
                self._move_due(e.due_by, e)
            return
        self.state.raw_status = e.raw_status
        if e.stage == "needs_response":
            self._needs_response(e)
        elif e.stage == "under_review" and self._status == "needs_response":
            self._status = "submitted"
            self.event("under_review", e.provider, status=e.raw_status)
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
        self.event(
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
            and self.state.due_by is not None
            and e.due_by > self.state.due_by
        )
        if new_round:
            # Pre-arbitration or a second chargeback: the same case, its next round.
            self.state.round += 1
            self._status, self._outcome, self._closed_at = "needs_response", None, None
            self.state.reopen_until = None
            self.state.escalated = False
            self.event("new_round", e.provider, round=self.state.round, status=e.raw_status)
            self.notify(
                "new_round", "merchant", f"round:{self.state.round}", round=self.state.round
            )
            self._ask(DisputeEffect.RECORDS)
        if e.due_by:
            self._move_due(e.due_by, e)

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
            # Nobody acted: the policy acts before the due time, never after.
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
            self.event("auto_accepted", "system", reference=receipt.reference)
            self._close("accepted", "system")
            self._after_close()
            self.notify("auto_action", "merchant", f"auto:{self.state.round}", action="accepted")
            return
        if packet.over_limit:
            # Nothing can be submitted as it stands: a supervisor must cut it down now.
            self.state.escalated = True
            self.event("escalated", "system", reason="packet_over_limit", detail=packet.over_limit)
            self.notify("auto_action", "supervisor", f"auto:{self.state.round}", action="escalated")
            return
        receipt = await self._submit(packet)
        self.state.escalated = True
        self.event(
            "auto_submitted",
            "system",
            reference=receipt.reference,
            missing=packet.missing,
            items=len(packet.items),
        )
        self.notify("auto_action", "supervisor", f"auto:{self.state.round}", action="submitted")

    async def _submit(self, packet: Packet) -> ProviderReceipt:
        request = DefenseRequest(
            idempotency_key=self._key(f"defense:{self.state.round}"),
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
        self.state.submitted[self.state.round] = receipt.reference
        self._status = "submitted"
        return receipt

    async def _accept_at_provider(self) -> ProviderReceipt:
        receipt: ProviderReceipt = await workflow.execute_activity_method(
            DisputeActivities.accept_dispute,
            AcceptRequest(
                idempotency_key=self._key(f"accept:{self.state.round}"),
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
        if memo and memo[0] is self._records and memo[1] is self.state.evidence:
            return memo[2]
        limits = self._rules.limits.get(self._provider)
        packet = build_packet(
            self._category,
            [*self._records, *self.state.evidence],
            self._rules.required,
            self._provider,
            limits.model_dump() if limits else {},
        )
        self._packet_memo = (self._records, self.state.evidence, packet)
        return packet

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
        }

    def _details(self) -> dict[str, Any]:
        return {
            "provider": self._provider,
            "dispute_id": self._dispute_id,
            "round": self.state.round,
            "reason": self._first.reason,
            "reason_category": self._category,
            "network": self.state.network,
            "due_by": _iso(self.state.due_by),
            "provider_status": self.state.raw_status,
            "escalated": self.state.escalated,
            "submitted": {str(k): v for k, v in self.state.submitted.items()},
            "packet": self._packet_view(),
            "money": {k: str(v) for k, v in self.state.money.items()},
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

    def _set_facts(self, facts: CaseFacts) -> None:
        """The case's facts as a later event leaves them; the amount, currency and charge
        go on to a continued run with the state."""
        self.facts = facts
        self.state.facts = Amount(amount=facts.amount, currency=facts.currency)
        self.state.trade_no = facts.trade_no

    # --- actions ----------------------------------------------------------------------

    def _check_evidence(self, cmd: CaseAction, a: Any) -> None:
        cap = self._rules.max_evidence_items
        if len(self.state.evidence) + len(a.items) > cap:
            raise refuse(
                "Conflict",
                f"case {self._in.case_id} would hold more than {cap} evidence items "
                "(dispute.max_evidence_items)",
            )
        if self._by_reference:
            limit = self._rules.max_evidence_bytes
            total = sum(text_size(i) for i in self.state.evidence) + sum(
                text_size(i) for i in a.items
            )
            if total > limit:
                raise refuse(
                    "Invalid",
                    f"case {self._in.case_id} would hold {total:,} bytes of evidence text, "
                    f"{total - limit:,} over the {limit:,}-byte limit (dispute.max_evidence_bytes)",
                )

    async def _add_evidence(self, cmd: CaseAction, a: Any) -> None:
        items = [i.model_copy(update={"source": "reviewer"}) for i in a.items]
        if self._by_reference:
            items = await self._stored(items)
        self.state.evidence = [*self.state.evidence, *items]
        self.event(
            "evidence_added",
            cmd.actor,
            kinds=[i.kind for i in items],
            bytes=sum(i.bytes for i in items),
        )

    async def _stored(self, items: list[Any]) -> list[Any]:
        """The items as the case holds them: texts kept in the case store, only their digest
        and size here."""
        texts = [i.text for i in items if i.text]
        refs: list[str] = []
        if texts:
            stored: StoredTexts = await workflow.execute_activity_method(
                DisputeActivities.store_evidence_texts,
                StoreTexts(case_id=self._in.case_id, texts=texts),
                start_to_close_timeout=self.ACTIVITY_TIMEOUT,
                retry_policy=self.RETRY,
            )
            refs = list(stored.refs)
        held = []
        for i in items:
            fields = i.model_dump()
            if i.text:
                fields.update(text=None, stored=refs.pop(0), text_bytes=len(i.text.encode()))
            held.append(HeldEvidence.model_validate(fields))
        return held

    def _check_submit(self, cmd: CaseAction, a: Any) -> None:
        if self.state.round in self.state.submitted:
            raise refuse(
                "Conflict", f"the defence of round {self.state.round} was submitted already"
            )
        limit = self._rules.supervisor_above.get(self.facts.currency)
        if limit is not None and self.facts.amount > limit and cmd.role not in SUPERVISORS:
            raise refuse(
                "Forbidden",
                f"a defence of {self.facts.amount} {self.facts.currency} is a supervisor's to "
                f"submit (above {limit}, policy dispute.supervisor_above)",
            )
        over = self._packet().over_limit
        if over:
            raise refuse("Invalid", f"the evidence exceeds the provider's limits: {over}")

    async def _submit_defense(self, cmd: CaseAction, a: Any) -> None:
        await self._collect_records()  # the transaction's records as they are now
        packet = self._packet()
        if packet.over_limit:
            raise refuse(
                "Invalid", f"the evidence exceeds the provider's limits: {packet.over_limit}"
            )
        receipt = await self._submit(packet)
        self.state.escalated = False
        self.event(
            "defense_submitted",
            cmd.actor,
            reference=receipt.reference,
            items=len(packet.items),
            missing=packet.missing,
            note=a.note,
        )

    async def _accept_dispute(self, cmd: CaseAction, a: Any) -> None:
        receipt = await self._accept_at_provider()
        self.event("dispute_accepted", cmd.actor, reference=receipt.reference, note=a.note)
        self._close("accepted", cmd.actor)
        self._after_close()

    def _provider_event(self, cmd: CaseAction, a: Any) -> None:
        self._apply(a.event)

    ACTIONS = {
        "add_evidence": Rule(_add_evidence, ("needs_response",), _check_evidence),
        "submit_defense": Rule(_submit_defense, ("needs_response",), _check_submit),
        "accept_dispute": Rule(_accept_dispute, ("needs_response",)),
        "provider_event": Rule(_provider_event, None),
    }


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
