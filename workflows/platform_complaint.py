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
the policy's shorter clocks. Deadlines live in `self._due` while their status lasts; every
notice to the user, and every status change the user can see, lands in the timeline and
in `GET /progress/{case_id}` (P10).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, get_args

from temporalio import workflow

from workflows.alarms import Alarm, unknown
from workflows.kernel import RETRY, CaseFacts, CaseWorkflow, human
from workflows.platform_actions import ACTIONS as ACTION_RULES

with workflow.unsafe.imports_passed_through():
    from activities.verification import VerificationActivities
    from redress import search_attributes as sa
    from redress.identity import VerificationRequest, VerificationTicket
    from redress.models.case import Addressee, CaseResult, Recipient
    from redress.models.platform_complaint import (
        ACTIONS,
        KIND,
        ROLE_ACTIONS,
        CaseStatus,
        PlatformComplaint,
        PlatformComplaintCaseInput,
        rules_of,
    )
    from redress.policy import Span


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


# Deadlines the desk is reminded of before they pass.
WATCHED = (Clock.ACCEPT_BY, Clock.TARGET_BY, Clock.INVESTIGATE_BY, Clock.REVIEW_BY)

# The deadline the user is shown for each status, and what happens next (P10).
NEXT_STEP: dict[CaseStatus, tuple[str, str | None]] = {
    "awaiting_info": ("add_missing_information", "supplement_by"),
    "awaiting_acceptance": ("acceptance_review", "accept_by"),
    "awaiting_verification": ("identity_verification", "verify_by"),
    "verification_hold": ("supervisor_review", None),
    "investigating": ("investigation", "investigate_by"),
    "awaiting_confirmation": ("confirm_result", "confirm_by"),
    "escalated": ("supervisor_review", "review_by"),
    "closed": ("none", None),
}


class PlatformEffect(StrEnum):
    VERIFICATION = "verification"  # P3: ask the verifier (an activity)


