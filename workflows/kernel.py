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

The outward half (timeline, notices, projection, Web UI fields) is `workflows/outputs.py`;
the way in for actions (`act`, `case`, the checks) `workflows/action_path.py`, the Signal
`workflows/signal_path.py`, refunds `workflows/refunds.py`: the kernel inherits them.
Every transition happens under one lock, so an action and a deadline that arrive together
never interleave half-way through each other's effects.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from redress.models.case import CarriedState, CaseInput, CaseResult, TimelineEvent
    from redress.models.effects import ActionAudit, NoticeRequest
    from redress.policy import LimitsPolicy

from workflows.actions import Rule
from workflows.alarms import Alarm
from workflows.outputs import CaseFacts, human
from workflows.penalties import PenaltyAlarm, PenaltyBook
from workflows.retry import ACTIVITY_TIMEOUT, RETRY
from workflows.signal_path import CaseSignalPath

__all__ = ["RETRY", "Alarm", "CaseFacts", "CaseWorkflow", "KindState", "Rule", "human"]


class KindState(BaseModel):
    """A kind's own state, beside the kernel's: one model, handed whole to a continued run
    (`CarriedState.kind`, its JSON) and read back with the same model. A kind subclasses
    it (and declares `state: <its model>`); a field added later needs a default, so that
    the state of a case that ran before reads back."""


class CaseWorkflow(CaseSignalPath):
    RETRY = RETRY
    ACTIVITY_TIMEOUT = ACTIVITY_TIMEOUT
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
