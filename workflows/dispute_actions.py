"""What the merchant desk does to a dispute, and the provider's later events: one handler
per action, `(case, cmd, action)`, with its check, and the table the kernel dispatches
through (`DisputeWorkflow.ACTIONS`). The lifecycle they move is the workflow's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow

from workflows.kernel import Rule

with workflow.unsafe.imports_passed_through():
    from activities.disputes import DisputeActivities
    from redress.models.case import CaseAction
    from redress.models.dispute import SUPERVISORS
    from redress.models.evidence import HeldEvidence, StoredTexts, StoreTexts, text_size
    from redress.refusals import refuse

if TYPE_CHECKING:
    from workflows.dispute import DisputeWorkflow


# --- reviewer actions -----------------------------------------------------------------


def check_evidence(case: DisputeWorkflow, cmd: CaseAction, a: Any) -> None:
    cap = case._rules.max_evidence_items
    if len(case._evidence) + len(a.items) > cap:
        raise refuse(
            "Conflict",
            f"case {case._in.case_id} would hold more than {cap} evidence items "
            "(dispute.max_evidence_items)",
        )
    if case._by_reference:
        limit = case._rules.max_evidence_bytes
        total = sum(text_size(i) for i in case._evidence) + sum(text_size(i) for i in a.items)
        if total > limit:
            raise refuse(
                "Invalid",
                f"case {case._in.case_id} would hold {total:,} bytes of evidence text, "
                f"{total - limit:,} over the {limit:,}-byte limit (dispute.max_evidence_bytes)",
            )


async def add_evidence(case: DisputeWorkflow, cmd: CaseAction, a: Any) -> None:
    items = [i.model_copy(update={"source": "reviewer"}) for i in a.items]
    if case._by_reference:
        items = await _stored(case, items)
    case._evidence = [*case._evidence, *items]
    case._event(
        "evidence_added",
        cmd.actor,
        kinds=[i.kind for i in items],
        bytes=sum(i.bytes for i in items),
    )


async def _stored(case: DisputeWorkflow, items: list[Any]) -> list[Any]:
    """The items as the case holds them: texts kept in the case store, only their digest
    and size here."""
    texts = [i.text for i in items if i.text]
    refs: list[str] = []
    if texts:
        stored: StoredTexts = await workflow.execute_activity_method(
            DisputeActivities.store_evidence_texts,
            StoreTexts(case_id=case._in.case_id, texts=texts),
            start_to_close_timeout=case.ACTIVITY_TIMEOUT,
            retry_policy=case.RETRY,
        )
        refs = list(stored.refs)
    held = []
    for i in items:
        fields = i.model_dump()
        if i.text:
            fields.update(text=None, stored=refs.pop(0), text_bytes=len(i.text.encode()))
        held.append(HeldEvidence.model_validate(fields))
    return held


def check_submit(case: DisputeWorkflow, cmd: CaseAction, a: Any) -> None:
    if case._round in case._submitted:
        raise refuse("Conflict", f"the defence of round {case._round} was submitted already")
    limit = case._rules.supervisor_above.get(case.facts.currency)
    if limit is not None and case.facts.amount > limit and cmd.role not in SUPERVISORS:
        raise refuse(
            "Forbidden",
            f"a defence of {case.facts.amount} {case.facts.currency} is a supervisor's to "
            f"submit (above {limit}, policy dispute.supervisor_above)",
        )
    over = case._packet().over_limit
    if over:
        raise refuse("Invalid", f"the evidence exceeds the provider's limits: {over}")


async def submit_defense(case: DisputeWorkflow, cmd: CaseAction, a: Any) -> None:
    await case._collect_records()  # the transaction's records as they are now
    packet = case._packet()
    if packet.over_limit:
        raise refuse("Invalid", f"the evidence exceeds the provider's limits: {packet.over_limit}")
    receipt = await case._submit(packet)
    case._escalated = False
    case._event(
        "defense_submitted",
        cmd.actor,
        reference=receipt.reference,
        items=len(packet.items),
        missing=packet.missing,
        note=a.note,
    )


async def accept_dispute(case: DisputeWorkflow, cmd: CaseAction, a: Any) -> None:
    receipt = await case._accept_at_provider()
    case._event("dispute_accepted", cmd.actor, reference=receipt.reference, note=a.note)
    case._close("accepted", cmd.actor)
    case._after_close()


def provider_event(case: DisputeWorkflow, cmd: CaseAction, a: Any) -> None:
    case._apply(a.event)


ACTIONS = {
    "add_evidence": Rule(add_evidence, ("needs_response",), check_evidence),
    "submit_defense": Rule(submit_defense, ("needs_response",), check_submit),
    "accept_dispute": Rule(accept_dispute, ("needs_response",)),
    "provider_event": Rule(provider_event, None),
}
