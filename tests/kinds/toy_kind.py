"""A kind of case that exists only for the kernel's tests: one deadline that imposes a
penalty, a reminder before it, and three actions. Written the way a new kind is written
(docs/contributing.md, "Adding a case kind"), without registering it for the stack.

A support module like tests/kinds/harness.py, not a test module: it holds no tests, and
tests/kinds/test_kernel.py runs it on the test's worker."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, Field, TypeAdapter
from temporalio import workflow

from workflows.alarms import Alarm, unknown
from workflows.kernel import CaseFacts, CaseWorkflow, KindState, Rule
from workflows.penalties import PENALTY_ACTIONS, PenaltyBook

with workflow.unsafe.imports_passed_through():
    from redress.models.case import CaseAction, CaseInput, CaseResult, CaseUser, Role
    from redress.policy import Span
    from redress.refusals import refuse


class ToyInput(CaseInput):
    merchant_id: str
    amount: Decimal
    created_at: datetime
    user: CaseUser
    due_in_s: float
    remind_before_s: float


class Poke(BaseModel):
    type: Literal["poke"] = "poke"
    times: int = Field(1, ge=1, le=3)


class Finish(BaseModel):
    type: Literal["finish"] = "finish"


class Appeal(BaseModel):
    type: Literal["appeal"] = "appeal"
    penalty_id: str
    statement: str
    evidence: list[str]


class AppealDecision(BaseModel):
    type: Literal["appeal_decision"] = "appeal_decision"
    penalty_id: str
    approved: bool
    note: str = ""


ToyStatus = Literal["open", "late", "closed"]


class ToyAlarm(StrEnum):
    REMINDER = "reminder"
    DUE_BY = "due_by"


class ToyState(KindState):
    pokes: int = 0


ToyAction = Annotated[Poke | Finish | Appeal | AppealDecision, Field(discriminator="type")]
ROLES: dict[Role, frozenset[str]] = {
    "agent": frozenset({"poke", "finish", "appeal"}),
    "supervisor": frozenset({"poke", "finish", "appeal"}),
    "platform": frozenset({"appeal_decision"}),
}


@workflow.defn
class ToyWorkflow(CaseWorkflow):
    KIND = "toy"
    STATUSES = get_args(ToyStatus)
    ACTION_TYPES = TypeAdapter(ToyAction)
    ROLES = ROLES
    CLOSED_NOTE = "only appeals are accepted"
    _status: ToyStatus
    state: ToyState

    @workflow.init
    def __init__(self, inp: ToyInput) -> None:
        facts = CaseFacts(inp.merchant_id, inp.amount, "CNY", inp.created_at, inp.user)
        super().__init__(inp, facts, status="open")
        self._due = inp.created_at + timedelta(seconds=inp.due_in_s)
        self._remind = self._due - timedelta(seconds=inp.remind_before_s)
        self.state = ToyState()
        self.penalties = PenaltyBook(self, Span(seconds=60), inp.policy.calendar)

    @workflow.run
    async def run(self, inp: ToyInput) -> CaseResult:
        return await self._serve()

    def _open(self) -> None:
        self._skip_passed(self._reminders())
        self.event("received", "provider")

    def _case_deadlines(self) -> list[Alarm]:
        return [Alarm(ToyAlarm.DUE_BY, self._due)] if self._status == "open" else []

    def _reminders(self) -> list[Alarm]:
        return [Alarm(ToyAlarm.REMINDER, self._remind)] if self._status == "open" else []

    def _on_alarm(self, alarm: Alarm) -> None:
        match alarm.name:
            case ToyAlarm.REMINDER:
                self.event("reminded", "system")
            case ToyAlarm.DUE_BY:
                assert self.penalties
                self.penalties.impose("late", 2, timedelta(seconds=30))
                self._status = "late"
            case _:
                unknown(alarm, "a toy case")

    def _details(self) -> dict[str, Any]:
        return {"pokes": self.state.pokes}

    def _poke(self, cmd: CaseAction, a: Poke) -> None:
        self.state.pokes += a.times
        self.event("poked", cmd.actor, times=a.times)
        self._status = "open"  # re-arms due_by at the same instant: it must not fire again

    def _check_poke(self, cmd: CaseAction, a: Poke) -> None:
        if self.state.pokes + a.times > 3:
            raise refuse("Invalid", "at most 3 pokes")

    def _finish(self, cmd: CaseAction, a: Finish) -> None:
        self._close("finished", cmd.actor)

    ACTIONS = {
        **PENALTY_ACTIONS,
        "poke": Rule(_poke, ("open", "late"), _check_poke),
        "finish": Rule(_finish, ("open", "late")),
    }