@workflow.defn
class PlatformComplaintWorkflow(CaseWorkflow):
    KIND = KIND
    STATUSES = get_args(CaseStatus)
    ACTION_TYPES = ACTIONS
    ROLES = ROLE_ACTIONS
    _status: CaseStatus

    @workflow.init
    def __init__(self, inp: PlatformComplaintCaseInput) -> None:
        c = inp.complaint
        super().__init__(inp, _facts(c), status="awaiting_info")
        self._rules = rules = rules_of(inp.policy)
        self._calendar = inp.policy.calendar
        self._complaint = c
        self._urgent = c.category in rules.urgent_categories
        self._clocks = rules.urgent if self._urgent else rules.regular
        self._due: dict[str, datetime] = {}  # running deadlines, by name
        self._estimated: set[str] = set()  # those counted through unpublished holidays
        self._escalated = False  # waiting on a supervisor
        self._complex = False
        self._authorized: set[str] = set()  # counterparties the user let us contact
        self._verification: dict[str, Any] = {}
        self._investigation_from: datetime | None = None
        self._result: dict[str, Any] | None = None
        self._supplements = 0
        self._linked: list[str] = []
        self._contacts = 0
        self._notes = 0  # internal notes (capped by the policy, rules 2)

    @workflow.run
    async def run(self, inp: PlatformComplaintCaseInput) -> CaseResult:
        return await self._serve()

    # --- opening (P1, P2, P4) ------------------------------------------------------------

    def _open(self) -> None:
        c = self._complaint
        self._event(
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
            self._notify("protective_steps", "user", "protective_steps")
        if c.missing():
            self._await_info()
        else:
            self._complete()

    def _await_info(self) -> None:
        self._set_status("awaiting_info")
        self._set_due("supplement_by", workflow.now() + self._rules.supplement_wait)
        self._notify(
            "incomplete",
            "user",
            f"incomplete:{self._supplements}",
            missing=self._complaint.missing(),
            supplement_by=self._due["supplement_by"],
        )

    def _complete(self) -> None:
        if self._rules.acceptance.manual:
            self._set_status("awaiting_acceptance")
            self._set_due("accept_by", workflow.now() + self._clocks.acceptance)
            self._progress()
        else:
            self._accept("system")

    def _accept(self, actor: str, note: str = "") -> None:
        self._escalated = False
        self._event("accepted", actor, complaint_number=self._in.case_id, note=note)
        self._notify("accepted", "user", "accepted", complaint_number=self._in.case_id)
        if self._needs_verification():
            self._set_status("awaiting_verification")
            self._set_due("verify_by", workflow.now() + self._rules.verification_wait)
            self._ask(PlatformEffect.VERIFICATION)  # requested with this change's effects
        else:
            self._investigate()

    def _needs_verification(self) -> bool:
        """P3: strictly above the currency's threshold; unlisted currencies always."""
        c = self._complaint
        limit = self._rules.verification_above.get(c.currency or "CNY")
        return c.amount is not None and (limit is None or c.amount > limit)

    def _investigate(self) -> None:
        self._escalated = False
        self._set_status("investigating")
        start = self._investigation_from = workflow.now()
        self._set_due("target_by", self._after(self._clocks.target, start, "target_by"))
        self._set_due("investigate_by", self._after(self._clocks.deadline, start, "investigate_by"))
        self._progress()

    def _hold(self, reason: str) -> None:
        """P3: verification failed or never came: a supervisor decides."""
        self._set_status("verification_hold")
        self._escalated = True
        self._event("held", "system", reason=reason)
        self._notify("escalation", "supervisor", f"hold:{reason}", reason=reason)
        self._progress()

    # --- deadlines ----------------------------------------------------------------------

    def _set_status(self, status: CaseStatus) -> None:
        """A new status: the old one's deadlines end with it."""
        self._status = status
        self._due.clear()
        self._estimated.clear()

    def _set_due(self, name: str, at: datetime) -> None:
        self._due[name] = at
        # Warnings whose moment passed already (a short clock) are not sent late.
        reminders = [Alarm(Clock.REMINDER, at - b, name) for b in self._rules.reminders_before]
        self._skip_passed(reminders)

    def _after(self, span: Span, start: datetime, name: str) -> datetime:
        at = span.after(start, self._calendar)
        if span.working_days is not None and self._calendar.estimated(start, at):
            self._estimated.add(name)
        else:
            self._estimated.discard(name)
        return at

    def _case_deadlines(self) -> list[Alarm]:
        return [Alarm(Clock(name), at) for name, at in self._due.items()]

    def _reminders(self) -> list[Alarm]:
        return [
            Alarm(Clock.REMINDER, at - before, name)
            for name, at in self._due.items()
            if name in WATCHED
            for before in self._rules.reminders_before
        ]

    def _on_alarm(self, alarm: Alarm) -> None:
        name, at = alarm.name, alarm.at
        if name == Clock.REMINDER:
            deadline = Clock(alarm.subject or "")  # none: an error, as an unknown name
            due = self._due.get(deadline)
            if due is not None and workflow.now() < due:
                self._notify(
                    "deadline_reminder",
                    "desk",
                    f"reminder:{deadline}:{due.isoformat()}:{int((due - at).total_seconds())}",
                    deadline=str(deadline),
                    due=due,
                    remaining=human(due - at),
                )
            return
        if self._due.get(name) != at:
            return  # a deadline that moved or ended
        match name:
            case Clock.SUPPLEMENT_BY:
                self._close_with("lapsed", "system", "lapsed", missing=self._complaint.missing())
            case Clock.ACCEPT_BY:
                del self._due[name]
                self._escalate("acceptance_not_decided")
            case Clock.VERIFY_BY:
                self._hold("verification_timeout")
            case Clock.TARGET_BY:
                del self._due[name]
                self._event("investigation_target_passed", "system")
            case Clock.INVESTIGATE_BY:
                del self._due[name]
                self._escalate("investigation_overdue")
            case Clock.CONFIRM_BY:
                self._close_with("accepted", "system", "closed", by="silence")
            case Clock.REVIEW_BY:
                del self._due[name]
                self._escalate("review_overdue")
            case _:
                unknown(alarm, "a platform complaint")

    def _escalate(self, reason: str) -> None:
        self._escalated = True
        self._event("escalated", "system", reason=reason)
        self._notify(
            "escalation", "supervisor", f"escalation:{reason}:{self._version}", reason=reason
        )

    def _close_with(self, outcome: str, actor: str, template: str, **context: Any) -> None:
        self._due.clear()
        self._escalated = False
        self._close(outcome, actor)
        self._notify(template, "user", f"closed:{outcome}", outcome=outcome, **context)

    def _progress(self) -> None:
        """P5: the user hears of every status change (the ones without a notice of their own)."""
        step, due = NEXT_STEP[self._status]
        self._notify(
            "progress",
            "user",
            # The whole timeline's length: a continued run holds only its newest entries.
            f"progress:{self._status}:{self._timeline_from + len(self._timeline)}",
            status=self._status,
            next_step=step,
            due=self._due.get(due) if due else None,
        )

    # --- where notices go ---------------------------------------------------------------

    def _recipient(self, to: Addressee) -> Recipient:
        c = self._complaint
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
            (sa.ESCALATED, self._escalated),
        ]

    def _details(self) -> dict[str, Any]:
        c = self._complaint
        step, due = NEXT_STEP[self._status]
        return {
            "complaint_id": c.id,
            "channel": c.channel,
            "account": c.account,
            "trade_time": c.trade_time.isoformat() if c.trade_time else None,
            "description": c.description,
            "evidence": list(c.evidence),
            "missing": c.missing(),
            "escalated": self._escalated,
            "complex": self._complex,
            "authorized": sorted(self._authorized),
            "verification": self._verification or None,
            "estimated": sorted(self._estimated),
            "linked": list(self._linked),
            "result": self._result,
            "next_step": step,
            "next_step_due": self._due[due].isoformat() if due and due in self._due else None,
        }

    # --- a long case goes on in a new run -----------------------------------------------

    def _history_limit(self) -> int | None:
        return self._rules.history_limit

    def _refund_timeout(self) -> Any:
        return self._rules.refund_timeout

    def _kind_state(self) -> dict[str, Any]:
        return {
            "complaint": self._complaint.model_dump(mode="json"),
            "due": {k: v.isoformat() for k, v in self._due.items()},
            "estimated": sorted(self._estimated),
            "escalated": self._escalated,
            "complex": self._complex,
            "authorized": sorted(self._authorized),
            "verification": self._verification,
            "investigation_from": _iso(self._investigation_from),
            "result": self._result,
            "supplements": self._supplements,
            "linked": self._linked,
            "contacts": self._contacts,
            # Runs before rules 2 hand over exactly what they always did.
            **({"notes": self._notes} if self._in.rules >= 2 else {}),
        }

    def _take(self, complaint: PlatformComplaint) -> None:
        """The complaint as it now stands (a supplement, a linked complaint's evidence)."""
        self._complaint = complaint
        self.facts = _facts(complaint)

    def _restore_kind(self, state: dict[str, Any]) -> None:
        self._take(PlatformComplaint.model_validate(state["complaint"]))
        self._due = {k: datetime.fromisoformat(v) for k, v in state["due"].items()}
        self._estimated = set(state["estimated"])
        self._escalated, self._complex = state["escalated"], state["complex"]
        self._authorized = set(state["authorized"])
        self._verification, self._result = state["verification"], state["result"]
        start = state["investigation_from"]
        self._investigation_from = datetime.fromisoformat(start) if start else None
        self._supplements, self._linked = state["supplements"], state["linked"]
        self._contacts = state["contacts"]
        # Runs carried before the count: the notes their timeline holds.
        self._notes = state.get("notes", sum(e.type == "note" for e in self._timeline))

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
                user_id=self._complaint.user.id,
                method=method,
            ),
            start_to_close_timeout=self.ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        self._verification = {"method": method, "request_id": ticket.request_id, "passed": None}
        self._event("verification_requested", "system", method=method, request=ticket.request_id)
        self._notify("verification_request", "user", "verification", method=method)
        if ticket.passed is not None and self._status == "awaiting_verification":
            self._verified(ticket.passed, method, "verifier")

    def _verified(self, passed: bool, method: str, actor: str, note: str = "") -> None:
        self._verification = {**self._verification, "method": method, "passed": passed}
        self._event("verification_recorded", actor, passed=passed, method=method, note=note)
        if passed:
            self._investigate()
        elif self._status == "awaiting_verification":
            self._hold("verification_failed")

    ACTIONS = ACTION_RULES


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
