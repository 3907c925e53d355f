"""Transaction records (C1) and prevention notices (C2): the material that wins disputes,
kept per transaction before any dispute exists, and taken into a dispute's packet."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from redress.api.cases import bind_key
from redress.api.deps import CurrentPrincipal, Principal, State
from redress.api.errors import error_responses
from redress.models.evidence import (
    EvidenceKind,
    PreventionNotice,
    PreventionNoticeIn,
    ShortText,
    TransactionRecordIn,
)
from redress.models.values import Ident
from redress.store import transactions as records
from redress.store.tables import TransactionRecord

router = APIRouter(tags=["transactions"])


class TransactionView(BaseModel):
    merchant_id: str
    transaction_id: str
    order_id: str | None
    authorization: str | None
    captured_at: Any
    shipped_at: Any
    evidence: list[dict[str, Any]]
    recorded_at: Any
    updated_at: Any


class NoticeStarted(BaseModel):
    key: str
    workflow_id: str
    duplicate: bool


def _merchant(principal: Principal, merchant_id: str, transaction_id: str) -> None:
    # Another merchant's transaction reads as no transaction at all.
    if not principal.sees(merchant_id):
        raise HTTPException(404, f"no transaction {transaction_id!r}")


def _view(row: TransactionRecord) -> TransactionView:
    return TransactionView.model_validate(row.model_dump())


@router.put(
    "/transactions/{transaction_id}",
    response_model=TransactionView,
    responses=error_responses(400, 401, 404, 413, 422, 503),
)
async def put_transaction(
    transaction_id: Ident, body: TransactionRecordIn, state: State, principal: CurrentPrincipal
) -> TransactionView:
    """Create or extend a transaction's records; evidence items add up (the same kind and
    reference is kept once), or with `replace: true` become the whole evidence. Over the
    policy's limits (`limits.transaction_items`, `evidence_text_bytes`,
    `transaction_bytes`): 422 saying which and by how much, nothing stored."""
    _merchant(principal, body.merchant_id, transaction_id)
    try:
        row = await run_in_threadpool(
            records.record_transaction,
            state.engine,
            body.merchant_id,
            transaction_id,
            [{**i.model_dump(), "source": "transaction"} for i in body.evidence],
            limits=state.policy.limits,
            replace=body.replace,
            order_id=body.order_id,
            authorization=body.authorization,
            captured_at=body.captured_at,
            shipped_at=body.shipped_at,
        )
    except records.RecordTooLarge as err:
        raise HTTPException(422, str(err)) from err
    except SQLAlchemyError as err:
        raise HTTPException(503, "case store unavailable, retry later") from err
    return _view(row)


@router.delete(
    "/transactions/{transaction_id}/evidence/{kind}",
    response_model=TransactionView,
    responses=error_responses(401, 404, 422, 503),
)
async def remove_evidence(
    transaction_id: Ident,
    kind: Annotated[EvidenceKind, Path()],
    state: State,
    principal: CurrentPrincipal,
    merchant_id: Annotated[str, Query(max_length=128)],
    ref: Annotated[ShortText | None, Query()] = None,
) -> TransactionView:
    """Remove a transaction's evidence of `kind`, only the item with `ref` when given (a
    wrong or oversized file no longer goes into any dispute's packet). 404 if nothing
    matched."""
    _merchant(principal, merchant_id, transaction_id)
    try:
        row, removed = await run_in_threadpool(
            records.remove_evidence, state.engine, merchant_id, transaction_id, kind, ref
        )
    except SQLAlchemyError as err:
        raise HTTPException(503, "case store unavailable, retry later") from err
    if row is None:
        raise HTTPException(404, f"no transaction {transaction_id!r}")
    if not removed:
        which = f"{kind} {ref!r}" if ref else kind
        raise HTTPException(404, f"transaction {transaction_id!r} holds no evidence {which}")
    return _view(row)


@router.get(
    "/transactions/{transaction_id}",
    response_model=TransactionView,
    responses=error_responses(401, 404, 422),
)
async def get_transaction(
    transaction_id: str,
    state: State,
    principal: CurrentPrincipal,
    merchant_id: Annotated[str, Query(max_length=128)],
) -> TransactionView:
    _merchant(principal, merchant_id, transaction_id)

    def read() -> TransactionRecord | None:
        with Session(state.engine) as session:
            return session.get(TransactionRecord, (merchant_id, transaction_id))

    row = await run_in_threadpool(read)
    if row is None:
        raise HTTPException(404, f"no transaction {transaction_id!r}")
    return _view(row)


@router.post(
    "/transactions/{transaction_id}/notices",
    status_code=202,
    response_model=NoticeStarted,
    responses={
        200: {"model": NoticeStarted, "description": "a repeated request (same key)"},
        **error_responses(400, 401, 404, 413, 422, 428, 503),
    },
)
async def send_notice(
    transaction_id: Ident,
    body: PreventionNoticeIn,
    state: State,
    principal: CurrentPrincipal,
    # Required, as documented; without it the answer is 428 (app.py), as for a refund.
    idempotency_key: Annotated[str, Header(min_length=1, max_length=128)],
) -> Any:
    """Send a prevention notice to the customer, once per Idempotency-Key, and attach it to
    the transaction's evidence (C2)."""
    _merchant(principal, body.merchant_id, transaction_id)
    # The key stands for this one notice: the same key with another body is refused (422).
    await bind_key(
        state,
        f"txn:{body.merchant_id}:{transaction_id}"[:160],
        idempotency_key,
        principal,
        body.model_dump(mode="json"),
    )
    digest = hashlib.sha256(
        f"{body.merchant_id}\x00{transaction_id}\x00{idempotency_key}".encode()
    ).hexdigest()[:16]
    key = f"prevention-{body.type}-{digest}"
    notice = PreventionNotice(
        key=key, transaction_id=transaction_id, notice=body, limits=state.policy.limits
    )
    duplicate = False
    try:
        await state.client.start_workflow(
            "PreventionNoticeWorkflow",
            notice,
            id=key,
            task_queue=state.settings.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=f"{body.type} notice · merchant {body.merchant_id} · {transaction_id}",
        )
    except WorkflowAlreadyStartedError:
        duplicate = True
    except RPCError as err:
        raise HTTPException(503, "case engine unavailable, retry later") from err
    answer = NoticeStarted(key=key, workflow_id=key, duplicate=duplicate)
    return JSONResponse(answer.model_dump(), status_code=200 if duplicate else 202)
