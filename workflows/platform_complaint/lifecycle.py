"""A platform complaint's course: opening (P1, P2, P4), acceptance, verification (P3) and
investigation, its clocks and what happens when one runs out, and where its notices go."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, get_args

from temporalio import workflow

from workflows.alarms import Alarm, unknown
from workflows.kernel import RETRY, CaseWorkflow, human
from workflows.platform_complaint.state import (
    NEXT_STEP,
    WATCHED,
    Clock,
    PlatformEffect,
    PlatformState,
    facts_of,
)

with workflow.unsafe.imports_passed_through():
    from activities.verification import VerificationActivities
    from redress.calendar import CalendarSnapshot
    from redress.identity import VerificationRequest, VerificationTicket
    from redress.models.effects import Addressee, Recipient
    from redress.models.platform_complaint import (
        CaseStatus,
        PlatformClocks,
        PlatformComplaint,
        PlatformComplaintPolicy,
    )
    from redress.policy import Span


class PlatformLifecycle(CaseWorkflow):
    """The complaint's course (`PlatformComplaintWorkflow` inherits it)."""

    STATUSES = get_args(CaseStatus)
    _status: CaseStatus
    state: PlatformState
    _rules: PlatformComplaintPolicy
    _calendar: CalendarSnapshot
    _urgent: bool
    _clocks: PlatformClocks

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

    def _take(self, complaint: PlatformComplaint) -> None:
        """The complaint as it now stands (a supplement, a linked complaint's evidence)."""
        self.state.complaint = complaint
        self.facts = facts_of(complaint)

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
