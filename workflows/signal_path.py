"""The Signal `act_signal` (for the Web UI): a claim with no token behind it, held to what
its claimed role could do through the API (roles, money and verdicts by policy, request
IDs acted on once), every signal, taken or refused, audited with what it claimed."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from redress.models.case import (
        INTAKE_ROLES,
        ROLES,
        VERDICT_ROLES,
        CaseAction,
        is_verdict,
        moves_money,
    )
    from redress.models.effects import ActionAudit
    from redress.policy import SignalsPolicy
    from redress.refusals import http_status, refuse

from workflows.action_path import CaseActionPath

# The Signal `act_signal` held to the API's rules (roles, money and verdicts by policy,
# request IDs acted on once, an audit entry each); cases that took signals before run on.
SIGNAL_RULES = "signal-path-rules"
REQUEST_ID_CHARS = 128  # as long as the API's Idempotency-Key may be


class CaseSignalPath(CaseActionPath):
    _signals: int

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


def _plain(value: object) -> str:
    """A claimed value as the audit log and the timeline may show it: text, no controls."""
    return "".join(c if c.isprintable() else "?" for c in str(value))
