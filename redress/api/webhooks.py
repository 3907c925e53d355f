"""Webhook intake, one shared path for every provider: size limit (api/body_limit.py),
signature (the provider's scheme), JSON, Unicode, the event's model, then the case start.
Any refusal says what is wrong, and nothing starts on an error."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from temporalio.service import RPCError

from redress import kinds
from redress.api.deps import AppState, State
from redress.api.errors import error_responses, has_lone_surrogates
from redress.intake import Delivery, Replayed, Undeliverable, open_case
from redress.logs import get_logger
from redress.models.intake import IntakeRefused
from redress.progress import progress_token
from redress.providers import Record, Rejected, Unhandled
from redress.store import crud

router = APIRouter(tags=["webhooks"])
log = get_logger()


class WebhookAccepted(BaseModel):
    case_id: str
    workflow_id: str
    duplicate: bool
    linked: bool = False  # joined the open case about the same user and trade
    # The user's key to `GET /progress/{case_id}`, for kinds that offer it (P10).
    progress_token: str | None = None


def _event_schemas() -> dict[str, Any]:
    models = [model for kind in kinds.KINDS.values() for model in kind.events.values()]
    return {"oneOf": [model.model_json_schema() for model in models]}


@router.post(
    "/webhooks/{provider}",
    status_code=202,
    response_model=WebhookAccepted,
    # 400/401: a signature missing, malformed, not matching or replayed; 404: no such
    # provider, or no open case for a follow-up event; 409: the case cannot take it.
    responses={
        200: {"model": WebhookAccepted, "description": "a repeated delivery"},
        **error_responses(400, 401, 403, 404, 409, 413, 422, 503),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _event_schemas()}},
        }
    },
)
async def webhook(provider: str, request: Request, state: State) -> Any:
    source = state.providers.get(provider)
    if source is None:
        known = ", ".join(sorted(state.providers))
        raise HTTPException(404, f"no webhook provider {provider!r} (known: {known})")
    body = await request.body()  # bounded by `[limits] webhook_body_bytes` (api/body_limit.py)
    try:
        delivery = source.verify(request.headers, body)
        inbound = source.parse(_json(body))
    except Rejected as err:
        raise HTTPException(err.status, err.message) from err
    except Unhandled as err:
        await _record_unhandled(state, provider, err)
        return JSONResponse(source.ack or {"event_id": err.event_id, "ignored": True})
    except Record as err:  # a settled transaction, a fraud report: a row, no case
        try:
            new = await asyncio.to_thread(err.write, state.engine, provider)
        except SQLAlchemyError as db_err:
            log.warning("record event not stored", error=str(db_err), event_id=err.event_id)
            raise HTTPException(503, "case store unavailable, retry later") from db_err
        log.info("webhook event recorded", provider=provider, type=err.event_type, new=new)
        return JSONResponse(source.ack or {"event_id": err.event_id, "recorded": True})
    try:
        opened = await open_case(
            state.client,
            state.engine,
            state.settings.task_queue,
            state.policy,
            inbound.kind,
            provider,
            inbound.event,
            delivery=Delivery(delivery, source.replay_window) if delivery else None,
        )
    except Replayed as err:
        raise HTTPException(
            401, "replayed delivery: this webhook-id and timestamp were answered before"
        ) from err
    except IntakeRefused as err:
        raise HTTPException(422, str(err)) from err
    except Undeliverable as err:
        raise HTTPException(err.status, err.message) from err
    except SQLAlchemyError as err:
        # The ledger is out of reach: refuse rather than risk a second case; it retries.
        log.warning("intake ledger unavailable", error=str(err), event_id=inbound.event_id)
        raise HTTPException(503, "case store unavailable, retry later") from err
    except RPCError as err:
        # Temporal is unreachable: the provider retries later, nothing is lost.
        log.warning("case start failed", error=str(err), event_id=inbound.event_id)
        raise HTTPException(503, "case engine unavailable, retry later") from err
    log.info(
        "webhook accepted",
        provider=provider,
        kind=inbound.kind.name,
        case_id=opened.case_id,
        event_id=inbound.event_id,
        duplicate=opened.duplicate,
    )
    key = state.settings.progress_key
    token = progress_token(key, opened.case_id) if key and inbound.kind.user_progress else None
    answer = WebhookAccepted(**opened.__dict__, progress_token=token)
    # `linked` and `progress_token` only where they say something.
    content = answer.model_dump(exclude_defaults=True) | answer.model_dump(include=REQUIRED)
    if source.ack is not None:  # the provider's own acknowledgement (200), or it resends
        return JSONResponse(source.ack, status_code=200)
    return JSONResponse(content, status_code=200 if opened.duplicate else 202)


async def _record_unhandled(state: AppState, provider: str, err: Unhandled) -> None:
    """An event type redress does not act on: kept in the intake's events, never fatal."""
    try:
        await asyncio.to_thread(
            crud.record_event, state.engine, provider, err.event_id, f"unhandled:{err.event_type}"
        )
    except SQLAlchemyError as db_err:
        log.warning("unhandled event not recorded", error=str(db_err), event_id=err.event_id)
    log.info("webhook event not handled", provider=provider, type=err.event_type)


REQUIRED = {"case_id", "workflow_id", "duplicate"}


def _json(body: bytes) -> Any:
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise Rejected(422, "body is not UTF-8") from err
    except (ValueError, RecursionError) as err:  # ValueError: also a 5,000-digit number
        raise Rejected(422, f"body is not valid JSON: {err}") from err
    if has_lone_surrogates(payload):
        raise Rejected(422, "body holds invalid Unicode (a lone surrogate escape)")
    return payload
