"""Claiming a case (`assignee`), so two people don't work the same one: `POST` claims it
for the caller, `DELETE` releases it. Both audited; a scoped token reaches only its
merchants' cases (others are 404, as `GET /cases/{case_id}`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import SQLAlchemyError

from redress.api.cases import audit
from redress.api.deps import AppState, CurrentPrincipal, Principal, State
from redress.api.errors import error_responses
from redress.store.claims import Claim, claim_case, release_case

router = APIRouter(tags=["cases"])

# Who may take a case from its holder, or release another's claim.
SUPERVISORS = frozenset({"supervisor"})


class ClaimRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Take the case from whoever holds it (supervisors only).
    force: bool = False


class ClaimState(BaseModel):
    """The claim on a case as it stands: who holds it (None: nobody)."""

    case_id: str
    assignee: str | None = None
    assignee_name: str | None = None
    claimed_at: datetime | None = None


def _state(claim: Claim) -> ClaimState:
    return ClaimState(
        case_id=claim.case_id,
        assignee=claim.assignee,
        assignee_name=claim.assignee_name,
        claimed_at=claim.claimed_at,
    )


def _holder(claim: Claim) -> str:
    return claim.assignee_name or claim.assignee or "someone"


async def _audited(
    state: AppState, case_id: str, principal: Principal, action: str, err: HTTPException | None
) -> None:
    code, reason = (200, "") if err is None else (err.status_code, err.detail)
    await audit(state, case_id, principal, str(uuid.uuid4()), action, code, reason)


@router.post(
    "/cases/{case_id}/claim",
    response_model=ClaimState,
    responses=error_responses(401, 403, 404, 409, 422, 503),
    description=(
        "Claim the case for the caller. 409 if someone else holds it, unless a supervisor "
        'sends `{"force": true}`; claiming a case one already holds changes nothing.'
    ),
)
async def claim(
    case_id: str,
    state: State,
    principal: CurrentPrincipal,
    body: Annotated[ClaimRequest | None, Body()] = None,
) -> ClaimState:
    force = body is not None and body.force
    try:
        if force and principal.role not in SUPERVISORS:
            raise HTTPException(403, f"role {principal.role!r} may not take a claimed case")
        try:
            done = await run_in_threadpool(
                claim_case,
                state.engine,
                case_id,
                principal.actor,
                principal.display_name,
                force=force,
                merchants=principal.merchants,
            )
        except SQLAlchemyError as err:
            raise HTTPException(503, "case store unavailable, retry later") from err
        if done.outcome == "missing":
            raise HTTPException(404, f"no case {case_id!r}")
        if done.outcome == "closed":
            raise HTTPException(409, f"case {case_id!r} is closed: nothing to work")
        if done.outcome == "held":
            raise HTTPException(409, f"case {case_id!r} is claimed by {_holder(done)}")
    except HTTPException as err:
        await _audited(state, case_id, principal, "claim", err)
        raise
    await _audited(state, case_id, principal, "claim", None)
    return _state(done)


@router.delete(
    "/cases/{case_id}/claim",
    response_model=ClaimState,
    responses=error_responses(401, 403, 404, 409, 422, 503),
    description="Release the claim: its holder, or a supervisor, may.",
)
async def release(case_id: str, state: State, principal: CurrentPrincipal) -> ClaimState:
    try:
        try:
            done = await run_in_threadpool(
                release_case,
                state.engine,
                case_id,
                principal.actor,
                anyone=principal.role in SUPERVISORS,
                merchants=principal.merchants,
            )
        except SQLAlchemyError as err:
            raise HTTPException(503, "case store unavailable, retry later") from err
        if done.outcome == "missing":
            raise HTTPException(404, f"no case {case_id!r}")
        if done.outcome == "not_holder":
            raise HTTPException(403, f"case {case_id!r} is claimed by {_holder(done)}, not you")
        if done.outcome == "held":
            raise HTTPException(409, f"case {case_id!r} was claimed again meanwhile")
    except HTTPException as err:
        await _audited(state, case_id, principal, "release", err)
        raise
    await _audited(state, case_id, principal, "release", None)
    return _state(done)
