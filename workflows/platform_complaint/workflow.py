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

from typing import Any, Literal

from temporalio import workflow

from workflows.platform_complaint.actions import PlatformActions
from workflows.platform_complaint.state import NEXT_STEP, PlatformState, facts_of

with workflow.unsafe.imports_passed_through():
    from redress import search_attributes as sa
    from redress.models.case import CaseResult
    from redress.models.platform_actions import ACTIONS, ROLE_ACTIONS
    from redress.models.platform_complaint import KIND, PlatformComplaintCaseInput, rules_of


@workflow.defn
class PlatformComplaintWorkflow(PlatformActions):
    KIND = KIND
    ACTION_TYPES = ACTIONS
    ROLES = ROLE_ACTIONS

    @workflow.init
    def __init__(self, inp: PlatformComplaintCaseInput) -> None:
        c = inp.complaint
        super().__init__(inp, facts_of(c), status="awaiting_info")
        self._rules = rules = rules_of(inp.policy)
        self._calendar = inp.policy.calendar
        self._urgent = c.category in rules.urgent_categories
        self._clocks = rules.urgent if self._urgent else rules.regular
        self.state = PlatformState(complaint=c)

    @workflow.run
    async def run(self, inp: PlatformComplaintCaseInput) -> CaseResult:
        return await self._serve()

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

    def _resumed(self) -> None:
        self.facts = facts_of(self.state.complaint)
        if self._in.rules < 2:  # runs before the count: the notes their timeline holds
            self.state.notes = sum(e.type == "note" for e in self._timeline)
