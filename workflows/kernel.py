"""The case kernel: what every kind of case does, whatever its rules.

A kind subclasses `CaseWorkflow` (with `@workflow.defn`) and writes only its rules: its
statuses, its deadlines (`_case_deadlines`, `_reminders`, `_on_alarm`) and its action table
(`ACTIONS`: action type → handler, allowed statuses, extra check). The kernel gives it named
alarms that fire once and the loop that sleeps until the next; the Update `act` (validated:
a refused action never enters history), the Signal `act_signal` (the same from the Web UI; a
refusal lands in the timeline) and the Query `case`; the timeline, the notice outbox with
idempotency keys and refunds; one local activity per state change (projection, then
notices); search attributes upserted only when they change, and the Web UI's details.

Every transition happens under one lock, so an action and a deadline that arrive together
never interleave half-way through each other's effects.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import TypeAdapter, ValidationError

    from activities.cases import CaseActivities
    from redress import search_attributes as sa
    from redress.models.case import (
        ActionReceipt,
        CarriedState,
        CaseAction,
        CaseEffects,
        CaseInput,
        CaseResult,
        CaseUser,
        CaseView,
        NoticeRequest,
        Recipient,
        RefundReceipt,
        RefundRequest,
        Role,
        TimelineEvent,
    )
    from redress.refusals import refuse

if TYPE_CHECKING:
    from workflows.penalties import PenaltyBook

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


@dataclass(frozen=True)
class Rule:
    """How the kernel dispatches one action type.

    `handler(case, cmd, action)` makes the change (sync, or async when it awaits an
    activity). `states` lists the statuses the action is possible in; `None` leaves it to
    `check` alone, closed cases included (an appeal outlives its case). `check(case, cmd,
    action)` refuses what the statuses cannot tell, before anything changes."""

    handler: Callable[..., Any]
    states: tuple[str, ...] | None = ()
    check: Callable[[Any, CaseAction, Any], None] | None = None


@dataclass(frozen=True)
class CaseFacts:
    """What a case is about, as the envelope, the notices and the Web UI show it."""

    merchant_id: str
    amount: Decimal
    currency: str
    created_at: datetime
    user: CaseUser
    trade_no: str | None = None
    category: str | None = None


class CaseWorkflow:
    KIND: ClassVar[str]
    ACTIONS: ClassVar[Mapping[str, Rule]]
    ACTION_TYPES: ClassVar[TypeAdapter[Any]]  # parses `CaseAction.action`
    ROLES: ClassVar[Mapping[Role, frozenset[str]]]  # role → action types it may take
    CLOSED_NOTE: ClassVar[str] = ""  # what a closed case still accepts, for the refusal

    def __init__(self, inp: CaseInput, facts: CaseFacts, status: str) -> None:
        self._in = inp
        self.facts = facts
        self._status = status
        self._outcome: str | None = None
        self._closed_at: datetime | None = None
        self._timeline: list[TimelineEvent] = []
        self._outbox: list[NoticeRequest] = []
        self._fired: set[str] = set()
        self._refunded = Decimal("0")
        self._refunds = 0
        self._version = 0
        self._wake = False
        self._received = False  # opened: actions wait for it (they may arrive first)
        self._lock = asyncio.Lock()
        self._sa_state: tuple[Any, ...] | None = None
        self.penalties: PenaltyBook | None = None

    # --- what a kind provides -----------------------------------------------------------

    def _open(self) -> None:
        """The case arrived: its first timeline entries and notices."""

    def _case_deadlines(self) -> dict[str, datetime]:
        """The kind's deadlines that are running now, by name (shown in the view)."""
        return {}

    def _reminders(self) -> list[tuple[datetime, str]]:
        """Alarms that are not deadlines (warnings before one), as (instant, name)."""
        return []

    def _on_alarm(self, name: str, at: datetime) -> None:
        """An alarm's instant has come (once per name and instant)."""

    def _details(self) -> dict[str, Any]:
        """What only this kind shows, under the envelope's `details`."""
        return {}

    def _kind_state(self) -> dict[str, Any]:
        """The kind's own state that a continued run needs (JSON values)."""
        return {}

    def _restore_kind(self, state: dict[str, Any]) -> None:
        """Take back what `_kind_state` handed over."""

    def _history_limit(self) -> int | None:
        """Continue as new past this many history events (the policy's), if at all."""
        return None

    # --- main loop ----------------------------------------------------------------------

    async def _serve(self) -> CaseResult:
        """Open the case, then sleep until the next alarm or a change, until finished."""
        # The intake set the search attributes at start (a continued run inherits them):
        # upsert only what changes.
        self._sa_state = self._start_search_attributes()
        if self._in.carried:
            self._resume(self._in.carried)
        else:
            self._open()
        async with self._lock:
            self._fire_due()  # e.g. a complaint older than its deadline: penalized at once
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
                full = self._history_full()
            if full:
                # Outside the lock: handlers waiting for it must finish first. Nothing runs
                # between their end and the new run: both happen in this one task.
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self._in.model_copy(update={"carried": self._carry()}))
            timeout = (next_at - workflow.now()) if next_at else None
            if timeout is not None and timeout <= timedelta(0):
                continue
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._wake, timeout=timeout)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CaseResult(
            case_id=self._in.case_id,
            status=self._status,
            outcome=self._outcome,
            points=self.penalties.points() if self.penalties else 0,
            refunded=self._refunded,
        )

    # --- a long case goes on in a new run ------------------------------------------------

    def _history_full(self) -> bool:
        info, limit = workflow.info(), self._history_limit()
        if limit is None:
            return False
        return info.get_current_history_length() >= limit or info.is_continue_as_new_suggested()

    def _carry(self) -> CarriedState:
        return CarriedState(
            status=self._status,
            outcome=self._outcome,
            closed_at=self._closed_at,
            timeline=self._timeline,
            fired=sorted(self._fired),
            refunded=self._refunded,
            refunds=self._refunds,
            version=self._version,
            penalties=self.penalties.snapshot() if self.penalties else [],
            kind=self._kind_state(),
        )

    def _resume(self, carried: CarriedState) -> None:
        self._status, self._outcome = carried.status, carried.outcome
        self._closed_at, self._timeline = carried.closed_at, list(carried.timeline)
        self._fired, self._version = set(carried.fired), carried.version
        self._refunded, self._refunds = carried.refunded, carried.refunds
        if self.penalties:
            self.penalties.items = list(carried.penalties)
        self._restore_kind(carried.kind)
        self._event("continued", "system", run=workflow.info().run_id)

    def _finished(self) -> bool:
        """Closed, and no penalty can still be appealed or decided."""
        return self._status == "closed" and not (self.penalties and self.penalties.open())

    def _close(self, outcome: str, actor: str) -> None:
        self._status = "closed"
        self._outcome = outcome
        self._closed_at = workflow.now()
        self._event("closed", actor, outcome=outcome)

    # --- alarms -------------------------------------------------------------------------

    def _deadlines(self) -> dict[str, datetime]:
        penalties = self.penalties.deadlines() if self.penalties else {}
        return {**self._case_deadlines(), **penalties}

    def _alarms(self) -> list[tuple[datetime, str, str]]:
        """Pending alarms as (instant, name, key); a fired key never fires again."""
        items = [(at, name) for name, at in self._deadlines().items()] + self._reminders()
        out = [(at, name, alarm_key(name, at)) for at, name in items]
        return [a for a in out if a[2] not in self._fired]

    def _skip_passed(self, alarms: list[tuple[datetime, str]]) -> None:
        """Alarms whose moment passed before the case reached us are skipped, not sent late."""
        now = workflow.now()
        self._fired.update(alarm_key(name, at) for at, name in alarms if at <= now)

    def _fire_due(self) -> bool:
        now = workflow.now()
        due = sorted(a for a in self._alarms() if a[0] <= now)
        for at, name, key in due:
            self._fired.add(key)
            if not (self.penalties and self.penalties.on_alarm(name)):
                self._on_alarm(name, at)
        return bool(due)

    # --- reviewer actions ---------------------------------------------------------------

    @workflow.update(name="act")
    async def act(self, cmd: CaseAction) -> ActionReceipt:
        await workflow.wait_condition(lambda: self._received)
        async with self._lock:
            action = self._check(cmd)  # again: the state may have moved since validation
            await self._perform(cmd, action)
            await self._flush()
            return ActionReceipt(
                case_id=self._in.case_id,
                status=self._status,
                outcome=self._outcome,
                version=self._version,
            )

    @act.validator
    def validate_act(self, cmd: CaseAction) -> None:
        self._check(cmd)

    @workflow.signal(name="act_signal")
    async def act_signal(self, cmd: CaseAction) -> None:
        await workflow.wait_condition(lambda: self._received)
        async with self._lock:
            try:
                action = self._check(cmd)
                await self._perform(cmd, action)
            except ApplicationError as err:
                kind = str(cmd.action.get("type", "?"))[:32]
                self._event("action_refused", cmd.actor, action=kind, reason=err.message)
            await self._flush()

    @workflow.query(name="case")
    def case(self) -> CaseView:
        return self._view()

    def _check(self, cmd: CaseAction) -> Any:
        """The parsed action, or a refusal: roles, then statuses, then the rule's check."""
        try:
            action = self.ACTION_TYPES.validate_python(cmd.action)
        except ValidationError as err:
            raise refuse("Invalid", f"invalid action: {err.errors()[0]['msg']}") from err
        if action.type not in self.ROLES.get(cmd.role, frozenset()):
            raise refuse("Forbidden", f"role {cmd.role!r} may not take action {action.type!r}")
        rule = self.ACTIONS[action.type]
        if rule.states is not None:
            if self._status == "closed":
                note = f"; {self.CLOSED_NOTE}" if self.CLOSED_NOTE else ""
                raise refuse(
                    "Conflict", f"case {self._in.case_id} is closed ({self._outcome}){note}"
                )
            if self._status not in rule.states:
                raise refuse(
                    "Conflict", f"action {action.type!r} is not possible while {self._status}"
                )
        if rule.check:
            rule.check(self, cmd, action)
        return action

    async def _perform(self, cmd: CaseAction, action: Any) -> None:
        done = self.ACTIONS[action.type].handler(self, cmd, action)
        if inspect.isawaitable(done):
            await done
        self._wake = True

    # --- timeline, notices, refunds -----------------------------------------------------

    def _event(self, type_: str, actor: str, **fields: Any) -> None:
        self._timeline.append(TimelineEvent(at=workflow.now(), type=type_, actor=actor, **fields))

    def _notify(self, template: str, to: str, key: str, **context: Any) -> None:
        """Queue a notice; it goes out with the state change's effects, once per key."""
        f = self.facts
        if to == "user":
            recipient = Recipient(
                kind="user", channel=f.user.contact.channel, address=f.user.contact.address
            )
        else:
            recipient = Recipient(kind="merchant", channel="desk", address=f.merchant_id)
        self._outbox.append(
            NoticeRequest(
                idempotency_key=f"{self._in.case_id}:{key}",
                case_id=self._in.case_id,
                kind=self.KIND,
                template=template,
                locale=f.user.locale,
                recipient=recipient,
                context={
                    "case_id": self._in.case_id,
                    "trade_no": f.trade_no,
                    "merchant_id": f.merchant_id,
                    "amount": str(f.amount),
                    "currency": f.currency,
                    "category": f.category,
                    **{
                        k: v.isoformat() if isinstance(v, datetime) else v
                        for k, v in context.items()
                    },
                },
            )
        )
        self._event("notice", "system", template=template, to=to, channel=recipient.channel)

    async def _refund(self, amount: Decimal) -> RefundReceipt:
        """Refund through the gateway, keyed `<case>:refund:<n>`; a decline is a refusal."""
        self._refunds += 1
        f = self.facts
        request = RefundRequest(
            idempotency_key=f"{self._in.case_id}:refund:{self._refunds}",
            case_id=self._in.case_id,
            merchant_id=f.merchant_id,
            trade_no=f.trade_no or "",
            amount=amount,
            currency=f.currency,
        )
        try:
            receipt: RefundReceipt = await workflow.execute_activity_method(
                CaseActivities.issue_refund,
                request,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            message = cause.message if isinstance(cause, ApplicationError) else str(err)
            raise refuse("Invalid", f"the gateway declined the refund: {message}") from err
        self._refunded += receipt.amount
        return receipt

    # --- effects: projection, notices, search attributes --------------------------------

    async def _flush(self) -> None:
        """One local activity per state change: the projection, then the queued notices."""
        self._version += 1
        outbox, self._outbox = self._outbox, []
        self._update_search_attributes()
        await workflow.execute_local_activity_method(
            CaseActivities.apply_effects,
            CaseEffects(view=self._view(), notices=outbox),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )

    def _search_attributes(self) -> list[tuple[SearchAttributeKey[Any], Any]]:
        """The Web UI's columns for this case, in upsert order; `None` unsets."""
        book = self.penalties
        return [
            (sa.CASE_STATUS, self._status),
            (sa.PENALIZED, bool(book and book.penalized())),
            (sa.POINTS, book.points() if book else 0),
            (sa.NEXT_DEADLINE, min(self._deadlines().values(), default=None)),
        ]

    def _start_search_attributes(self) -> tuple[Any, ...]:
        current = workflow.info().typed_search_attributes
        return tuple(current.get(key) for key, _ in self._search_attributes())

    def _update_search_attributes(self) -> None:
        pairs = self._search_attributes()
        state = tuple(value for _, value in pairs)
        if state != self._sa_state:
            self._sa_state = state
            updates: list[SearchAttributeUpdate[Any]] = [
                key.value_unset() if value is None else key.value_set(value) for key, value in pairs
            ]
            workflow.upsert_search_attributes(updates)
        lines = [f"**{self._status}**" + (f" ({self._outcome})" if self._outcome else "")]
        lines += [f"- {name}: {at.isoformat()}" for name, at in sorted(self._deadlines().items())]
        if self.penalties:
            lines += self.penalties.detail_lines()
        workflow.set_current_details("\n".join(lines))

    def _view(self) -> CaseView:
        f = self.facts
        return CaseView(
            case_id=self._in.case_id,
            workflow_id=workflow.info().workflow_id,
            kind=self.KIND,
            status=self._status,
            outcome=self._outcome,
            merchant_id=f.merchant_id,
            trade_no=f.trade_no,
            amount=f.amount,
            refunded=self._refunded,
            currency=f.currency,
            category=f.category,
            locale=f.user.locale,
            created_at=f.created_at,
            closed_at=self._closed_at,
            policy=self._in.policy.name,
            deadlines=self._deadlines(),
            penalties=self.penalties.snapshot() if self.penalties else [],
            timeline=list(self._timeline),
            version=self._version,
            details=self._details(),
        )


def alarm_key(name: str, at: datetime) -> str:
    return f"{name}@{at.isoformat()}"
