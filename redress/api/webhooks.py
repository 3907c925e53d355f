"""Webhook intake: verify, validate, open the case — or refuse with a reason and start nothing."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, StringConstraints, ValidationError
from temporalio.service import RPCError

from redress.api.deps import State
from redress.api.errors import has_lone_surrogates, validation_detail
from redress.api.signing import WebhookVerificationError
from redress.intake import open_complaint_case
from redress.logs import get_logger
from redress.models import Complaint

router = APIRouter(tags=["webhooks"])
log = get_logger()

MAX_BODY = 256 * 1024


class ComplaintCreated(BaseModel):
    event_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    type: Literal["complaint.created"]
    complaint: Complaint


class WebhookAccepted(BaseModel):
    case_id: str
    workflow_id: str
    duplicate: bool


@router.post(
    "/webhooks/generic",
    status_code=202,
    response_model=WebhookAccepted,
    responses={200: {"model": WebhookAccepted, "description": "a repeated delivery"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ComplaintCreated.model_json_schema()}},
        }
    },
)
async def generic_webhook(request: Request, state: State) -> Any:
    if int(request.headers.get("content-length") or 0) > MAX_BODY:
        raise HTTPException(413, f"body larger than {MAX_BODY} bytes")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(413, f"body larger than {MAX_BODY} bytes")
    if state.signer is None:
        raise HTTPException(503, "REDRESS_WEBHOOK_SECRET is not configured")
    try:
        state.signer.verify(request.headers, body)
    except WebhookVerificationError as err:
        raise HTTPException(401, str(err)) from err
    if not state.replays.first_time(
        request.headers["webhook-id"],
        request.headers["webhook-timestamp"],
        request.headers["webhook-signature"],
    ):
        raise HTTPException(401, "replayed delivery: this webhook-id and signature were seen")
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise HTTPException(422, "body is not UTF-8") from err
    except (json.JSONDecodeError, RecursionError) as err:
        raise HTTPException(422, f"body is not valid JSON: {err}") from err
    if has_lone_surrogates(payload):
        raise HTTPException(422, "body holds invalid Unicode (a lone surrogate escape)")
    try:
        event = ComplaintCreated.model_validate(payload)
    except ValidationError as err:
        raise HTTPException(422, validation_detail(err)) from err
    try:
        opened = await open_complaint_case(
            state.client,
            state.settings.task_queue,
            state.policy,
            "generic",
            event.complaint,
            event_id=event.event_id,
        )
    except RPCError as err:
        # Temporal is unreachable: the provider retries later, nothing is lost.
        log.warning("case start failed", error=str(err), event_id=event.event_id)
        raise HTTPException(503, "case engine unavailable, retry later") from err
    log.info(
        "webhook accepted",
        case_id=opened.case_id,
        event_id=event.event_id,
        duplicate=opened.duplicate,
    )
    return JSONResponse(
        WebhookAccepted(**opened.__dict__).model_dump(),
        status_code=200 if opened.duplicate else 202,
    )
