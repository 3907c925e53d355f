"""Penalties: a part any kind of case can hold.

A penalty is imposed with an appeal window; inside it the merchant may appeal once with
evidence; the platform reviews the appeal within a span (working days, from the policy's
calendar) and revokes or upholds the penalty. A window that closes unappealed makes the
penalty final. The case stays open (its workflow running) while any penalty can still be
appealed or decided, even after the case itself closed.

The kind creates a `PenaltyBook` over itself and adds `PENALTY_ACTIONS` to its action
table. The book needs of the case only what `PenaltyHost` says (it never imports the
kernel): its ID, its timeline and its notices.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol

from temporalio import workflow

from workflows.actions import Rule
from workflows.alarms import Alarm

with workflow.unsafe.imports_passed_through():
    from redress.calendar import CalendarSnapshot
    from redress.models.case import AppealRecord, CaseAction, Penalty
    from redress.models.effects import Addressee
    from redress.policy import Span
    from redress.refusals import refuse


class PenaltyHost(Protocol):
    """What a penalty book writes to: the case that holds it."""

    @property
    def case_id(self) -> str: ...

    def event(self, type_: str, actor: str, /, **fields: Any) -> None: ...

    def notify(self, template: str, to: Addressee, key: str, /, **context: Any) -> None: ...


class HoldsPenalties(Protocol):
    """A case whose action table has `PENALTY_ACTIONS`."""

    penalties: PenaltyBook | None


class PenaltyAlarm(StrEnum):
    APPEAL_BY = "appeal_by"  # the appeal window closes: an unappealed penalty is final
    REVIEW_BY = "review_by"  # the appeal's review is due


class PenaltyBook:
    def __init__(self, case: PenaltyHost, review: Span, calendar: CalendarSnapshot) -> None:
        self._case = case
        self._review = review
        self._calendar = calendar
        self.items: list[Penalty] = []

    def impose(self, reason: str, points: int, window: timedelta) -> Penalty:
        now = workflow.now()
        pen = Penalty(
            id=f"P{len(self.items) + 1}",
            reason=reason,
            points=points,
            imposed_at=now,
            appeal_deadline=now + window,
        )
        self.items.append(pen)
        self._case.event(
            "penalty",
            "platform",
            penalty_id=pen.id,
            reason=reason,
            points=points,
            appeal_deadline=pen.appeal_deadline.isoformat(),
        )
        self._case.notify(
            "penalty",
            "merchant",
            f"penalty:{pen.id}",
            penalty_id=pen.id,
            reason=reason,
            points=points,
            appeal_deadline=pen.appeal_deadline,
        )
        return pen

    # --- what the kernel asks -----------------------------------------------------------

    def deadlines(self) -> list[Alarm]:
        d: list[Alarm] = []
        for p in self.items:
            if p.state == "active":
                d.append(Alarm(PenaltyAlarm.APPEAL_BY, p.appeal_deadline, p.id))
            elif p.state == "appealed" and p.review_deadline:
                d.append(Alarm(PenaltyAlarm.REVIEW_BY, p.review_deadline, p.id))
        return d

    def on_alarm(self, alarm: Alarm) -> None:
        """One of the book's alarms (`PenaltyAlarm`) has come."""
        assert alarm.subject is not None, alarm
        pen = self.find(alarm.subject)
        match alarm.name:
            case PenaltyAlarm.APPEAL_BY:
                if pen.state == "active":
                    pen.state = "final"
                    self._case.event("appeal_window_closed", "system", penalty_id=pen.id)
            case PenaltyAlarm.REVIEW_BY:
                if pen.state == "appealed":
                    self._case.event("appeal_review_overdue", "system", penalty_id=pen.id)
            case _:
                raise ValueError(f"the penalty book has no alarm {alarm.label!r}")

    def open(self) -> bool:
        return any(p.state in ("active", "appealed") for p in self.items)

    def penalized(self) -> bool:
        return any(p.state != "revoked" for p in self.items)

    def points(self) -> int:
        return sum(p.points for p in self.items if p.state != "revoked")

    def snapshot(self) -> list[Penalty]:
        return [p.model_copy(deep=True) for p in self.items]

    def detail_lines(self) -> list[str]:
        return [f"- penalty {p.id}: {p.reason}, {p.points} pt, {p.state}" for p in self.items]

    def find(self, penalty_id: str) -> Penalty:
        for pen in self.items:
            if pen.id == penalty_id:
                return pen
        raise refuse("NotFound", f"case {self._case.case_id} has no penalty {penalty_id!r}")

    # --- appeal and decision ------------------------------------------------------------

    def check_appeal(self, penalty_id: str) -> None:
        pen = self.find(penalty_id)
        if pen.state == "final" or (pen.state == "active" and workflow.now() > pen.appeal_deadline):
            raise refuse(
                "Conflict",
                f"the appeal window for penalty {pen.id} closed at "
                f"{pen.appeal_deadline.isoformat()}",
            )
        if pen.state != "active":
            raise refuse("Conflict", f"penalty {pen.id} is {pen.state}; it cannot be appealed")

    def appeal(self, penalty_id: str, statement: str, evidence: list[str], actor: str) -> None:
        now = workflow.now()
        pen = self.find(penalty_id)
        pen.state = "appealed"
        pen.appeal = AppealRecord(statement=statement, evidence=evidence, filed_at=now, actor=actor)
        pen.review_deadline = self._review.after(now, self._calendar)
        self._case.event(
            "appeal",
            actor,
            penalty_id=pen.id,
            statement=statement,
            evidence=evidence,
            review_deadline=pen.review_deadline.isoformat(),
        )

    def check_decision(self, penalty_id: str) -> None:
        pen = self.find(penalty_id)
        if pen.state != "appealed":
            raise refuse(
                "Conflict", f"penalty {pen.id} is {pen.state}; there is no appeal to decide"
            )

    def decide(self, penalty_id: str, approved: bool, note: str, actor: str) -> None:
        pen = self.find(penalty_id)
        pen.state = "revoked" if approved else "upheld"
        if pen.appeal:
            pen.appeal.decided_at, pen.appeal.decided_by = workflow.now(), actor
            pen.appeal.note = note
        self._case.event("appeal_decision", actor, penalty_id=pen.id, approved=approved, note=note)
        self._case.notify(
            "appeal_outcome",
            "merchant",
            f"appeal:{pen.id}",
            penalty_id=pen.id,
            approved=approved,
            note=note,
        )


# --- the actions, for a kind's table ----------------------------------------------------


def _book(case: HoldsPenalties) -> PenaltyBook:
    assert case.penalties is not None, f"{type(case).__name__} holds no penalties"
    return case.penalties


def _appeal(case: HoldsPenalties, cmd: CaseAction, a: Any) -> None:
    _book(case).appeal(a.penalty_id, a.statement, list(a.evidence), cmd.actor)


def _decide(case: HoldsPenalties, cmd: CaseAction, a: Any) -> None:
    _book(case).decide(a.penalty_id, a.approved, a.note, cmd.actor)


# `states=None`: both are possible after the case closed, inside the penalty's own windows.
PENALTY_ACTIONS: dict[str, Rule] = {
    "appeal": Rule(_appeal, None, lambda case, _, a: _book(case).check_appeal(a.penalty_id)),
    "appeal_decision": Rule(
        _decide, None, lambda case, _, a: _book(case).check_decision(a.penalty_id)
    ),
}
