"""The reviewer's way in: the Update `act` (validated, so a refused action never enters
history), the Query `case`, and the checks every action passes (role, status, the rule's
own check) before its handler runs. The kernel (`CaseWorkflow`) inherits it; the Signal
`act_signal` (`workflows/signal_path.py`) takes the same checks."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import TypeAdapter, ValidationError

    from redress.models.case import ActionReceipt, CaseAction, CaseView, Role, TimelineEvent
    from redress.models.values import INCOMING
    from redress.policy import SignalsPolicy
    from redress.refusals import refuse

from workflows.actions import Rule
from workflows.refunds import CaseRefunds


class CaseActionPath(CaseRefunds):
    ACTIONS: ClassVar[Mapping[str, Rule]]
    ACTION_TYPES: ClassVar[TypeAdapter[Any]]  # parses `CaseAction.action`
    ROLES: ClassVar[Mapping[Role, frozenset[str]]]  # role → action types it may take
    CLOSED_NOTE: ClassVar[str] = ""  # what a closed case still accepts, for the refusal
    # Why a status takes none of the actions it refuses (status → reason), for the refusal.
    STATUS_NOTES: ClassVar[Mapping[str, str]] = {}
    _received: bool
    _lock: asyncio.Lock
    _wake: bool
    _requests: list[str]
    _timeline: list[TimelineEvent]

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
        # handler's own `_check` reads what history holds. An Update delivered with the
        # case's first task is validated before the opening set the case's status: its state
        # checks wait for the handler, which runs them once the case is open.
        self._check(cmd, incoming=True, stateless=not self._received)

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
        stateless: bool = False,
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
        if stateless:
            return action
        rule = self.ACTIONS[action.type]
        if rule.states is not None:
            if self._status == "closed":
                note = f"; {self.CLOSED_NOTE}" if self.CLOSED_NOTE else ""
                raise refuse(
                    "Conflict", f"case {self._in.case_id} is closed ({self._outcome}){note}"
                )
            if self._status not in rule.states:
                # The reason is given by the validator only (validators never replay): the
                # handler's refusal, recorded when a signal carried it, stays as it was.
                why = self.STATUS_NOTES.get(self._status) if incoming and not gate else None
                raise refuse(
                    "Conflict",
                    f"action {action.type!r} is not possible while {self._status}"
                    + (f": {why}" if why else ""),
                )
        if rule.check:
            rule.check(self, cmd, action)
        return action

    async def _perform(self, cmd: CaseAction, action: Any) -> None:
        before = len(self._timeline)
        try:
            done = self.ACTIONS[action.type].handler(self, cmd, action)
            if inspect.isawaitable(done):
                await done
        finally:
            # The entries the action made carry its actor's display name (state only).
            if cmd.actor_name:
                for entry in self._timeline[before:]:
                    if entry.actor == cmd.actor:
                        entry.actor_name = cmd.actor_name
        self._wake = True
