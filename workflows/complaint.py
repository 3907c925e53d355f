"""ComplaintWorkflow: one merchant trade complaint, rules M1–M8 (seeds/003).

The case is a small state machine. Reviewer actions arrive as Updates (validated, so a
refused action never enters history) or Signals (for the Web UI); every transition goes
through `_perform` (actions) or `_fire` (deadlines), and `_flush` then sends the queued
notices, refreshes search attributes and writes the store projection. The main loop only
sleeps until the next deadline or until a handler changes the state.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from redress import search_attributes as sa
    from redress.models import (
        ROLE_ACTIONS,
        AppealRecord,
        CaseAction,
        CaseEffects,
        CaseResult,
        CaseStatus,
        CaseView,
        ComplaintCaseInput,
        NoticeRequest,
        Penalty,
        PenaltyReason,
        Recipient,
        RefundRequest,
        TimelineEvent,
    )

# No maximum attempts: a store or channel outage delays a case, it never loses a step.
# Domain refusals are non-retryable and surface to the reviewer at once.
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=["RefundDeclined", "InvalidNotice"],
)
# Short enough that work lost with a killed worker is retried soon; each call is one
# store write, render or gateway request.
ACTIVITY_TIMEOUT = timedelta(seconds=10)

# How a case carries out a state change's effects (projection, notices); refunds are
# always regular activities (they call out to a gateway and show as pending in the Web UI).
# - "batched" (the case's input says so; every case the intake opens now): one local
#   activity per state change. No patch marker: the choice is in the input, so a new case
#   costs the server no marker and no `TemporalChangeVersion` upsert.
# - "local": cases started under the `local-effects` patch before that, one local
#   activity per effect (a state change cost one workflow task instead of three plus an
#   activity task per effect: the dev server's CPU per case fell by about half).
# - "activities": cases started before the patch, a regular activity per effect.
LOCAL_EFFECTS = "local-effects"
EffectsPath = Literal["batched", "local", "activities"]

HANDLING_STATES: tuple[CaseStatus, ...] = ("awaiting_response", "overdue")
OPEN_REFUND_STATES: tuple[CaseStatus, ...] = (
    "awaiting_response",
    "overdue",
    "awaiting_outcome",
    "platform_review",
    "pending_refund",
)


def refuse(kind: str, message: str) -> ApplicationError:
    """A refused action; `kind` (Forbidden, NotFound, Conflict, Invalid) maps to 403/404/409/422."""
    return ApplicationError(message, type=kind, non_retryable=True)


@workflow.defn
class ComplaintWorkflow:
    @workflow.init
    def __init__(self, inp: ComplaintCaseInput) -> None:
        self._in = inp
        self._rules = inp.policy.complaint
        self._complaint = inp.complaint
        self._status: CaseStatus = "awaiting_response"
        self._outcome: str | None = None
        self._closed_at: datetime | None = None
        self._respond_by = inp.complaint.created_at + self._rules.handle_within
        self._outcome_by: datetime | None = None
        self._refund_by: datetime | None = None
        self._late_until: datetime | None = None  # after an overdue penalty: last chance
        self._reminders = sorted(self._respond_by - off for off in self._rules.reminders_before)
        self._penalties: list[Penalty] = []
        self._timeline: list[TimelineEvent] = []
        self._refunded = Decimal("0")
        self._refunds = 0
        self._fired: set[str] = set()
        self._outbox: list[NoticeRequest] = []
        self._version = 0
        self._wake = False
        self._received = False  # intake done: actions wait for it (they may arrive first)
        self._lock = asyncio.Lock()
        self._sa_state: tuple[Any, ...] | None = None
        self._effects: EffectsPath = "activities"

    # --- main loop ----------------------------------------------------------------------

    @workflow.run
    async def run(self, inp: ComplaintCaseInput) -> CaseResult:
        # Checked in this order so that a batched case never records the patch marker,
        # while cases started before replay exactly what they recorded.
        if inp.effects == "batched":
            self._effects = "batched"
        elif workflow.patched(LOCAL_EFFECTS):
            self._effects = "local"
        if self._effects != "activities":
            # The intake set the search attributes at start: upsert only what changes.
            self._sa_state = self._start_search_attributes()
        now = workflow.now()
        c = self._complaint
        # Reminders whose moment passed before the case reached us are skipped, not sent late.
        self._fired.update(self._alarm_key("reminder", at) for at in self._reminders if at <= now)
        self._event(
            "complaint_received",
            inp.source,
            complaint_id=c.id,
            created_at=c.created_at.isoformat(),
            category=c.category,
            amount=str(c.amount),
            currency=c.currency,
        )
        self._notify("acknowledgement", "user", "ack", respond_by=self._respond_by)
        async with self._lock:
            self._fire_due()  # a complaint older than 96 h is penalized before any action
            self._received = True
            await self._flush()

        while True:
            async with self._lock:
                if self._fire_due():
                    await self._flush()
                if self._finished():
                    break
                next_at = min((at for at, _, _ in self._alarms()), default=None)
                self._wake = False
            timeout = (next_at - workflow.now()) if next_at else None
            if timeout is not None and timeout <= timedelta(0):
                continue
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._wake, timeout=timeout)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CaseResult(
            case_id=inp.case_id,
            status=self._status,
            outcome=self._outcome,
            points=self._points(),
            refunded=self._refunded,
        )

    def _finished(self) -> bool:
        return self._status == "closed" and not any(
            p.state in ("active", "appealed") for p in self._penalties
        )

    # --- deadlines ----------------------------------------------------------------------

    @staticmethod
    def _alarm_key(name: str, at: datetime) -> str:
        return f"{name}@{at.isoformat()}"

    def _deadlines(self) -> dict[str, datetime]:
        d: dict[str, datetime] = {}
        if self._status == "awaiting_response":
            d["respond_by"] = self._respond_by
        if self._status == "awaiting_outcome" and self._outcome_by:
            d["outcome_by"] = self._outcome_by
        if self._status == "pending_refund" and self._refund_by:
            d["refund_by"] = self._refund_by
        if self._status in ("overdue", "pending_refund") and self._late_until:
            d["late_until"] = self._late_until
        for p in self._penalties:
            if p.state == "active":
                d[f"appeal_by:{p.id}"] = p.appeal_deadline
            elif p.state == "appealed" and p.review_deadline:
                d[f"review_by:{p.id}"] = p.review_deadline
        return d

    def _alarms(self) -> list[tuple[datetime, str, str]]:
        """Pending timers as (instant, name, key); a fired key never fires again."""
        items = [(at, name) for name, at in self._deadlines().items()]
        if self._status == "awaiting_response":
            items += [(at, "reminder") for at in self._reminders]
        out = [(at, name, self._alarm_key(name, at)) for at, name in items]
        return [a for a in out if a[2] not in self._fired]

    def _fire_due(self) -> bool:
        now = workflow.now()
        due = sorted(a for a in self._alarms() if a[0] <= now)
        for at, name, key in due:
            self._fired.add(key)
            self._fire(name, at)
        return bool(due)

    def _fire(self, name: str, at: datetime) -> None:
        rules = self._rules
        if name == "reminder" and self._status == "awaiting_response":
            if workflow.now() >= self._respond_by:
                return  # woke up past the deadline itself (worker was down): no stale warning
            remaining = self._respond_by - at
            self._notify(
                "deadline_reminder",
                "merchant",
                f"reminder:{int(remaining.total_seconds())}",
                respond_by=self._respond_by,
                remaining=_human(remaining),
            )
        elif name == "respond_by" and self._status == "awaiting_response":
            pen = self._impose("response_overdue", rules.response_overdue_points)
            self._status = "overdue"
            self._late_until = pen.appeal_deadline
        elif name == "outcome_by" and self._status == "awaiting_outcome":
            # Silence from the user and the platform counts as acceptance.
            self._close("accepted", "system")
        elif name == "refund_by" and self._status == "pending_refund":
            pen = self._impose("refund_overdue", rules.refund_overdue_points)
            self._late_until = pen.appeal_deadline
        elif name == "late_until":
            self._close("unhandled" if self._status == "overdue" else "refund_unpaid", "system")
        elif name.startswith("appeal_by:"):
            pen = self._penalty(name.split(":", 1)[1])
            if pen.state == "active":
                pen.state = "final"
                self._event("appeal_window_closed", "system", penalty_id=pen.id)
        elif name.startswith("review_by:"):
            pen = self._penalty(name.split(":", 1)[1])
            if pen.state == "appealed":
                self._event("appeal_review_overdue", "system", penalty_id=pen.id)

    def _impose(self, reason: PenaltyReason, points: int) -> Penalty:
        now = workflow.now()
        window = (
            self._rules.response_appeal_window
            if reason == "response_overdue"
            else self._rules.refund_appeal_window
        )
        pen = Penalty(
            id=f"P{len(self._penalties) + 1}",
            reason=reason,
            points=points,
            imposed_at=now,
            appeal_deadline=now + window,
        )
        self._penalties.append(pen)
        self._event(
            "penalty",
            "platform",
            penalty_id=pen.id,
            reason=reason,
            points=points,
            appeal_deadline=pen.appeal_deadline.isoformat(),
        )
        self._notify(
            "penalty",
            "merchant",
            f"penalty:{pen.id}",
            penalty_id=pen.id,
            reason=reason,
            points=points,
            appeal_deadline=pen.appeal_deadline,
        )
        return pen

    def _close(self, outcome: str, actor: str) -> None:
        self._status = "closed"
        self._outcome = outcome
        self._closed_at = workflow.now()
        self._late_until = None
        self._event("closed", actor, outcome=outcome)

    # --- reviewer actions ---------------------------------------------------------------

    @workflow.update(name="act")
    async def act(self, cmd: CaseAction) -> CaseView:
        await workflow.wait_condition(lambda: self._received)
        async with self._lock:
            self._check(cmd)  # again: the state may have moved since validation
            await self._perform(cmd)
            await self._flush()
        return self._view()

    @act.validator
    def validate_act(self, cmd: CaseAction) -> None:
        self._check(cmd)

    @workflow.signal(name="act_signal")
    async def act_signal(self, cmd: CaseAction) -> None:
        """The same actions from the Web UI; a refusal lands in the timeline."""
        await workflow.wait_condition(lambda: self._received)
        async with self._lock:
            try:
                self._check(cmd)
                await self._perform(cmd)
            except ApplicationError as err:
                self._event("action_refused", cmd.actor, action=cmd.action.type, reason=err.message)
            await self._flush()

    @workflow.query(name="case")
    def case(self) -> CaseView:
        return self._view()

    def _check(self, cmd: CaseAction) -> None:
        a = cmd.action
        if a.type not in ROLE_ACTIONS[cmd.role]:
            raise refuse("Forbidden", f"role {cmd.role!r} may not take action {a.type!r}")
        now = workflow.now()
        if a.type == "appeal":
            pen = self._find_penalty(a.penalty_id)
            if pen.state == "final" or (pen.state == "active" and now > pen.appeal_deadline):
                raise refuse(
                    "Conflict",
                    f"the appeal window for penalty {pen.id} closed at "
                    f"{pen.appeal_deadline.isoformat()}",
                )
            if pen.state != "active":
                raise refuse("Conflict", f"penalty {pen.id} is {pen.state}; it cannot be appealed")
            return
        if a.type == "appeal_decision":
            pen = self._find_penalty(a.penalty_id)
            if pen.state != "appealed":
                raise refuse(
                    "Conflict", f"penalty {pen.id} is {pen.state}; there is no appeal to decide"
                )
            return
        if self._status == "closed":
            raise refuse(
                "Conflict",
                f"case {self._in.case_id} is closed ({self._outcome}); "
                "only appeals inside their window are accepted",
            )
        allowed: dict[str, tuple[CaseStatus, ...]] = {
            "reply": OPEN_REFUND_STATES,
            "refund": OPEN_REFUND_STATES,
            "refuse_refund": ("awaiting_response", "overdue", "awaiting_outcome"),
            "platform_verdict": ("platform_review",),
            "resolve": ("awaiting_outcome", "platform_review"),
            "escalate": ("awaiting_outcome",),
        }
        if self._status not in allowed[a.type]:
            raise refuse("Conflict", f"action {a.type!r} is not possible while {self._status}")
        if a.type == "refund":
            remaining = self._complaint.amount - self._refunded
            if a.amount > remaining:
                raise refuse(
                    "Invalid",
                    f"refund of {a.amount} exceeds the refundable amount "
                    f"{remaining} {self._complaint.currency}",
                )

    async def _perform(self, cmd: CaseAction) -> None:
        a, actor, now = cmd.action, cmd.actor, workflow.now()
        if a.type == "reply":
            self._event("message", actor, role=cmd.role, to=a.to, message=a.message)
            if self._status in HANDLING_STATES:
                self._handled(now)
        elif a.type == "refund":
            receipt = await self._refund(a.amount)
            self._refunded += receipt.amount
            self._event(
                "refund",
                actor,
                amount=str(receipt.amount),
                refund_id=receipt.refund_id,
                note=a.note,
            )
            self._notify(
                "refund_done",
                "user",
                f"refund:{receipt.refund_id}",
                refund_amount=str(receipt.amount),
                refund_id=receipt.refund_id,
            )
            if self._status in HANDLING_STATES:
                self._handled(now)
            elif self._status in ("pending_refund", "platform_review"):
                self._close("refunded", actor)
        elif a.type == "refuse_refund":
            self._event(
                "refund_refused", actor, explanation=a.explanation, evidence=list(a.evidence)
            )
            self._status = "platform_review"
            # Refusing with evidence handles the complaint: an overdue case's "unhandled"
            # clock stops, or a later must-refund verdict would close it before refund_by.
            self._late_until = None
        elif a.type == "platform_verdict":
            self._event("platform_verdict", actor, verdict=a.verdict, note=a.note)
            if a.verdict == "must_refund":
                self._status = "pending_refund"
                self._refund_by = now + self._rules.refund_within
            else:
                self._close("refund_not_due", actor)
        elif a.type == "resolve":
            self._event("resolved", actor, note=a.note)
            self._close("resolved", actor)
        elif a.type == "escalate":
            self._event("escalated", actor, note=a.note)
            self._status = "platform_review"
        elif a.type == "appeal":
            pen = self._penalty(a.penalty_id)
            pen.state = "appealed"
            pen.appeal = AppealRecord(
                statement=a.statement, evidence=list(a.evidence), filed_at=now, actor=actor
            )
            pen.review_deadline = self._rules.appeal_review.after(now, self._in.policy.calendar)
            self._event(
                "appeal",
                actor,
                penalty_id=pen.id,
                statement=a.statement,
                evidence=list(a.evidence),
                review_deadline=pen.review_deadline.isoformat(),
            )
        elif a.type == "appeal_decision":
            pen = self._penalty(a.penalty_id)
            pen.state = "revoked" if a.approved else "upheld"
            if pen.appeal:
                pen.appeal.decided_at, pen.appeal.decided_by, pen.appeal.note = now, actor, a.note
            self._event(
                "appeal_decision", actor, penalty_id=pen.id, approved=a.approved, note=a.note
            )
            self._notify(
                "appeal_outcome",
                "merchant",
                f"appeal:{pen.id}",
                penalty_id=pen.id,
                approved=a.approved,
                note=a.note,
            )
        self._wake = True

    def _handled(self, now: datetime) -> None:
        self._status = "awaiting_outcome"
        self._outcome_by = now + self._rules.outcome_wait
        self._late_until = None

    async def _refund(self, amount: Decimal) -> Any:
        self._refunds += 1
        c = self._complaint
        request = RefundRequest(
            idempotency_key=f"{self._in.case_id}:refund:{self._refunds}",
            case_id=self._in.case_id,
            merchant_id=c.merchant_id,
            trade_no=c.trade_no,
            amount=amount,
            currency=c.currency,
        )
        try:
            return await workflow.execute_activity_method(
                CaseActivities.issue_refund,
                request,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(err)
            raise refuse("Invalid", f"the gateway declined the refund: {message}") from err

    def _find_penalty(self, penalty_id: str) -> Penalty:
        for pen in self._penalties:
            if pen.id == penalty_id:
                return pen
        raise refuse("NotFound", f"case {self._in.case_id} has no penalty {penalty_id!r}")

    _penalty = _find_penalty

    # --- effects: notices, search attributes, projection --------------------------------

    def _event(self, type_: str, actor: str, **fields: Any) -> None:
        self._timeline.append(TimelineEvent(at=workflow.now(), type=type_, actor=actor, **fields))

    def _notify(self, template: str, to: str, key: str, **context: Any) -> None:
        c = self._complaint
        if to == "user":
            recipient = Recipient(
                kind="user", channel=c.user.contact.channel, address=c.user.contact.address
            )
        else:
            recipient = Recipient(kind="merchant", channel="desk", address=c.merchant_id)
        self._outbox.append(
            NoticeRequest(
                idempotency_key=f"{self._in.case_id}:{key}",
                case_id=self._in.case_id,
                template=template,
                locale=c.user.locale,
                recipient=recipient,
                context={
                    "case_id": self._in.case_id,
                    "trade_no": c.trade_no,
                    "merchant_id": c.merchant_id,
                    "amount": str(c.amount),
                    "currency": c.currency,
                    "category": c.category,
                    **{
                        k: v.isoformat() if isinstance(v, datetime) else v
                        for k, v in context.items()
                    },
                },
            )
        )
        self._event("notice", "system", template=template, to=to, channel=recipient.channel)

    async def _flush(self) -> None:
        """Write the projection and send queued notices; refresh the UI fields."""
        self._version += 1
        outbox, self._outbox = self._outbox, []
        self._update_search_attributes()
        view = self._view()
        if self._effects == "batched":
            await workflow.execute_local_activity_method(
                CaseActivities.apply_effects,
                CaseEffects(view=view, notices=outbox),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
            )
            return
        run_effect: Any = (
            workflow.execute_local_activity_method
            if self._effects == "local"
            else workflow.execute_activity_method
        )
        await asyncio.gather(
            *(
                run_effect(
                    CaseActivities.send_notice,
                    notice,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    retry_policy=RETRY,
                )
                for notice in outbox
            ),
            run_effect(
                CaseActivities.project_case,
                view,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
            ),
        )

    def _points(self) -> int:
        return sum(p.points for p in self._penalties if p.state != "revoked")

    def _search_attribute_state(self) -> tuple[Any, ...]:
        next_deadline = min(self._deadlines().values(), default=None)
        penalized = any(p.state != "revoked" for p in self._penalties)
        return (self._status, next_deadline, penalized, self._points())

    @staticmethod
    def _start_search_attributes() -> tuple[Any, ...]:
        current = workflow.info().typed_search_attributes
        return (
            current.get(sa.CASE_STATUS),
            current.get(sa.NEXT_DEADLINE),
            current.get(sa.PENALIZED),
            current.get(sa.POINTS),
        )

    def _update_search_attributes(self) -> None:
        state = self._search_attribute_state()
        status, next_deadline, penalized, points = state
        if state != self._sa_state:
            self._sa_state = state
            updates: list[SearchAttributeUpdate[Any]] = [
                sa.CASE_STATUS.value_set(status),
                sa.PENALIZED.value_set(penalized),
                sa.POINTS.value_set(points),
                sa.NEXT_DEADLINE.value_set(next_deadline)
                if next_deadline
                else sa.NEXT_DEADLINE.value_unset(),
            ]
            workflow.upsert_search_attributes(updates)
        lines = [f"**{self._status}**" + (f" ({self._outcome})" if self._outcome else "")]
        lines += [f"- {name}: {at.isoformat()}" for name, at in sorted(self._deadlines().items())]
        lines += [
            f"- penalty {p.id}: {p.reason}, {p.points} pt, {p.state}" for p in self._penalties
        ]
        workflow.set_current_details("\n".join(lines))

    def _view(self) -> CaseView:
        c = self._complaint
        return CaseView(
            case_id=self._in.case_id,
            workflow_id=workflow.info().workflow_id,
            status=self._status,
            outcome=self._outcome,
            merchant_id=c.merchant_id,
            trade_no=c.trade_no,
            amount=c.amount,
            refunded=self._refunded,
            currency=c.currency,
            category=c.category,
            locale=c.user.locale,
            created_at=c.created_at,
            closed_at=self._closed_at,
            policy=self._in.policy.name,
            deadlines=self._deadlines(),
            penalties=[p.model_copy(deep=True) for p in self._penalties],
            timeline=list(self._timeline),
            version=self._version,
        )


def _human(td: timedelta) -> str:
    seconds = int(td.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"
