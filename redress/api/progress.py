"""`GET /progress/{case_id}` (P10): what the user may see of their own case, by the
progress token the intake handed back. Status, the next step and its deadline, and the
notices sent to the user; never internal notes, reviewer names or the desk's messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from redress import kinds
from redress.api.cases import read_case
from redress.api.deps import State, plausible_token
from redress.api.errors import ErrorBody, error_responses
from redress.progress import token_opens
from redress.store import crud

router = APIRouter(tags=["progress"])

# The user's progress token (`pt_…`), which the intake handed back: not an API token.
progress_bearer = HTTPBearer(
    scheme_name="progressToken",
    description="the case's progress token (`pt_…`) from the intake's answer",
    auto_error=False,
)


class UserNotice(BaseModel):
    at: datetime
    template: str
    channel: str
    subject: str
    body: str


class Progress(BaseModel):
    case_id: str
    status: str
    outcome: str | None
    priority: str
    next_step: str | None
    next_step_due: datetime | None
    created_at: datetime
    closed_at: datetime | None
    notices: list[UserNotice]


@router.get(
    "/progress/{case_id}",
    response_model=Progress,
    responses={
        **error_responses(503),
        404: {"model": ErrorBody, "description": "no such case, or the token does not open it"},
    },
)
async def progress(
    case_id: str,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(progress_bearer)],
) -> Progress:
    # Any token but this case's own (or none) reads as no case: nothing is leaked.
    missing = HTTPException(404, f"no case {case_id!r}")
    kind = kinds.by_case_id(case_id)
    token = credentials.credentials.strip() if credentials is not None else ""
    # A token that is not printable ASCII (`pt_…` pasted with the ellipsis) opens nothing.
    if kind is None or not kind.user_progress or not plausible_token(token):
        raise missing
    if not token_opens(state.settings.progress_key, case_id, token):
        raise missing
    view = await read_case(state, case_id)
    if view is None:
        raise missing
    details: dict[str, Any] = view.details
    notices = await run_in_threadpool(crud.user_notices, state.engine, case_id)
    return Progress(
        case_id=view.case_id,
        status=view.status,
        outcome=view.outcome,
        priority=view.priority,
        next_step=details.get("next_step"),
        next_step_due=details.get("next_step_due"),
        created_at=view.created_at,
        closed_at=view.closed_at,
        notices=[UserNotice(**n) for n in notices],
    )
