"""How the kernel dispatches an action type: its `Rule`. Kept apart from the kernel so a
part a kind holds (the penalty book) can list its actions without importing the kernel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from redress.models.case import CaseAction


@dataclass(frozen=True)
class Rule:
    """How the kernel dispatches one action type.

    `handler(case, cmd, action)` makes the change (sync, or async when it awaits an
    activity): a method of the kind's workflow, or a part's function of the case. `states`
    lists the statuses the action is possible in; `None` leaves it to `check` alone, closed
    cases included (an appeal outlives its case). `check(case, cmd, action)` refuses what
    the statuses cannot tell, before anything changes."""

    handler: Callable[..., Any]
    states: tuple[str, ...] | None = ()
    check: Callable[[Any, CaseAction, Any], None] | None = None
