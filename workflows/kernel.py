"""The case kernel: what every kind of case does, whatever its rules.

A kind subclasses `CaseWorkflow` (with `@workflow.defn`) and writes only its rules: its
statuses (`STATUSES`), its state (`state`: one pydantic model, carried whole to a continued
run), its deadlines (`_case_deadlines`, `_reminders`, `_on_alarm`: typed `Alarm`s) and its
action table (`ACTIONS`: action type → handler, allowed statuses, extra check). The kernel
gives it alarms that fire once and the loop that sleeps until the next; the Update `act` (validated:
a refused action never enters history), the Signal `act_signal` (for the Web UI, held to
what its claimed role could do through the API, deduplicated by request ID and audited: see
`_signalled`; a refusal lands in the timeline) and the Query `case`; the timeline, the
notice outbox with idempotency keys and refunds; one local activity per state change
(projection, audit, then notices); search attributes upserted only when they change, and
the Web UI's details.

The outward half (timeline, notices, projection, Web UI fields) is `workflows/outputs.py`.
Every transition happens under one lock, so an action and a deadline that arrive together
never interleave half-way through each other's effects.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as ActivityTimeout

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, TypeAdapter, ValidationError

    from activities.cases import CaseActivities
    from redress.models.case import (
        INCOMING,
        INTAKE_ROLES,
        ROLES,
        VERDICT_ROLES,
        ActionAudit,
        ActionReceipt,
        CarriedState,
        CaseAction,
        CaseInput,
        CaseResult,
        CaseView,
        NoticeRequest,
        RefundReceipt,
        RefundRequest,
        Role,
        TimelineEvent,
        is_verdict,
        moves_money,
    )
    from redress.policy import LimitsPolicy, SignalsPolicy
    from redress.refusals import http_status, refuse

from workflows.actions import Rule
from workflows.alarms import Alarm
from workflows.outputs import CaseFacts, CaseOutputs
from workflows.penalties import PenaltyAlarm, PenaltyBook

__all__ = ["Alarm", "CaseFacts", "CaseWorkflow", "KindState", "Rule"]

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
# The Signal `act_signal` held to the API's rules (roles, money and verdicts by policy,
# request IDs acted on once, an audit entry each); cases that took signals before run on.
SIGNAL_RULES = "signal-path-rules"
REQUEST_ID_CHARS = 128  # as long as the API's Idempotency-Key may be


class KindState(BaseModel):
    """A kind's own state, beside the kernel's: one model, handed whole to a continued run
    (`CarriedState.kind`, its JSON) and read back with the same model. A kind subclasses
    it (and declares `state: <its model>`); a field added later needs a default, so that
    the state of a case that ran before reads back."""


class CaseWorkflow(CaseOutputs):
    RETRY = RETRY
    ACTIVITY_TIMEOUT = ACTIVITY_TIMEOUT
    KIND: ClassVar[str]
    ACTIONS: ClassVar[Mapping[str, Rule]]
    ACTION_TYPES: ClassVar[TypeAdapter[Any]]  # parses `CaseAction.action`
    ROLES: ClassVar[Mapping[Role, frozenset[str]]]  # role → action types it may take
    CLOSED_NOTE: ClassVar[str] = ""  # what a closed case still accepts, for the refusal
    state: BaseModel  # the kind's own (a `KindState`)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A rule naming a status its kind lacks would never match: refused at import.
        super().__init_subclass__(**kwargs)
        statuses = set(getattr(cls, "STATUSES", ()))
        for name, rule in getattr(cls, "ACTIONS", {}).items():
            unknown = set(rule.states or ()) - statuses
            if unknown:
                raise TypeError(f"{cls.__name__}.ACTIONS[{name!r}]: no status {unknown}")

    def __init__(self, inp: CaseInput, facts: CaseFacts, status: str) -> None:
        self._in = inp
        self.facts = facts
        self._status = status
        self.state = KindState()
        self._outcome: str | None = None
        self._closed_at: datetime | None = None
        self._timeline: list[TimelineEvent] = []
        self._timeline_from = 0  # entries before `_timeline[0]` (handed over to the store)
        self._outbox: list[NoticeRequest] = []
        self._asked: list[StrEnum] = []  # work for activities, done by `_flush` (`_ask`)
        self._fired: set[str] = set()
        self._refunded = Decimal("0")
        self._refunds = 0
        self._version = 0
        self._wake = False
        self._received = False  # opened: actions wait for it (they may arrive first)
        self._lock = asyncio.Lock()
        self._sa_state: tuple[Any, ...] | None = None
        self.penalties: PenaltyBook | None = None
        self._requests: list[str] = []  # request IDs acted on, newest last (bounded)
        self._signals = 0  # signals received, for their audit entries' keys
        self._audit: list[ActionAudit] = []  # written with the next effects

    # --- what a kind provides -----------------------------------------------------------

    def _open(self) -> None:
        """The case arrived: its first timeline entries and notices."""

    def _case_deadlines(self) -> list[Alarm]:
        """The kind's deadlines that are running now (shown in the view, by label)."""
        return []

    def _reminders(self) -> list[Alarm]:
        """Alarms that are not deadlines (warnings before one)."""
        return []

    def _on_alarm(self, alarm: Alarm) -> None:
        """One of the kind's alarms has come (once per label and instant); one it does not
        know raises (`workflows.alarms.unknown`)."""
        raise ValueError(f"a {self.KIND} case has no alarm {alarm.label!r}")

    def _details(self) -> dict[str, Any]:
        """What only this kind shows, under the envelope's `details`."""
        return {}

    def _resumed(self) -> None:
        """A continued run took back the carried state (`state` included): what follows
        from it that the state does not hold (facts rebuilt, records asked for again)."""

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
                next_at = min((a.at for a in self._alarms()), default=None)
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
        timeline, start = carried_timeline(self._timeline, self._in.policy.limits)
        return CarriedState(
            status=self._status,
            outcome=self._outcome,
            closed_at=self._closed_at,
            timeline=timeline,
            timeline_from=self._timeline_from + start,
            fired=sorted(self._fired),
            refunded=self._refunded,
            refunds=self._refunds,
            version=self._version,
            penalties=self.penalties.snapshot() if self.penalties else [],
            kind=self.state.model_dump(mode="json"),  # the kind's state, whole
            requests=list(self._requests),
            signals=self._signals,
            history_before=(self._in.carried.history_before if self._in.carried else 0)
            + workflow.info().get_current_history_length(),
        )

    def _resume(self, carried: CarriedState) -> None:
        self._status, self._outcome = carried.status, carried.outcome
        self._closed_at, self._timeline = carried.closed_at, list(carried.timeline)
        self._timeline_from = carried.timeline_from
        self._fired, self._version = set(carried.fired), carried.version
        self._refunded, self._refunds = carried.refunded, carried.refunds
        if self.penalties:
            self.penalties.items = list(carried.penalties)
        self.state = self.state.model_validate(carried.kind)  # the same model reads it back
        self._resumed()
        self._requests, self._signals = list(carried.requests), carried.signals
        self.event("continued", "system", run=workflow.info().run_id)

    def _finished(self) -> bool:
        """Closed, and no penalty can still be appealed or decided."""
        return self._status == "closed" and not (self.penalties and self.penalties.open())

    def _close(self, outcome: str, actor: str) -> None:
        self._status = "closed"
        self._outcome = outcome
        self._closed_at = workflow.now()
        self.event("closed", actor, outcome=outcome)

    # --- alarms -------------------------------------------------------------------------

    def _deadline_alarms(self) -> list[Alarm]:
        penalties = self.penalties.deadlines() if self.penalties else []
        return [*self._case_deadlines(), *penalties]

    def _alarms(self) -> list[Alarm]:
        """Pending alarms; a fired key never fires again."""
        alarms = [*self._deadline_alarms(), *self._reminders()]
        return [a for a in alarms if a.key not in self._fired]

    def _skip_passed(self, alarms: list[Alarm]) -> None:
        """Alarms whose moment passed before the case reached us are skipped, not sent late."""
        now = workflow.now()
        self._fired.update(a.key for a in alarms if a.at <= now)

    def _fire_due(self) -> bool:
        now = workflow.now()
        due = sorted((a for a in self._alarms() if a.at <= now), key=Alarm.order)
        for alarm in due:
            self._fired.add(alarm.key)
            if isinstance(alarm.name, PenaltyAlarm):
                assert self.penalties is not None, alarm
                self.penalties.on_alarm(alarm)
            else:
                self._on_alarm(alarm)
        return bool(due)

    # --- reviewer actions ---------------------------------------------------------------

    @workflow.update(name="act")
    async def act(self, cmd: CaseAction) -> ActionReceipt:
        await workflow.wait_condition(lambda: self._received)
        async with self._lock:
            action = self._check(cmd)  # again: the state may have moved since validation
            await self._perform(cmd, action)
            # A signal repeating this request (the API sends its request ID as the Update's
            # ID) acts none. State only, no command: nothing to guard, no patch marker.
            update = workflow.current_update_info()
            for seen in dict.fromkeys([cmd.request_id, update.id if update else None]):
                if seen:
                    self._remember(seen)
            await self._flush()
            return ActionReceipt(
                case_id=self._in.case_id,
                status=self._status,
                outcome=self._outcome,
                version=self._version,
            )

    @act.validator
    def validate_act(self, cmd: CaseAction) -> None:
        # Validators never run on replay: new Updates get the incoming checks, while the
        # handler's own `_check` reads what history holds.
        self._check(cmd, incoming=True)

    @workflow.signal(name="act_signal")
    async def act_signal(self, raw: Any) -> None:
        # Taken as sent (a `CaseAction`'s JSON) and parsed here: a claim the model refuses
        # (a role such as `system`) is refused and audited, not dropped unseen by the SDK.
        await workflow.wait_condition(lambda: self._received)
        async with self._lock:
            if workflow.patched(SIGNAL_RULES):
                await self._signalled(raw)
                return
            try:
                cmd = CaseAction.model_validate(raw)
            except ValidationError:
                return  # as the SDK did with a payload it could not read
            try:
                action = self._check(cmd)
                await self._perform(cmd, action)
            except ApplicationError as err:
                kind = str(cmd.action.get("type", "?"))[:32]
                self.event("action_refused", cmd.actor, action=kind, reason=err.message)
            await self._flush()

    async def _signalled(self, raw: Any) -> None:
        """A signal may do at most what its claimed role could through the API: a signal
        carries no token, so the roles only the verified intake carries are refused, money
        and verdicts need the policy's leave (`[signals]`), a request ID acts once, and
        every signal, taken or refused, is audited with what it claimed."""
        self._signals += 1
        claim = raw if isinstance(raw, dict) else {}
        action = claim.get("action")
        claimed = _plain((action.get("type") if isinstance(action, dict) else None) or "?")
        request_id = _plain(claim.get("request_id") or "")[:REQUEST_ID_CHARS]
        actor = _plain(claim.get("actor") or "?")[:128]
        role = _plain(claim.get("role") or "?")[:16]
        try:
            try:
                cmd = CaseAction.model_validate(raw)
            except ValidationError as err:
                problem = err.errors()[0]
                where = ".".join(str(p) for p in problem["loc"]) or "signal"
                raise refuse("Invalid", f"{where}: {problem['msg']}") from err
            if cmd.role in INTAKE_ROLES or cmd.role not in ROLES:
                raise refuse(
                    "Forbidden",
                    f"role {cmd.role!r} is the verified intake's (the user's and the "
                    "providers' events): never by signal",
                )
            if cmd.request_id and len(cmd.request_id) > REQUEST_ID_CHARS:
                raise refuse("Invalid", f"request_id: at most {REQUEST_ID_CHARS} characters")
            if cmd.request_id and cmd.request_id in self._requests:
                raise refuse(
                    "Conflict", f"request {cmd.request_id!r} was acted on already: acted once"
                )
            parsed = self._check(cmd, incoming=True, gate=self._signal_gate)
            await self._perform(cmd, parsed)
            if cmd.request_id:
                self._remember(cmd.request_id)
            status, reason = 200, ""
        except ApplicationError as err:
            status, reason = http_status(err), err.message
            self.event("action_refused", actor, action=claimed, reason=reason, via="signal")
        self._audit.append(
            ActionAudit(
                key=self._key(f"signal:{self._signals}"),
                at=workflow.now(),
                request_id=request_id,
                actor=actor,
                role=role,
                action=claimed[:32],
                accepted=status < 300,
                status_code=status,
                reason=reason[:1000],
            )
        )
        await self._flush()

    def _signal_gate(self, cmd: CaseAction, action: Any) -> None:
        """Money and verdicts by signal: only where the case's policy allows them."""
        rules = self._in.policy.signals or SignalsPolicy()  # older inputs: refused
        if moves_money(action):
            if not rules.allow_money:
                raise refuse(
                    "Forbidden",
                    f"{action.type!r} moves money: not by signal (policy "
                    "signals.allow_money); use the API",
                )
            if not cmd.request_id:
                raise refuse(
                    "Invalid",
                    f"a {action.type!r} by signal needs a request_id, so that sending it "
                    "again acts once",
                )
        if (is_verdict(action) or cmd.role in VERDICT_ROLES) and not rules.allow_verdicts:
            raise refuse(
                "Forbidden",
                f"{action.type!r} by role {cmd.role!r} is a verdict: not by signal (policy "
                "signals.allow_verdicts); use the API",
            )

    def _remember(self, request_id: str) -> None:
        rules = self._in.policy.signals or SignalsPolicy()
        self._requests.append(request_id)
        del self._requests[: -rules.remember_requests]

    @workflow.query(name="case")
    def case(self) -> CaseView:
        return self._view()

    def _check(
        self,
        cmd: CaseAction,
        incoming: bool = False,
        gate: Callable[[CaseAction, Any], None] | None = None,
    ) -> Any:
        """The parsed action, or a refusal: roles, then the `gate` (the signal path's),
        then statuses, then the rule's check."""
        try:
            context = INCOMING if incoming else None
            action = self.ACTION_TYPES.validate_python(cmd.action, context=context)
        except ValidationError as err:
            raise refuse("Invalid", f"invalid action: {err.errors()[0]['msg']}") from err
        if action.type not in self.ROLES.get(cmd.role, frozenset()):
            raise refuse("Forbidden", f"role {cmd.role!r} may not take action {action.type!r}")
        if gate:
            gate(cmd, action)
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

    # --- refunds ------------------------------------------------------------------------

    async def _refund(self, amount: Decimal) -> RefundReceipt:
        """Refund through the gateway, keyed `<case>:refund:<n>`; a decline is a refusal.
        With a bound (`_refund_timeout`), a gateway that does not answer in time is a
        refusal too, and the next refund reuses the same key: should the first attempt
        land after all, the gateway answers the retry with it instead of paying twice."""
        self._refunds += 1
        f = self.facts
        request = RefundRequest(
            idempotency_key=self._key(f"refund:{self._refunds}"),
            case_id=self._in.case_id,
            merchant_id=f.merchant_id,
            trade_no=f.trade_no or "",
            amount=amount,
            currency=f.currency,
        )
        bound = self._refund_timeout()
        try:
            receipt: RefundReceipt = await workflow.execute_activity_method(
                CaseActivities.issue_refund,
                request,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                schedule_to_close_timeout=bound,
                retry_policy=RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            if bound and isinstance(cause, ActivityTimeout):
                self._refunds -= 1
                raise refuse(
                    "Unavailable",
                    f"the payments gateway did not confirm the refund within {human(bound)}; "
                    "nothing was recorded, the case goes on: try again",
                ) from err
            message = cause.message if isinstance(cause, ApplicationError) else str(err)
            raise refuse("Invalid", f"the gateway declined the refund: {message}") from err
        self._refunded += receipt.amount
        return receipt

    def _refund_timeout(self) -> timedelta | None:
        """How long a refund may take, retries included (the policy's); None: no bound."""
        return None


def _plain(value: object) -> str:
    """A claimed value as the audit log and the timeline may show it: text, no controls."""
    return "".join(c if c.isprintable() else "?" for c in str(value))


def carried_timeline(
    timeline: list[TimelineEvent], limits: LimitsPolicy | None
) -> tuple[list[TimelineEvent], int]:
    """The newest entries within `limits.carried_timeline_bytes` (UTF-8 JSON) and the index
    of the first one kept; cases opened before the limits travelled carry all of it."""
    if limits is None:
        return timeline, 0
    budget, start = limits.carried_timeline_bytes, len(timeline)
    while start > 0:
        size = len(timeline[start - 1].model_dump_json().encode())
        if size > budget:
            break
        budget -= size
        start -= 1
    return timeline[start:], start


def human(td: timedelta) -> str:
    """'24h', '30m', '45s': a span as a notice or a refusal says it."""
    seconds = int(td.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"
