"""A platform complaint's actions, each with its check: the reviewers' (P2–P9) and the
user's own events (role `user`, by webhook); the table the kernel dispatches."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from temporalio import workflow

from workflows.actions import Rule
from workflows.platform_complaint.lifecycle import PlatformLifecycle
from workflows.platform_complaint.state import BEFORE_ACCEPTANCE, FACTS_FIXED, OPEN, Clock

with workflow.unsafe.imports_passed_through():
    from redress.models.case import CaseAction
    from redress.models.platform_actions import SUPERVISORS
    from redress.models.platform_complaint import ComplaintDetails
    from redress.models.values import in_minor_units
    from redress.refusals import refuse


class PlatformActions(PlatformLifecycle):
    # --- reviewer actions (P2–P9): one handler per action, with its check --------------

    def _check_decision(self, cmd: CaseAction, a: Any) -> None:
        # After its clock (escalated) or a verification hold, a supervisor decides.
        held = self._status == "verification_hold" or self.state.escalated
        if held and cmd.role not in SUPERVISORS:
            raise refuse(
                "Forbidden",
                f"case {self._in.case_id} waits on a supervisor ({self._status}); "
                f"role {cmd.role!r} may not decide it",
            )

    def _do_accept(self, cmd: CaseAction, a: Any) -> None:
        if self._status == "verification_hold":
            self.event("hold_released", cmd.actor, note=a.note)
            self._investigate()
        else:
            self._accept(cmd.actor, a.note)

    def _reject(self, cmd: CaseAction, a: Any) -> None:
        self.event("rejected", cmd.actor, reason=a.reason, changes=a.changes)
        self._close_with("rejected", cmd.actor, "not_accepted", reason=a.reason, changes=a.changes)

    def _check_verification(self, cmd: CaseAction, a: Any) -> None:
        if self._status == "verification_hold":
            self._check_decision(cmd, a)

    def _record_verification(self, cmd: CaseAction, a: Any) -> None:
        self._verified(a.passed, a.method, cmd.actor, a.note)

    def _check_complex(self, cmd: CaseAction, a: Any) -> None:
        if self.state.complex:
            raise refuse("Conflict", f"case {self._in.case_id} is already marked complex")

    def _mark_complex(self, cmd: CaseAction, a: Any) -> None:
        assert self.state.investigation_from is not None
        before = self.state.due.get(Clock.INVESTIGATE_BY)
        after = self._after(
            self._clocks.complex, self.state.investigation_from, Clock.INVESTIGATE_BY
        )
        self.state.complex = True
        self._set_due(Clock.INVESTIGATE_BY, after)
        if after > workflow.now():
            self.state.escalated = False  # an overdue escalation ends with the new deadline
        self.event(
            "marked_complex",
            cmd.actor,
            reason=a.reason,
            deadline_from=before.isoformat() if before else None,
            deadline_to=after.isoformat(),
        )
        self._progress()

    def _record_authorization(self, cmd: CaseAction, a: Any) -> None:
        self.state.authorized.update(a.counterparties)
        self.event("authorization_recorded", cmd.actor, counterparties=list(a.counterparties))

    def _check_contact(self, cmd: CaseAction, a: Any) -> None:
        if a.counterparty not in self.state.authorized:
            raise refuse(
                "Conflict",
                f"the user has not authorised contacting the {a.counterparty} "
                "(record_authorization first, P5)",
            )
        if a.counterparty == "merchant" and not self.state.complaint.merchant_id:
            raise refuse("Conflict", "the complaint names no merchant to contact")

    def _contact(self, cmd: CaseAction, a: Any) -> None:
        self.state.contacts += 1
        self.event("counterparty_contacted", cmd.actor, counterparty=a.counterparty)
        self.notify(
            "counterparty_inquiry",
            a.counterparty,
            f"counterparty:{self.state.contacts}",
            message=a.message,
        )

    def _check_conclude(self, cmd: CaseAction, a: Any) -> None:
        if self._status == "escalated" and cmd.role not in SUPERVISORS:
            raise refuse("Forbidden", "only a supervisor concludes the review of an objection")
        refund = a.compensation.refund if a.compensation else None
        if refund is not None:
            amount = self._refund_amount(refund)
            remaining = (self.state.complaint.amount or Decimal(0)) - self._refunded
            if amount > remaining:
                raise refuse(
                    "Invalid",
                    f"refund of {amount} exceeds the refundable amount "
                    f"{remaining} {self.state.complaint.currency or 'CNY'}",
                )

    def _refund_amount(self, amount: Decimal) -> Decimal:
        try:
            return in_minor_units(amount, self.state.complaint.currency or "CNY")
        except ValueError as err:
            raise refuse("Invalid", f"compensation.refund: {err}") from err

    async def _conclude(self, cmd: CaseAction, a: Any) -> None:
        review = self._status == "escalated"
        compensation: dict[str, Any] | None = None
        if a.compensation is not None:
            compensation = a.compensation.model_dump(mode="json", exclude_none=True)
            if a.compensation.refund is not None:
                receipt = await self._refund(self._refund_amount(a.compensation.refund))
                compensation["refund_id"] = receipt.refund_id
                self.event(
                    "refund", cmd.actor, amount=str(receipt.amount), refund_id=receipt.refund_id
                )
        self.state.result = {"upheld": a.upheld, "basis": a.basis, "compensation": compensation}
        self.event(
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
            self.state.due.clear()
            self.state.escalated = False
            self._close(outcome, cmd.actor)
            self.notify("review_result", "result", "review_result", **context)
        else:
            self._set_status("awaiting_confirmation")
            self._set_due(Clock.CONFIRM_BY, workflow.now() + self._rules.confirmation_wait)
            self.notify(
                "result", "result", "result", confirm_by=self.state.due[Clock.CONFIRM_BY], **context
            )

    def _check_note(self, cmd: CaseAction, a: Any) -> None:
        if self._in.rules < 2:  # cases opened before: their notes replay as recorded
            return
        rules = self._rules
        size = len(a.text.encode("utf-8"))
        if size > rules.note_bytes:
            raise refuse(
                "Invalid",
                f"text is {size:,} bytes, {size - rules.note_bytes:,} over the "
                f"{rules.note_bytes:,}-byte limit per note (platform_complaint.note_bytes)",
            )
        if self.state.notes >= rules.max_notes:
            raise refuse(
                "Invalid",
                f"case {self._in.case_id} holds {self.state.notes} notes, the most the policy "
                "allows (platform_complaint.max_notes)",
            )

    def _note(self, cmd: CaseAction, a: Any) -> None:
        self.state.notes += 1
        self.event("note", cmd.actor, text=a.text, internal=True)

    # --- the user's own events (role `user`, by webhook) -------------------------------

    def _check_supplement(self, cmd: CaseAction, a: Any) -> None:
        cap = self._rules.max_supplements
        if self.state.supplements >= cap:
            raise refuse(
                "Conflict",
                f"case {self._in.case_id} holds {cap} supplements, the most the policy allows "
                "(platform_complaint.max_supplements)",
            )

    async def _supplement(self, cmd: CaseAction, a: Any) -> None:
        added: ComplaintDetails = a.complaint
        refused = self.state.complaint.overwrites(added, self._status not in BEFORE_ACCEPTANCE)
        if refused and workflow.patched(FACTS_FIXED):
            # Nothing of it is taken; the refusal is in the timeline (and its projection)
            # before the sender hears 409.
            self.event("supplement_refused", "user", event_id=a.event_id, fields=refused)
            await self._flush()
            raise refuse(
                "Conflict",
                f"the supplement would change {', '.join(refused)}: a supplement fills only what "
                "the complaint is missing, and its amount, currency, merchant, trade and account "
                "are fixed once it is accepted",
            )
        self.state.supplements += 1
        given = sorted(added.model_dump(exclude_unset=True, exclude_none=True, exclude={"id"}))
        self._take(self.state.complaint.merged(added))
        self.event("supplemented", "user", event_id=a.event_id, fields=given)
        if self._status == "awaiting_info":
            if self.state.complaint.missing():
                self._await_info()  # still short: the user is told what remains
            else:
                self._complete()

    def _confirm(self, cmd: CaseAction, a: Any) -> None:
        self.event("confirmed", "user", event_id=a.event_id)
        self._close_with("confirmed", "user", "closed", by="confirmation")

    def _object(self, cmd: CaseAction, a: Any) -> None:
        self.event("objected", "user", event_id=a.event_id, reason=a.reason)
        self._set_status("escalated")
        self.state.escalated = True
        self._set_due(
            Clock.REVIEW_BY,
            self._after(self._rules.escalation_review, workflow.now(), Clock.REVIEW_BY),
        )
        self.notify("escalation", "supervisor", "escalation:objection", reason="objection")
        self._progress()

    def _check_link(self, cmd: CaseAction, a: Any) -> None:
        cap = self._rules.max_links
        if self._in.rules >= 2 and len(self.state.linked) >= cap:
            raise refuse(
                "Conflict",
                f"case {self._in.case_id} links {cap} complaints, the most the policy allows "
                "(platform_complaint.max_links)",
            )

    def _link(self, cmd: CaseAction, a: Any) -> None:
        self.state.linked.append(a.complaint_id)
        self.event("complaint_linked", "user", complaint_id=a.complaint_id, channel=a.channel)
        if a.evidence:
            self._take(self.state.complaint.merged(ComplaintDetails(evidence=a.evidence)))

    ACTIONS = {
        "accept": Rule(_do_accept, ("awaiting_acceptance", "verification_hold"), _check_decision),
        "reject": Rule(_reject, ("awaiting_acceptance", "verification_hold"), _check_decision),
        "record_verification": Rule(
            _record_verification,
            ("awaiting_verification", "verification_hold"),
            _check_verification,
        ),
        "mark_complex": Rule(_mark_complex, ("investigating",), _check_complex),
        "record_authorization": Rule(_record_authorization, OPEN),
        "contact_counterparty": Rule(_contact, ("investigating", "escalated"), _check_contact),
        "conclude": Rule(_conclude, ("investigating", "escalated"), _check_conclude),
        "note": Rule(_note, OPEN, _check_note),
        "supplement": Rule(_supplement, OPEN, _check_supplement),
        "confirm": Rule(_confirm, ("awaiting_confirmation",)),
        "object": Rule(_object, ("awaiting_confirmation",)),
        "link": Rule(_link, OPEN, _check_link),
    }
