"""ComplaintWorkflow: one merchant trade complaint, rules M1–M8 (seeds/003).

```
awaiting_response ──reply / refund──► awaiting_outcome ──outcome wait──► closed (accepted)
   │  └─refuse_refund──► platform_review ◄──escalate──┘   └─resolve──► closed (resolved)
 96 h passed                │ no_refund ──► closed (refund_not_due)
   ▼                        │ must_refund
 overdue + penalty          ▼
 (handleable until the   pending_refund ──refund──► closed (refunded)
  appeal window ends,       │ 7 d passed
  then closed (unhandled))  ▼ penalty refund_overdue (30-day appeal window)
```

The kernel (`workflows/kernel.py`) runs the loop, the actions, the effects and the Web UI
fields; penalties and appeals are `workflows/penalties.py`. This module holds the rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, get_args

from temporalio import workflow

from workflows.alarms import Alarm, unknown
from workflows.kernel import CaseFacts, CaseWorkflow, KindState, Rule, human
from workflows.penalties import PENALTY_ACTIONS, PenaltyBook

with workflow.unsafe.imports_passed_through():
    from redress.models.case import CaseAction, CaseResult
    from redress.models.complaint import (
        ACTIONS,
        KIND,
        ROLE_ACTIONS,
        CaseStatus,
        ComplaintCaseInput,
        rules_of,
    )
    from redress.models.values import in_minor_units
    from redress.refusals import refuse

HANDLING: tuple[CaseStatus, ...] = ("awaiting_response", "overdue")
OPEN: tuple[CaseStatus, ...] = (
    "awaiting_response",
    "overdue",
    "awaiting_outcome",
    "platform_review",
    "pending_refund",
)


class ComplaintAlarm(StrEnum):
    REMINDER = "reminder"  # before `respond_by`, once per `reminders_before`
    RESPOND_BY = "respond_by"  # M1, M2
    OUTCOME_BY = "outcome_by"  # handled, and nobody objected: accepted
    REFUND_BY = "refund_by"  # M7
    LATE_UNTIL = "late_until"  # a penalty's appeal window: the last chance to handle it


class ComplaintState(KindState):
    """What the rules change as the case goes (the rest follows from the input). A
    continued run reads it back as the run before wrote it (the same names)."""

    outcome_by: datetime | None = None
    refund_by: datetime | None = None
    late_until: datetime | None = None  # after an overdue penalty: last chance
    refund_total: Decimal | None = None  # M6: refunded in all once the verdict's due
    messages: int = 0  # replies so far, all runs (rules 3: the timeline carried is cut)


@workflow.defn
class ComplaintWorkflow(CaseWorkflow):
    KIND = KIND
    STATUSES = get_args(CaseStatus)
    ACTION_TYPES = ACTIONS
    ROLES = ROLE_ACTIONS
    CLOSED_NOTE = "only appeals inside their window are accepted"
    _status: CaseStatus
    state: ComplaintState

    @workflow.init
    def __init__(self, inp: ComplaintCaseInput) -> None:
        c = inp.complaint
        facts = CaseFacts(
            merchant_id=c.merchant_id,
            amount=c.amount,
            currency=c.currency,
            created_at=c.created_at,
            user=c.user,
            trade_no=c.trade_no,
            category=c.category,
        )
        super().__init__(inp, facts, status="awaiting_response")
        self._rules = rules = rules_of(inp.policy)
        self._complaint = c
        self._respond_by = c.created_at + rules.handle_within  # M1: every clock from created_at
        self._reminders_at = sorted(self._respond_by - off for off in rules.reminders_before)
        self.state = ComplaintState()
        self.penalties = PenaltyBook(self, rules.appeal_review, inp.policy.calendar)

    @workflow.run
    async def run(self, inp: ComplaintCaseInput) -> CaseResult:
        return await self._serve()

    def _open(self) -> None:
        c = self._complaint
        self._skip_passed(self._reminders())
        self.event(
            "complaint_received",
            self._in.source,
            complaint_id=c.id,
            created_at=c.created_at.isoformat(),
            category=c.category,
            amount=str(c.amount),
            currency=c.currency,
        )
        self.notify("acknowledgement", "user", "ack", respond_by=self._respond_by)

    # --- deadlines ----------------------------------------------------------------------

    def _case_deadlines(self) -> list[Alarm]:
        state, d = self.state, []
        if self._status == "awaiting_response":
            d.append(Alarm(ComplaintAlarm.RESPOND_BY, self._respond_by))
        if self._status == "awaiting_outcome" and state.outcome_by:
            d.append(Alarm(ComplaintAlarm.OUTCOME_BY, state.outcome_by))
        if self._status == "pending_refund" and state.refund_by:
            d.append(Alarm(ComplaintAlarm.REFUND_BY, state.refund_by))
        if self._status in ("overdue", "pending_refund") and state.late_until:
            d.append(Alarm(ComplaintAlarm.LATE_UNTIL, state.late_until))
        return d

    def _reminders(self) -> list[Alarm]:
        if self._status != "awaiting_response":
            return []
        return [Alarm(ComplaintAlarm.REMINDER, at) for at in self._reminders_at]

    def _on_alarm(self, alarm: Alarm) -> None:
        rules, book, state = self._rules, self._book(), self.state
        match alarm.name:
            case ComplaintAlarm.REMINDER:
                if self._status != "awaiting_response" or workflow.now() >= self._respond_by:
                    return  # handled, or woke up past the deadline itself (worker was down)
                remaining = self._respond_by - alarm.at
                self.notify(
                    "deadline_reminder",
                    "merchant",
                    f"reminder:{int(remaining.total_seconds())}",
                    respond_by=self._respond_by,
                    remaining=human(remaining),
                )
            case ComplaintAlarm.RESPOND_BY if self._status == "awaiting_response":
                # M2, M3: 1 point, appealable for 7 days; handling is still possible until then.
                pen = book.impose(
                    "response_overdue", rules.response_overdue_points, rules.response_appeal_window
                )
                self._status = "overdue"
                state.late_until = pen.appeal_deadline
            case ComplaintAlarm.OUTCOME_BY if self._status == "awaiting_outcome":
                # Silence from the user and the platform counts as acceptance.
                self._close("accepted", "system")
            case ComplaintAlarm.REFUND_BY if self._status == "pending_refund":
                # M7, M8: 1 point, appealable for 30 days.
                pen = book.impose(
                    "refund_overdue", rules.refund_overdue_points, rules.refund_appeal_window
                )
                state.late_until = pen.appeal_deadline
            case ComplaintAlarm.LATE_UNTIL:
                outcome = "unhandled" if self._status == "overdue" else "refund_unpaid"
                self._close(outcome, "system")
            case ComplaintAlarm.RESPOND_BY | ComplaintAlarm.OUTCOME_BY | ComplaintAlarm.REFUND_BY:
                pass  # its status ended as it came
            case _:
                unknown(alarm, "a merchant complaint")

    def _close(self, outcome: str, actor: str) -> None:
        super()._close(outcome, actor)
        self.state.late_until = None

    def _history_limit(self) -> int | None:
        return self._rules.history_limit if self._in.rules >= 2 else None

    def _refund_timeout(self) -> timedelta | None:
        return self._rules.refund_timeout if self._in.rules >= 2 else None

    def _resumed(self) -> None:
        if self._in.rules < 3:  # runs before rules 3 count the replies their timeline holds
            self.state.messages = sum(e.type == "message" for e in self._timeline)

    def _book(self) -> PenaltyBook:
        assert self.penalties is not None
        return self.penalties

    # --- actions (M5, M6) ---------------------------------------------------------------

    def _handled(self) -> None:
        self._status = "awaiting_outcome"
        self.state.outcome_by = workflow.now() + self._rules.outcome_wait
        self.state.late_until = None

    def _check_reply(self, cmd: CaseAction, a: Any) -> None:
        cap = self._rules.max_messages
        if self._in.rules >= 2 and self.state.messages >= cap:
            raise refuse(
                "Conflict",
                f"case {self._in.case_id} holds {cap} messages, the most the policy allows "
                "(complaint.max_messages)",
            )
        limit = self._rules.message_bytes
        size = len(a.message.encode("utf-8"))
        if self._in.rules >= 3 and size > limit:
            raise refuse(
                "Invalid",
                f"message is {size:,} bytes, {size - limit:,} over the {limit:,}-byte limit "
                "per message (complaint.message_bytes)",
            )

    def _reply(self, cmd: CaseAction, a: Any) -> None:
        self.state.messages += 1
        self.event("message", cmd.actor, role=cmd.role, to=a.to, message=a.message)
        if self._status in HANDLING:
            self._handled()

    def _check_refund(self, cmd: CaseAction, a: Any) -> None:
        self._refund_amount(a)
        remaining = self._complaint.amount - self._refunded
        if a.amount > remaining:
            raise refuse(
                "Invalid",
                f"refund of {a.amount} exceeds the refundable amount "
                f"{remaining} {self._complaint.currency}",
            )

    def _refund_amount(self, a: Any) -> Decimal:
        if self._in.rules < 2:  # cases opened before: their refunds replay as recorded
            return Decimal(a.amount)
        try:
            return in_minor_units(a.amount, self._complaint.currency)
        except ValueError as err:
            raise refuse("Invalid", f"amount: {err}") from err

    async def _do_refund(self, cmd: CaseAction, a: Any) -> None:
        receipt = await self._refund(self._refund_amount(a))
        amount, refund_id = str(receipt.amount), receipt.refund_id
        self.event("refund", cmd.actor, amount=amount, refund_id=refund_id, note=a.note)
        self.notify(
            "refund_done",
            "user",
            f"refund:{refund_id}",
            refund_amount=amount,
            refund_id=refund_id,
        )
        if self._status in HANDLING:
            self._handled()
        elif self._status in ("pending_refund", "platform_review") and self._refund_settled():
            self._close("refunded", cmd.actor)

    def _refund_settled(self) -> bool:
        """Whether refunds so far settle the case: under rules 1 any refund did; under 2 the
        verdict's amount due, or before a verdict the whole amount, refunded in total."""
        if self._in.rules < 2:
            return True
        total = self.state.refund_total
        if self._status == "pending_refund" and total is not None:
            return self._refunded >= total
        return self._refunded >= self._complaint.amount

    def _refuse_refund(self, cmd: CaseAction, a: Any) -> None:
        self.event(
            "refund_refused", cmd.actor, explanation=a.explanation, evidence=list(a.evidence)
        )
        self._status = "platform_review"
        # Refusing with evidence handles the complaint: an overdue case's "unhandled"
        # clock stops, or a later must-refund verdict would close it before refund_by.
        self.state.late_until = None

    def _check_verdict(self, cmd: CaseAction, a: Any) -> None:
        if a.amount is None or self._in.rules < 2:
            return
        due = self._refund_amount(a)
        remaining = self._complaint.amount - self._refunded
        if due > remaining:
            raise refuse(
                "Invalid",
                f"amount due {due} exceeds the refundable amount "
                f"{remaining} {self._complaint.currency}",
            )

    def _verdict(self, cmd: CaseAction, a: Any) -> None:
        remaining = self._complaint.amount - self._refunded
        due = self._refund_amount(a) if a.amount is not None else remaining
        fields = {"amount_due": str(due)} if self._in.rules >= 2 else {}
        self.event("platform_verdict", cmd.actor, verdict=a.verdict, note=a.note, **fields)
        if a.verdict == "must_refund":
            self._status = "pending_refund"
            self.state.refund_by = workflow.now() + self._rules.refund_within
            if self._in.rules >= 2:
                self.state.refund_total = self._refunded + due
        else:
            self._close("refund_not_due", cmd.actor)

    def _check_resolve(self, cmd: CaseAction, a: Any) -> None:
        # The merchant refused the refund: only the platform's verdict, or the platform
        # itself, ends the review.
        if self._in.rules >= 2 and self._status == "platform_review" and cmd.role != "platform":
            raise refuse(
                "Forbidden", f"role {cmd.role!r} may not resolve a case in platform_review"
            )

    def _resolve(self, cmd: CaseAction, a: Any) -> None:
        self.event("resolved", cmd.actor, note=a.note)
        self._close("resolved", cmd.actor)

    def _escalate(self, cmd: CaseAction, a: Any) -> None:
        self.event("escalated", cmd.actor, note=a.note)
        self._status = "platform_review"

    ACTIONS = {
        **PENALTY_ACTIONS,
        "reply": Rule(_reply, OPEN, _check_reply),
        "refund": Rule(_do_refund, OPEN, _check_refund),
        "refuse_refund": Rule(_refuse_refund, ("awaiting_response", "overdue", "awaiting_outcome")),
        "platform_verdict": Rule(_verdict, ("platform_review",), _check_verdict),
        "resolve": Rule(_resolve, ("awaiting_outcome", "platform_review"), _check_resolve),
        "escalate": Rule(_escalate, ("awaiting_outcome",)),
    }
