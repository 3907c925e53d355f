"""A dispute's effects that need an activity: the transaction's records for the packet
(C1), the defence submitted or the dispute accepted at the provider, and what the policy
does when nobody acted before the due time."""

from __future__ import annotations

from enum import StrEnum

from temporalio import workflow

from workflows.dispute.events import DisputeEvents
from workflows.dispute.state import EVIDENCE_CHECKED, LIFECYCLE, DisputeEffect
from workflows.kernel import RETRY

with workflow.unsafe.imports_passed_through():
    from activities.disputes import DisputeActivities
    from redress.models.evidence import (
        AcceptRequest,
        DefenseRequest,
        HeldEvidence,
        Packet,
        ProviderReceipt,
        RecordRefs,
        RecordsFound,
        RecordsRequest,
        accept_body,
        build_packet,
    )


class DisputeEffects(DisputeEvents):
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
        if not packet.items and workflow.patched(LIFECYCLE):
            self._escalate("empty_packet")  # nothing to submit: never an empty defence
            return
        unfit = self._unfit(packet)
        if unfit:
            # Nothing can be submitted as it stands: a supervisor must cut it down now.
            self.state.escalated = True
            self.event("escalated", "system", reason="packet_over_limit", detail=unfit)
            self.notify("auto_action", "supervisor", f"auto:{self.state.round}", action="escalated")
            return
        receipt = await self._submit(packet)
        if receipt.refused:  # the body as built exceeds the provider's limits: not sent
            self.state.escalated = True
            self.event("escalated", "system", reason="packet_over_limit", detail=receipt.refused)
            self.notify("auto_action", "supervisor", f"auto:{self.state.round}", action="escalated")
            return
        self.state.escalated = True
        self.event(
            "auto_submitted",
            "system",
            reference=receipt.reference,
            missing=packet.missing,
            items=len(packet.items),
        )
        self.notify("auto_action", "supervisor", f"auto:{self.state.round}", action="submitted")

    def _unfit(self, packet: Packet) -> str | None:
        """What keeps the packet from going as it stands: the provider's size limits, and
        (cases that take the provider's evidence model) what its model refuses."""
        if packet.over_limit:
            return packet.over_limit
        if packet.problems and workflow.patched(EVIDENCE_CHECKED):
            return "; ".join(packet.problems)
        return None

    async def _submit(self, packet: Packet) -> ProviderReceipt:
        """Submit the packet; a receipt with `refused` set was not sent (the body, built
        from the texts, exceeds the provider's limits) and changes nothing here."""
        limits = self._rules.limits.get(self._provider)
        request = DefenseRequest(
            idempotency_key=self._key(f"defense:{self.state.round}"),
            case_id=self._in.case_id,
            provider=self._provider,
            dispute_id=self._dispute_id,
            body={},
            # The activity builds the body, reading the texts from the store: its input
            # stays small, and the provider's limits are checked on the body itself.
            items=[HeldEvidence.model_validate(i.model_dump()) for i in packet.items],
            merchant_id=self.facts.merchant_id,
            charge=self.facts.trade_no,
            limits=limits.model_dump(exclude_none=True) if limits else None,
            enhanced=self.state.enhanced,
            appeal=self.state.appeal,
            heading=self._heading(),
        )
        receipt: ProviderReceipt = await workflow.execute_activity_method(
            DisputeActivities.submit_defense,
            request,
            start_to_close_timeout=self.ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        if receipt.refused:
            return receipt
        self.state.submitted[self.state.round] = receipt.reference
        self._status = "submitted"
        return receipt

    def _heading(self) -> dict[str, str]:
        """What a defence document states first (Antom's PDF)."""
        heading = {
            "Dispute": self._dispute_id,
            "Case": self._in.case_id,
            "Merchant": self.facts.merchant_id,
            "Reason": f"{self._first.reason or 'n/a'} ({self._category})",
            "Amount": f"{self.facts.amount} {self.facts.currency}",
            "Round": str(self.state.round),
        }
        if self.facts.trade_no:
            heading["Payment"] = self.facts.trade_no
        return heading

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
        # A round after a submitted one has its own packet: the evidence added since.
        memo, start = self._packet_memo, self.state.round_from
        fresh = memo and memo[0] is self._records and memo[1] is self.state.evidence
        if memo and fresh and memo[2] == start:
            return memo[3]
        limits = self._rules.limits.get(self._provider)
        packet = build_packet(
            self._category,
            [*self._records, *self.state.evidence[start:]],
            self._rules.required,
            self._provider,
            limits.model_dump() if limits else {},
        )
        self._packet_memo = (self._records, self.state.evidence, start, packet)
        return packet
