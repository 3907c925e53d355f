"""Cases: read the projection, act through the workflow's Update."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from redress import kinds
from redress.api.deps import AppState, CurrentPrincipal, Principal, State
from redress.api.errors import error_responses, has_lone_surrogates, printable, validation_detail
from redress.logs import get_logger
from redress.models import ActionReceipt, CaseAction, CaseView
from redress.models.case import moves_money as action_moves_money
from redress.models.values import INCOMING
from redress.refusals import http_status
from redress.store import crud
from redress.store.tables import AuditEntry

router = APIRouter(tags=["cases"])
log = get_logger()


def _actions_schema() -> dict[str, Any]:
    # anyOf: each kind's actions are a oneOf of their own; the case's kind picks the one.
    # Their `$defs` are hoisted into the document's components (api/openapi.py).
    return {"anyOf": [kind.actions.json_schema() for kind in kinds.KINDS.values()]}


@router.get(
    "/cases/{case_id}", response_model=CaseView, responses=error_responses(401, 404, 422, 503)
)
async def get_case(case_id: str, state: State, principal: CurrentPrincipal) -> CaseView:
    view = await read_case(state, case_id)
    # Another merchant's case reads as no case at all: its existence is not leaked.
    if view is None or not principal.sees(view.merchant_id):
        raise HTTPException(404, f"no case {case_id!r}")
    return view


async def read_case(state: AppState, case_id: str) -> CaseView | None:
    view = await run_in_threadpool(crud.get_case, state.engine, case_id)
    if view is not None or kinds.by_case_id(case_id) is None:
        return view
    # Just opened and not yet projected: ask the workflow itself.
    try:
        handle = state.client.get_workflow_handle(case_id)
        return await handle.query("case", result_type=CaseView)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise HTTPException(503, "case engine unavailable, retry later") from err


@router.post(
    "/cases/{case_id}/actions",
    response_model=CaseView,
    responses=error_responses(400, 401, 403, 404, 409, 413, 422, 428, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _actions_schema()}},
        }
    },
)
async def act(
    case_id: str,
    body: dict[str, Any],
    state: State,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CaseView:
    return await take_action(state, case_id, body, principal, idempotency_key)


async def take_action(
    state: AppState,
    case_id: str,
    body: dict[str, Any],
    principal: Principal,
    idempotency_key: str | None,
    via: str = "api",
) -> CaseView:
    """One reviewer action, as `POST /cases/{id}/actions` and the console take it: the
    Idempotency-Key rule, validation, role, the Update, and the audit entry either way.
    A refusal is an HTTPException with its status and message."""
    request_id = idempotency_key or str(uuid.uuid4())
    action_type = printable(body.get("type", "?"))[:32]
    audit_args = (state, case_id, principal, request_id, action_type)
    try:
        if moves_money(case_id, body) and not idempotency_key:
            raise HTTPException(
                428,
                f"a {action_type} needs an Idempotency-Key header: any unique string, sent "
                "again unchanged when the request is retried, so it acts once",
            )
        view = await _act(case_id, body, state, principal, request_id, idempotency_key)
    except HTTPException as err:
        await audit(*audit_args, err.status_code, err.detail, via=via)
        raise
    await audit(*audit_args, 200, "", via=via)
    return view


def moves_money(case_id: str, body: dict[str, Any]) -> bool:
    """Whether the action moves money, as its kind's action model declares (a refund, a
    refund compensation, an accepted dispute): a client's retry must never become a second
    one. A body that does not parse is refused as invalid further on."""
    kind = kinds.by_case_id(case_id)
    try:
        return kind is not None and action_moves_money(kind.actions.validate_python(body))
    except ValidationError:
        return False


async def bind_key(
    state: AppState, case_id: str, key: str, principal: Principal, body: dict[str, Any]
) -> None:
    """An Idempotency-Key stands for one request: the same key from another principal or
    with another body is a client bug, refused rather than answered with the first result."""
    request = json.dumps([principal.actor, principal.scope, body], sort_keys=True, default=str)
    fingerprint = hashlib.sha256(request.encode("utf-8", "replace")).hexdigest()
    try:
        bound = await run_in_threadpool(
            crud.bind_action_key, state.engine, case_id, key, fingerprint
        )
    except SQLAlchemyError as err:
        raise HTTPException(503, "case store unavailable, retry later") from err
    if not bound:
        raise HTTPException(
            422, "this Idempotency-Key came with another request; use a new key per request"
        )


async def audit(
    state: AppState,
    case_id: str,
    principal: Principal,
    request_id: str,
    action: str,
    status_code: int,
    reason: Any,
    via: str = "api",
) -> None:
    entry = AuditEntry(
        at=datetime.now(UTC),
        request_id=request_id,
        case_id=case_id[:160],
        actor=principal.actor,
        actor_name=principal.display_name,
        role=principal.role,
        scope=principal.scope[:1000],
        action=action,
        accepted=status_code < 300,
        status_code=status_code,
        reason=printable(reason)[:1000],
        via=via,
    )
    try:
        await run_in_threadpool(crud.record_audit, state.engine, entry)
    except SQLAlchemyError as err:
        # The action itself is done (or refused): a store hiccup must not turn its answer
        # into a 500 that the client retries. The log keeps what the table could not.
        log.error("audit entry not written", error=str(err), **entry.model_dump(mode="json"))


async def _act(
    case_id: str,
    body: dict[str, Any],
    state: AppState,
    principal: Principal,
    request_id: str,
    idempotency_key: str | None,
) -> CaseView:
    kind = kinds.by_case_id(case_id)
    if kind is None:
        raise HTTPException(404, f"no case {case_id!r}")
    if principal.merchants is not None:
        # A scoped token moves only its merchants' cases; others answer as no case.
        current = await read_case(state, case_id)
        if current is None or not principal.sees(current.merchant_id):
            raise HTTPException(404, f"no case {case_id!r}")
    if has_lone_surrogates(body):
        raise HTTPException(422, "body holds invalid Unicode (a lone surrogate escape)")
    try:
        action = kind.actions.validate_python(body, context=INCOMING)
    except ValidationError as err:
        raise HTTPException(422, validation_detail(err)) from err
    if action.type not in kind.roles.get(principal.role, frozenset()):  # type: ignore[call-overload]
        raise HTTPException(403, f"role {principal.role!r} may not take action {action.type!r}")
    if idempotency_key:  # bound only once the case is the principal's to move
        await bind_key(state, case_id, idempotency_key, principal, body)
    cmd = CaseAction(
        actor=principal.actor,
        role=principal.role,  # type: ignore[arg-type]
        action=action,
        request_id=request_id,
        actor_name=principal.display_name,
    )
    handle = state.client.get_workflow_handle(case_id)
    try:
        # The update ID makes a retried request (same Idempotency-Key) act once.
        receipt: ActionReceipt = await handle.execute_update(
            "act", cmd, id=request_id, result_type=ActionReceipt
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            status = http_status(cause)
            log.info("action refused", case_id=case_id, action=action.type, reason=cause.message)
            raise HTTPException(status, cause.message) from err
        raise HTTPException(409, str(cause or err)) from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            if await run_in_threadpool(crud.get_case, state.engine, case_id) is not None:
                raise HTTPException(409, f"case {case_id!r} is closed") from err
            raise HTTPException(404, f"no case {case_id!r}") from err
        raise HTTPException(503, "case engine unavailable, retry later") from err
    log.info("action taken", case_id=case_id, action=action.type, actor=principal.actor)
    return await _view_at(state, case_id, receipt)


async def _view_at(state: AppState, case_id: str, receipt: ActionReceipt) -> CaseView:
    """The case as the action left it (or later): the projection the action's own effects
    wrote, else the workflow's answer."""
    view = await run_in_threadpool(crud.get_case, state.engine, case_id)
    if view is not None and view.version >= receipt.version:
        return view
    try:
        return await state.client.get_workflow_handle(case_id).query("case", result_type=CaseView)
    except RPCError as err:
        raise HTTPException(503, "case engine unavailable, retry later") from err
