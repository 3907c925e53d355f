"""What the desk does to a payment failure, and the channel's later events: one handler
per action, `(case, cmd, action)`, with its check, and the table the kernel dispatches
through (`PaymentFailureWorkflow.ACTIONS`). The lifecycle they move is the workflow's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow

from workflows.kernel import Rule

with workflow.unsafe.imports_passed_through():
    from redress.models.case import CaseAction
    from redress.refusals import refuse

if TYPE_CHECKING:
    from workflows.payment_failure import PaymentFailureWorkflow

OPEN = ("reconciling", "awaiting_retry", "escalated")


# --- the desk ---------------------------------------------------------------------------


async def record_reconciliation(case: PaymentFailureWorkflow, cmd: CaseAction, a: Any) -> None:
    """The channel could not say; the desk found out (F4)."""
    case._event("reconciliation_recorded", cmd.actor, channel_state=a.channel_state, note=a.note)
    case._checked_at = workflow.now()
    if a.channel_state == "captured":
        await case._captured(cmd.actor)
        return
    if case._taken:
        return  # the money was taken and is being given back: nothing to wait for
    case._channel_state = "not_captured"
    case._next_check = None
    case._status = "awaiting_retry"  # the user may still pay, until retry_by


def check_refund(case: PaymentFailureWorkflow, cmd: CaseAction, a: Any) -> None:
    f = case.facts
    if not case._taken:
        raise refuse(
            "Conflict",
            "nothing was taken for this payment (as far as the channel or the desk said): "
            "record_reconciliation with channel_state captured first",
        )
    left = f.amount - case._refunded
    if a.amount > left:
        raise refuse(
            "Invalid",
            f"refund of {a.amount} {f.currency} exceeds what was taken and not given back "
            f"({left} {f.currency})",
        )


async def refund(case: PaymentFailureWorkflow, cmd: CaseAction, a: Any) -> None:
    receipt = await case._refund(a.amount)  # a refusal: the reviewer sees why, nothing moved
    case._event(
        "refunded", cmd.actor, amount=str(receipt.amount), refund_id=receipt.refund_id, note=a.note
    )
    if case._refunded >= case.facts.amount:
        case.refunded_in_full(cmd.actor)


def close(case: PaymentFailureWorkflow, cmd: CaseAction, a: Any) -> None:
    case._event("closed_by_desk", cmd.actor, reason=a.reason)
    case._finish("resolved", cmd.actor)


def check_note(case: PaymentFailureWorkflow, cmd: CaseAction, a: Any) -> None:
    if case._notes >= case._rules.max_notes:
        raise refuse(
            "Conflict",
            f"case {case._in.case_id} holds {case._rules.max_notes} notes already "
            "(payment_failure.max_notes)",
        )


def note(case: PaymentFailureWorkflow, cmd: CaseAction, a: Any) -> None:
    case._notes += 1
    case._event("note", cmd.actor, text=a.text)


# --- the channel's later events (role `user`, through the intake) ------------------------


def _first_time(case: PaymentFailureWorkflow, event_id: str) -> bool:
    if event_id in case._seen:
        return False
    case._seen = [*case._seen, event_id][-50:]
    return True


async def captured(case: PaymentFailureWorkflow, cmd: CaseAction, a: Any) -> None:
    """Before the failure, after it, after the case closed: the same end, one refund."""
    if _first_time(case, a.event_id):
        await case._captured("channel", event_id=a.event_id)


def succeeded(case: PaymentFailureWorkflow, cmd: CaseAction, a: Any) -> None:
    if _first_time(case, a.event_id):
        case._recovered(a.payment_id, a.event_id)


ACTIONS = {
    "record_reconciliation": Rule(record_reconciliation, OPEN),
    "refund": Rule(refund, OPEN, check_refund),
    "close": Rule(close, OPEN),
    "note": Rule(note, None, check_note),
    "captured": Rule(captured, None),
    "succeeded": Rule(succeeded, None),
}
