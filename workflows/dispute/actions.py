"""A dispute's reviewer actions (add evidence, submit the defence, accept the dispute) and
the provider's events as an action, with their checks: the table the kernel dispatches."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

from workflows.actions import Rule
from workflows.dispute.effects import DisputeEffects
from workflows.dispute.state import EVIDENCE_SIZES

with workflow.unsafe.imports_passed_through():
    from activities.disputes import DisputeActivities
    from redress.models.case import CaseAction
    from redress.models.dispute import SUPERVISORS
    from redress.models.evidence import (
        HeldEvidence,
        StoredTexts,
        StoreTexts,
        build_packet,
        text_size,
    )
    from redress.models.stripe_evidence import (
        APPEAL_STAGE,
        FILE_FIELDS,
        eligibility_refusal,
        has_text,
        text_chars,
    )
    from redress.refusals import refuse


class DisputeActions(DisputeEffects):
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

        self._check_model(a)

    def _check_model(self, a: Any) -> None:
        """The provider's evidence model, when evidence is added: Stripe's enhanced evidence
        only where the dispute is eligible (409), one file per file field (409), and no
        new problem in the packet (a text in a file field, a file in a text field, a field
        or all of them over the character limits, a file over the size limits: 422, naming
        the field and by how much)."""
        if a.enhanced_evidence is not None:
            if self._provider != "stripe":
                raise refuse(
                    "Invalid",
                    f"enhanced_evidence: Stripe's programmes; {self._provider} takes one "
                    "defence document (add the evidence as items)",
                )
            why = eligibility_refusal(a.enhanced_evidence, self.state.eligibility)
            if why:
                raise refuse("Conflict", why)
        if a.appeal is not None:
            if self._provider != "stripe":
                raise refuse(
                    "Invalid", f"appeal: Stripe's appeal evidence; {self._provider} has none"
                )
            if self.state.raw_status != APPEAL_STAGE:
                raise refuse(
                    "Conflict",
                    f"appeal: Stripe takes appeal evidence in its appeal stage only "
                    f"({APPEAL_STAGE}); this dispute is {self.state.raw_status or 'not there'}",
                )
        if self._provider != "stripe" or not a.items:
            return
        files = {i.kind: i.ref for i in self.state.evidence if i.kind in FILE_FIELDS and i.ref}
        for i in a.items:
            if i.kind in FILE_FIELDS and i.ref:
                held = files.setdefault(i.kind, i.ref)
                if held != i.ref:
                    raise refuse(
                        "Conflict",
                        f"{i.kind}: the case holds file {held} for it already; Stripe takes "
                        "one file per field (combine them into one file, or add this one as "
                        "uncategorized_file)",
                    )
        before = self._packet()
        limits = self._rules.limits.get(self._provider)
        after = build_packet(
            self._category,
            [*self._records, *self.state.evidence, *a.items],
            self._rules.required,
            self._provider,
            limits.model_dump() if limits else {},
        )
        new = [p for p in after.problems if p not in before.problems]
        if after.over_limit and after.over_limit != before.over_limit:
            new.append(after.over_limit)
        if new:
            raise refuse("Invalid", "the evidence would not fit Stripe's model: " + "; ".join(new))

    async def _add_evidence(self, cmd: CaseAction, a: Any) -> None:
        items = [i.model_copy(update={"source": "reviewer"}) for i in a.items]
        if self._by_reference and items:
            items = await self._stored(items)
        self.state.evidence = [*self.state.evidence, *items]
        if a.enhanced_evidence is not None:
            given = a.enhanced_evidence.model_dump(exclude_none=True)
            self.state.enhanced = {**(self.state.enhanced or {}), **given}
        if a.appeal is not None:
            self.state.appeal = a.appeal.model_dump(exclude_none=True)
        texts = [i for i in items if has_text(i)]
        sizes: dict[str, int] = {}
        if texts and workflow.patched(EVIDENCE_SIZES):
            sizes = {
                "text_chars": sum(text_chars(i) for i in texts),
                "text_bytes": sum(text_size(i) for i in texts),
            }
        self.event(
            "evidence_added",
            cmd.actor,
            kinds=[i.kind for i in items],
            bytes=sum(i.bytes for i in items),
            **sizes,
            **({"enhanced": sorted(a.enhanced_evidence.given())} if a.enhanced_evidence else {}),
            **({"appeal": True} if a.appeal else {}),
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
                fields.update(
                    text=None,
                    stored=refs.pop(0),
                    text_bytes=len(i.text.encode()),
                    text_chars=len(i.text),
                )
            held.append(HeldEvidence.model_validate(fields))
        return held

    def _check_submit(self, cmd: CaseAction, a: Any) -> None:
        if self.state.defendable is False:
            raise refuse(
                "Conflict",
                f"dispute {self._dispute_id}: {self._provider} says it cannot be defended "
                "(not defendable): accept it, or take it up with the provider",
            )
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
        packet = self._packet()
        over = packet.over_limit or "; ".join(packet.problems)
        if over:
            raise refuse("Invalid", f"the evidence exceeds the provider's limits: {over}")

    async def _submit_defense(self, cmd: CaseAction, a: Any) -> None:
        await self._collect_records()  # the transaction's records as they are now
        packet = self._packet()
        unfit = self._unfit(packet)
        if unfit:
            raise refuse("Invalid", f"the evidence exceeds the provider's limits: {unfit}")
        receipt = await self._submit(packet)
        if receipt.refused:
            raise refuse(
                "Invalid", f"the evidence exceeds the provider's limits: {receipt.refused}"
            )
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
