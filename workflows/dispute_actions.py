"""What the merchant desk does to a dispute, and the provider's later events: one handler
per action, `(case, cmd, action)`, with its check, and the table the kernel dispatches
through (`DisputeWorkflow.ACTIONS`). The lifecycle they move is the workflow's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow

from workflows.kernel import Rule

with workflow.unsafe.imports_passed_through():
    from redress.models.case import CaseAction
    from redress.models.dispute import SUPERVISORS
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


def add_evidence(case: DisputeWorkflow, cmd: CaseAction, a: Any) -> None:
    items = [i.model_copy(update={"source": "reviewer"}) for i in a.items]
    case._evidence = [*case._evidence, *items]
    case._event(
        "evidence_added",
        cmd.actor,
        kinds=[i.kind for i in items],
        bytes=sum(i.bytes for i in items),
    )


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
