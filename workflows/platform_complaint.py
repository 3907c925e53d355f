"""PlatformComplaintWorkflow: one complaint to a payment platform's own desk, rules P1–P10
(seeds/004).

```
 incomplete ──► awaiting_info ──supplement──┐         no supplement in time ──► closed (lapsed)
 complete ───────────────────────────────── ┼──► awaiting_acceptance (policy: manual)
                                            │        │ accept      reject ──► closed (rejected)
                                            ▼        ▼             24 h: escalated to a supervisor
                                  accepted (已受理, the case ID is the complaint number)
                                            │ amount above the threshold (P3)
                                            ├──► awaiting_verification ──failed / no result──►
                                            │        │ passed            verification_hold
                                            ▼        ▼                   (supervisor decides)
                                      investigating (P5, P6: target, deadline; complex: longer)
                                            │ conclude (P7, P8: result, basis, compensation)
                                            ▼
                                  awaiting_confirmation (P9) ──confirmed / 7 d silence──► closed
                                            │ objected
                                            ▼
                                        escalated ──supervisor concludes──► closed
```

Urgent categories (P4) get the protective-steps notice before anything else and run on
the policy's shorter clocks. Deadlines live in `self.state.due` while their status lasts; every
notice to the user, and every status change the user can see, lands in the timeline and
in `GET /progress/{case_id}` (P10).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, get_args

from temporalio import workflow

from workflows.actions import Rule
from workflows.alarms import Alarm, unknown
from workflows.kernel import RETRY, CaseFacts, CaseWorkflow, KindState, human

with workflow.unsafe.imports_passed_through():
    from pydantic import Field, field_serializer

    from activities.verification import VerificationActivities
    from redress import search_attributes as sa
    from redress.identity import VerificationRequest, VerificationTicket
    from redress.models.case import Addressee, CaseAction, CaseResult, Recipient, in_minor_units
    from redress.models.platform_complaint import (
        ACTIONS,
        KIND,
        ROLE_ACTIONS,
        SUPERVISORS,
        CaseStatus,
        ComplaintDetails,
        Counterparty,
        PlatformComplaint,
        PlatformComplaintCaseInput,
        rules_of,
    )
    from redress.policy import Span
    from redress.refusals import refuse


class Clock(StrEnum):
    """The case's deadlines (each while its status lasts), and the desk's reminders before
    the watched ones (`reminder`, about the deadline it warns of)."""

    SUPPLEMENT_BY = "supplement_by"  # P2: the missing items, or the complaint lapses
    ACCEPT_BY = "accept_by"  # P2: a reviewer's acceptance, or a supervisor decides
    VERIFY_BY = "verify_by"  # P3: the verification's result, or a hold
    TARGET_BY = "target_by"  # P6: the investigation's target
    INVESTIGATE_BY = "investigate_by"  # P6: its deadline, or a supervisor
    CONFIRM_BY = "confirm_by"  # P9: the user's confirmation, or silence accepts
    REVIEW_BY = "review_by"  # P9: a supervisor's review of an objection
    REMINDER = "reminder"


OPEN: tuple[CaseStatus, ...] = (
    "awaiting_info",
    "awaiting_acceptance",
    "awaiting_verification",
    "verification_hold",
    "investigating",
    "awaiting_confirmation",
    "escalated",
)
# Pre-acceptance statuses: after them the complaint is accepted (已受理).
BEFORE_ACCEPTANCE: tuple[CaseStatus, ...] = ("awaiting_info", "awaiting_acceptance")
# A supplement fills what is missing and never rewrites what the complaint gives (nor,
# once accepted, its amount, currency, merchant, trade or account): taken from the first
# supplement that would have rewritten one, so recorded histories replay as they ran.
FACTS_FIXED = "platform-facts-fixed"

# Deadlines the desk is reminded of before they pass.
WATCHED = (Clock.ACCEPT_BY, Clock.TARGET_BY, Clock.INVESTIGATE_BY, Clock.REVIEW_BY)

# The deadline the user is shown for each status, and what happens next (P10).
NEXT_STEP: dict[CaseStatus, tuple[str, Clock | None]] = {
    "awaiting_info": ("add_missing_information", Clock.SUPPLEMENT_BY),
    "awaiting_acceptance": ("acceptance_review", Clock.ACCEPT_BY),
    "awaiting_verification": ("identity_verification", Clock.VERIFY_BY),
    "verification_hold": ("supervisor_review", None),
    "investigating": ("investigation", Clock.INVESTIGATE_BY),
    "awaiting_confirmation": ("confirm_result", Clock.CONFIRM_BY),
    "escalated": ("supervisor_review", Clock.REVIEW_BY),
    "closed": ("none", None),
}


class PlatformState(KindState):
    """What the case's rules change as it goes; a continued run reads it back from the
    JSON the run before handed over (the same names)."""

    complaint: PlatformComplaint  # as it now stands (supplements, linked evidence)
    due: dict[Clock, datetime] = Field(default_factory=dict)  # running deadlines
    estimated: set[Clock] = Field(default_factory=set)  # counted through unpublished holidays
    escalated: bool = False  # waiting on a supervisor
    complex: bool = False
    authorized: set[Counterparty] = Field(default_factory=set)  # the user let us contact
    verification: dict[str, Any] = Field(default_factory=dict)  # method, request_id, passed
    investigation_from: datetime | None = None
    result: dict[str, Any] | None = None  # upheld, basis, compensation
    supplements: int = 0
    linked: list[str] = Field(default_factory=list)  # complaint IDs of the same case
    contacts: int = 0  # counterparty inquiries sent
    notes: int = 0  # internal notes (capped by the policy, rules 2)

    @field_serializer("estimated", "authorized")
    def _sorted(self, names: set[str]) -> list[str]:
        return sorted(names)


class PlatformEffect(StrEnum):
    VERIFICATION = "verification"  # P3: ask the verifier (an activity)


@workflow.defn
class PlatformComplaintWorkflow(CaseWorkflow):
    KIND = KIND
    STATUSES = get_args(CaseStatus)
    ACTION_TYPES = ACTIONS
    ROLES = ROLE_ACTIONS
    _status: CaseStatus
    state: PlatformState

    @workflow.init
    def __init__(self, inp: PlatformComplaintCaseInput) -> None:
        c = inp.complaint
        super().__init__(inp, _facts(c), status="awaiting_info")
        self._rules = rules = rules_of(inp.policy)
        self._calendar = inp.policy.calendar
        self._urgent = c.category in rules.urgent_categories
        self._clocks = rules.urgent if self._urgent else rules.regular
        self.state = PlatformState(complaint=c)

    @workflow.run
    async def run(self, inp: PlatformComplaintCaseInput) -> CaseResult:
        return await self._serve()

    # --- opening (P1, P2, P4) ------------------------------------------------------------

    def _open(self) -> None:
        c = self.state.complaint
        self.event(
            "complaint_received",
            self._in.source,
            complaint_id=c.id,
            channel=c.channel,
            category=c.category,
            amount=str(c.amount) if c.amount is not None else None,
            currency=c.currency,
            priority=self._priority(),
            missing=c.missing(),
        )
        if self._urgent:
            # P4: the protective steps reach the user before any review.
            self.notify("protective_steps", "user", "protective_steps")
        if c.missing():
            self._await_info()
        else:
            self._complete()

    def _await_info(self) -> None:
        self._set_status("awaiting_info")
        self._set_due(Clock.SUPPLEMENT_BY, workflow.now() + self._rules.supplement_wait)
        self.notify(
            "incomplete",
            "user",
            f"incomplete:{self.state.supplements}",
            missing=self.state.complaint.missing(),
            supplement_by=self.state.due[Clock.SUPPLEMENT_BY],
        )

    def _complete(self) -> None:
        if self._rules.acceptance.manual:
            self._set_status("awaiting_acceptance")
            self._set_due(Clock.ACCEPT_BY, workflow.now() + self._clocks.acceptance)
            self._progress()
        else:
            self._accept("system")

    def _accept(self, actor: str, note: str = "") -> None:
        self.state.escalated = False
        self.event("accepted", actor, complaint_number=self._in.case_id, note=note)
        self.notify("accepted", "user", "accepted", complaint_number=self._in.case_id)
        if self._needs_verification():
            self._set_status("awaiting_verification")
            self._set_due(Clock.VERIFY_BY, workflow.now() + self._rules.verification_wait)
            self._ask(PlatformEffect.VERIFICATION)  # requested with this change's effects
        else:
            self._investigate()

    def _needs_verification(self) -> bool:
        """P3: strictly above the currency's threshold; unlisted currencies always."""
        c = self.state.complaint
        limit = self._rules.verification_above.get(c.currency or "CNY")
        return c.amount is not None and (limit is None or c.amount > limit)

    def _investigate(self) -> None:
        self.state.escalated = False
        self._set_status("investigating")
        start = self.state.investigation_from = workflow.now()
        self._set_due(Clock.TARGET_BY, self._after(self._clocks.target, start, Clock.TARGET_BY))
        self._set_due(
            Clock.INVESTIGATE_BY, self._after(self._clocks.deadline, start, Clock.INVESTIGATE_BY)
        )
        self._progress()

    def _hold(self, reason: str) -> None:
        """P3: verification failed or never came: a supervisor decides."""
        self._set_status("verification_hold")
        self.state.escalated = True
        self.event("held", "system", reason=reason)
        self.notify("escalation", "supervisor", f"hold:{reason}", reason=reason)
        self._progress()

    # --- deadlines ----------------------------------------------------------------------

    def _set_status(self, status: CaseStatus) -> None:
        """A new status: the old one's deadlines end with it."""
        self._status = status
        self.state.due.clear()
        self.state.estimated.clear()

    def _set_due(self, name: Clock, at: datetime) -> None:
        self.state.due[name] = at
        # Warnings whose moment passed already (a short clock) are not sent late.
        reminders = [Alarm(Clock.REMINDER, at - b, name) for b in self._rules.reminders_before]
        self._skip_passed(reminders)

    def _after(self, span: Span, start: datetime, name: Clock) -> datetime:
        at = span.after(start, self._calendar)
        if span.working_days is not None and self._calendar.estimated(start, at):
            self.state.estimated.add(name)
        else:
            self.state.estimated.discard(name)
        return at

    def _case_deadlines(self) -> list[Alarm]:
        return [Alarm(name, at) for name, at in self.state.due.items()]

    def _reminders(self) -> list[Alarm]:
        return [
            Alarm(Clock.REMINDER, at - before, name)
            for name, at in self.state.due.items()
            if name in WATCHED
            for before in self._rules.reminders_before
        ]

    def _on_alarm(self, alarm: Alarm) -> None:
        name, at = alarm.name, alarm.at
        if not isinstance(name, Clock):
            unknown(alarm, "a platform complaint")
        if name == Clock.REMINDER:
            deadline = Clock(alarm.subject or "")  # none: raises, as an unknown name would
            due = self.state.due.get(deadline)
            if due is not None and workflow.now() < due:
                self.notify(
                    "deadline_reminder",
                    "desk",
                    f"reminder:{deadline}:{due.isoformat()}:{int((due - at).total_seconds())}",
                    deadline=str(deadline),
                    due=due,
                    remaining=human(due - at),
                )
            return
        if self.state.due.get(name) != at:
            return  # a deadline that moved or ended
        match name:
            case Clock.SUPPLEMENT_BY:
                self._close_with(
                    "lapsed", "system", "lapsed", missing=self.state.complaint.missing()
                )
            case Clock.ACCEPT_BY:
                del self.state.due[name]
                self._escalate("acceptance_not_decided")
            case Clock.VERIFY_BY:
                self._hold("verification_timeout")
            case Clock.TARGET_BY:
                del self.state.due[name]
                self.event("investigation_target_passed", "system")
            case Clock.INVESTIGATE_BY:
                del self.state.due[name]
                self._escalate("investigation_overdue")
            case Clock.CONFIRM_BY:
                self._close_with("accepted", "system", "closed", by="silence")
            case Clock.REVIEW_BY:
                del self.state.due[name]
                self._escalate("review_overdue")
            case _:
                unknown(alarm, "a platform complaint")

    def _escalate(self, reason: str) -> None:
        self.state.escalated = True
        self.event("escalated", "system", reason=reason)
        self.notify(
            "escalation", "supervisor", f"escalation:{reason}:{self._version}", reason=reason
        )

    def _close_with(self, outcome: str, actor: str, template: str, **context: Any) -> None:
        self.state.due.clear()
        self.state.escalated = False
        self._close(outcome, actor)
        self.notify(template, "user", f"closed:{outcome}", outcome=outcome, **context)

    def _progress(self) -> None:
        """P5: the user hears of every status change (the ones without a notice of their own)."""
        step, due = NEXT_STEP[self._status]
        self.notify(
            "progress",
            "user",
            # The whole timeline's length: a continued run holds only its newest entries.
            f"progress:{self._status}:{self._timeline_from + len(self._timeline)}",
            status=self._status,
            next_step=step,
            due=self.state.due.get(due) if due else None,
        )

    # --- where notices go ---------------------------------------------------------------

    def _recipient(self, to: Addressee) -> Recipient:
        c = self.state.complaint
        if to == "result" and c.channel == "app":
            # P8: the result goes back the way the complaint came: in-app, to the user's ID.
            return Recipient(kind="user", channel="app", address=c.user.id)
        if to in ("user", "result"):
            return super()._recipient("user")
        if to in ("desk", "supervisor"):
            return Recipient(kind="desk", channel="desk", address=f"platform:{to}")
        if to == "bank":
            return Recipient(kind="bank", channel="desk", address=f"bank:{c.trade_no or c.id}")
        return super()._recipient(to)

    # --- the case as shown --------------------------------------------------------------

    def _priority(self) -> Literal["regular", "urgent"]:
        return "urgent" if self._urgent else "regular"

    def _search_attributes(self) -> list[tuple[Any, Any]]:
        return [
            *super()._search_attributes(),
            (sa.PRIORITY, self._priority()),
            (sa.ESCALATED, self.state.escalated),
        ]

    def _details(self) -> dict[str, Any]:
        c = self.state.complaint
        step, due = NEXT_STEP[self._status]
        return {
            "complaint_id": c.id,
            "channel": c.channel,
            "account": c.account,
            "trade_time": c.trade_time.isoformat() if c.trade_time else None,
            "description": c.description,
            "evidence": list(c.evidence),
            "missing": c.missing(),
            "escalated": self.state.escalated,
            "complex": self.state.complex,
            "authorized": sorted(self.state.authorized),
            "verification": self.state.verification or None,
            "estimated": sorted(self.state.estimated),
            "linked": list(self.state.linked),
            "result": self.state.result,
            "next_step": step,
            "next_step_due": self.state.due[due].isoformat()
            if due and due in self.state.due
            else None,
        }

    # --- a long case goes on in a new run -----------------------------------------------

    def _history_limit(self) -> int | None:
        return self._rules.history_limit

    def _refund_timeout(self) -> Any:
        return self._rules.refund_timeout

    def _take(self, complaint: PlatformComplaint) -> None:
        """The complaint as it now stands (a supplement, a linked complaint's evidence)."""
        self.state.complaint = complaint
        self.facts = _facts(complaint)

    def _resumed(self) -> None:
        self.facts = _facts(self.state.complaint)
        if self._in.rules < 2:  # runs before the count: the notes their timeline holds
            self.state.notes = sum(e.type == "note" for e in self._timeline)

    # --- effects that need an activity ----------------------------------------------------

    async def _effect(self, effect: StrEnum) -> None:
        match effect:
            case PlatformEffect.VERIFICATION:
                await self._request_verification()
            case _:
                await super()._effect(effect)

    async def _request_verification(self) -> None:
        method = self._rules.verification_method
        ticket: VerificationTicket = await workflow.execute_activity_method(
            VerificationActivities.request_verification,
            VerificationRequest(
                idempotency_key=self._key("verification"),
                case_id=self._in.case_id,
                user_id=self.state.complaint.user.id,
                method=method,
            ),
            start_to_close_timeout=self.ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        self.state.verification = {
            "method": method,
            "request_id": ticket.request_id,
            "passed": None,
        }
        self.event("verification_requested", "system", method=method, request=ticket.request_id)
        self.notify("verification_request", "user", "verification", method=method)
        if ticket.passed is not None and self._status == "awaiting_verification":
            self._verified(ticket.passed, method, "verifier")

    def _verified(self, passed: bool, method: str, actor: str, note: str = "") -> None:
        self.state.verification = {**self.state.verification, "method": method, "passed": passed}
        self.event("verification_recorded", actor, passed=passed, method=method, note=note)
        if passed:
            self._investigate()
        elif self._status == "awaiting_verification":
            self._hold("verification_failed")

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


def _facts(c: PlatformComplaint) -> CaseFacts:
    return CaseFacts(
        merchant_id=c.merchant_id or "",
        amount=c.amount if c.amount is not None else Decimal(0),
        currency=c.currency or "CNY",
        created_at=c.created_at,
        user=c.user,
        trade_no=c.trade_no,
        category=c.category,
    )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
