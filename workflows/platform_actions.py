"""What reviewers and the user do to a platform complaint (P2–P9): one handler per action,
`(case, cmd, action)`, with its check, and the table the kernel dispatches through
(`PlatformComplaintWorkflow.ACTIONS`). The lifecycle they move is the workflow's."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from temporalio import workflow

from workflows.kernel import Rule

with workflow.unsafe.imports_passed_through():
    from redress.models.case import CaseAction, in_minor_units
    from redress.models.platform_complaint import SUPERVISORS, ComplaintDetails
    from redress.refusals import refuse

if TYPE_CHECKING:
    from workflows.platform_complaint import PlatformComplaintWorkflow

OPEN = (
    "awaiting_info",
    "awaiting_acceptance",
    "awaiting_verification",
    "verification_hold",
    "investigating",
    "awaiting_confirmation",
    "escalated",
)


# --- reviewer actions ---------------------------------------------------------------


def check_decision(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    # After its clock (escalated) or a verification hold, a supervisor decides.
    held = case._status == "verification_hold" or case._escalated
    if held and cmd.role not in SUPERVISORS:
        raise refuse(
            "Forbidden",
            f"case {case._in.case_id} waits on a supervisor ({case._status}); "
            f"role {cmd.role!r} may not decide it",
        )


def do_accept(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    if case._status == "verification_hold":
        case._event("hold_released", cmd.actor, note=a.note)
        case._investigate()
    else:
        case._accept(cmd.actor, a.note)


def reject(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    case._event("rejected", cmd.actor, reason=a.reason, changes=a.changes)
    case._close_with("rejected", cmd.actor, "not_accepted", reason=a.reason, changes=a.changes)


def check_verification(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    if case._status == "verification_hold":
        check_decision(case, cmd, a)


def record_verification(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    case._verified(a.passed, a.method, cmd.actor, a.note)


def check_complex(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    if case._complex:
        raise refuse("Conflict", f"case {case._in.case_id} is already marked complex")


def mark_complex(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    assert case._investigation_from is not None
    before = case._due.get("investigate_by")
    after = case._after(case._clocks.complex, case._investigation_from, "investigate_by")
    case._complex = True
    case._set_due("investigate_by", after)
    if after > workflow.now():
        case._escalated = False  # an overdue escalation ends with the new deadline
    case._event(
        "marked_complex",
        cmd.actor,
        reason=a.reason,
        deadline_from=before.isoformat() if before else None,
        deadline_to=after.isoformat(),
    )
    case._progress()


def record_authorization(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    case._authorized.update(a.counterparties)
    case._event("authorization_recorded", cmd.actor, counterparties=list(a.counterparties))


def check_contact(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    if a.counterparty not in case._authorized:
        raise refuse(
            "Conflict",
            f"the user has not authorised contacting the {a.counterparty} "
            "(record_authorization first, P5)",
        )
    if a.counterparty == "merchant" and not case._complaint.merchant_id:
        raise refuse("Conflict", "the complaint names no merchant to contact")


def contact(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    case._contacts += 1
    case._event("counterparty_contacted", cmd.actor, counterparty=a.counterparty)
    case._notify(
        "counterparty_inquiry",
        a.counterparty,
        f"counterparty:{case._contacts}",
        message=a.message,
    )


def check_conclude(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    if case._status == "escalated" and cmd.role not in SUPERVISORS:
        raise refuse("Forbidden", "only a supervisor concludes the review of an objection")
    refund = a.compensation.refund if a.compensation else None
    if refund is not None:
        amount = refund_amount(case, refund)
        remaining = (case._complaint.amount or Decimal(0)) - case._refunded
        if amount > remaining:
            raise refuse(
                "Invalid",
                f"refund of {amount} exceeds the refundable amount "
                f"{remaining} {case._complaint.currency or 'CNY'}",
            )


def refund_amount(case: PlatformComplaintWorkflow, amount: Decimal) -> Decimal:
    try:
        return in_minor_units(amount, case._complaint.currency or "CNY")
    except ValueError as err:
        raise refuse("Invalid", f"compensation.refund: {err}") from err


async def conclude(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    review = case._status == "escalated"
    compensation: dict[str, Any] | None = None
    if a.compensation is not None:
        compensation = a.compensation.model_dump(mode="json", exclude_none=True)
        if a.compensation.refund is not None:
            receipt = await case._refund(refund_amount(case, a.compensation.refund))
            compensation["refund_id"] = receipt.refund_id
            case._event(
                "refund", cmd.actor, amount=str(receipt.amount), refund_id=receipt.refund_id
            )
    case._result = {"upheld": a.upheld, "basis": a.basis, "compensation": compensation}
    case._event(
        "concluded",
        cmd.actor,
        upheld=a.upheld,
        basis=a.basis,
        compensation=compensation,
        review=review,
    )
    context = {"upheld": a.upheld, "basis": a.basis, "compensation": compensation}
    if review:
        # The supervisor's review is final here; arbitration stays open to the user.
        outcome = "upheld" if a.upheld else "not_upheld"
        case._due.clear()
        case._escalated = False
        case._close(outcome, cmd.actor)
        case._notify("review_result", "result", "review_result", **context)
    else:
        case._set_status("awaiting_confirmation")
        case._set_due("confirm_by", workflow.now() + case._rules.confirmation_wait)
        case._notify("result", "result", "result", confirm_by=case._due["confirm_by"], **context)


def check_note(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    if case._in.rules < 2:  # cases opened before: their notes replay as recorded
        return
    rules = case._rules
    size = len(a.text.encode("utf-8"))
    if size > rules.note_bytes:
        raise refuse(
            "Invalid",
            f"text is {size:,} bytes, {size - rules.note_bytes:,} over the "
            f"{rules.note_bytes:,}-byte limit per note (platform_complaint.note_bytes)",
        )
    if case._notes >= rules.max_notes:
        raise refuse(
            "Invalid",
            f"case {case._in.case_id} holds {case._notes} notes, the most the policy allows "
            "(platform_complaint.max_notes)",
        )


def note(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    case._notes += 1
    case._event("note", cmd.actor, text=a.text, internal=True)


# --- the user's own events (role `user`, by webhook) -----------------------------------


def check_supplement(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    cap = case._rules.max_supplements
    if case._supplements >= cap:
        raise refuse(
            "Conflict",
            f"case {case._in.case_id} holds {cap} supplements, the most the policy allows "
            "(platform_complaint.max_supplements)",
        )


# A supplement fills what is missing and never rewrites what the complaint gives (nor,
# once accepted, its amount, currency, merchant, trade or account): taken from the first
# supplement that would have rewritten one, so recorded histories replay as they ran.
FACTS_FIXED = "platform-facts-fixed"
# Pre-acceptance statuses: after them the complaint is accepted (已受理).
BEFORE_ACCEPTANCE = ("awaiting_info", "awaiting_acceptance")


async def supplement(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    added: ComplaintDetails = a.complaint
    refused = case._complaint.overwrites(added, case._status not in BEFORE_ACCEPTANCE)
    if refused and workflow.patched(FACTS_FIXED):
        # Nothing of it is taken; the refusal is in the timeline (and its projection)
        # before the sender hears 409.
        case._event("supplement_refused", "user", event_id=a.event_id, fields=refused)
        await case._flush()
        raise refuse(
            "Conflict",
            f"the supplement would change {', '.join(refused)}: a supplement fills only what "
            "the complaint is missing, and its amount, currency, merchant, trade and account "
            "are fixed once it is accepted",
        )
    case._supplements += 1
    given = sorted(added.model_dump(exclude_unset=True, exclude_none=True, exclude={"id"}))
    case._take(case._complaint.merged(added))
    case._event("supplemented", "user", event_id=a.event_id, fields=given)
    if case._status == "awaiting_info":
        if case._complaint.missing():
            case._await_info()  # still short: the user is told what remains
        else:
            case._complete()


def confirm(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    case._event("confirmed", "user", event_id=a.event_id)
    case._close_with("confirmed", "user", "closed", by="confirmation")


def object(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    case._event("objected", "user", event_id=a.event_id, reason=a.reason)
    case._set_status("escalated")
    case._escalated = True
    case._set_due(
        "review_by", case._after(case._rules.escalation_review, workflow.now(), "review_by")
    )
    case._notify("escalation", "supervisor", "escalation:objection", reason="objection")
    case._progress()


def check_link(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    cap = case._rules.max_links
    if case._in.rules >= 2 and len(case._linked) >= cap:
        raise refuse(
            "Conflict",
            f"case {case._in.case_id} links {cap} complaints, the most the policy allows "
            "(platform_complaint.max_links)",
        )


def link(case: PlatformComplaintWorkflow, cmd: CaseAction, a: Any) -> None:
    case._linked.append(a.complaint_id)
    case._event("complaint_linked", "user", complaint_id=a.complaint_id, channel=a.channel)
    if a.evidence:
        case._take(case._complaint.merged(ComplaintDetails(evidence=a.evidence)))


ACTIONS = {
    "accept": Rule(do_accept, ("awaiting_acceptance", "verification_hold"), check_decision),
    "reject": Rule(reject, ("awaiting_acceptance", "verification_hold"), check_decision),
    "record_verification": Rule(
        record_verification,
        ("awaiting_verification", "verification_hold"),
        check_verification,
    ),
    "mark_complex": Rule(mark_complex, ("investigating",), check_complex),
    "record_authorization": Rule(record_authorization, OPEN),
    "contact_counterparty": Rule(contact, ("investigating", "escalated"), check_contact),
    "conclude": Rule(conclude, ("investigating", "escalated"), check_conclude),
    "note": Rule(note, OPEN, check_note),
    "supplement": Rule(supplement, OPEN, check_supplement),
    "confirm": Rule(confirm, ("awaiting_confirmation",)),
    "object": Rule(object, ("awaiting_confirmation",)),
    "link": Rule(link, OPEN, check_link),
}
