"""A merchant's payment failures (F5): per channel, over a sliding window, the attempts,
the failures, the rate and the causes, and the alerts of that window. The kind's own
route: its registry entry names this router (`routers`) and the app mounts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.concurrency import run_in_threadpool

from redress.api.deps import CurrentPrincipal, State
from redress.api.errors import error_responses
from redress.models.payment_failure import rules_of
from redress.payments import failure_rates
from redress.payments.failure_rates import FailureFigures
from redress.policy import format_duration, parse_duration

router = APIRouter(tags=["merchants"])


@router.get(
    "/merchants/{merchant_id}/payments/failures",
    response_model=FailureFigures,
    responses=error_responses(401, 404, 422),
)
async def payment_failures(
    merchant_id: Annotated[str, Path(max_length=128)],
    state: State,
    principal: CurrentPrincipal,
    window: Annotated[
        str | None,
        Query(
            max_length=32,
            pattern=r"^([0-9]+(\.[0-9]+)?(ms|w|d|h|m|s))+$",
            description="a duration in the policy's grammar (1h, 30m, 7d, 1h30m), above 0 and "
            "at most the ledger's retention (`retention.records_for`; 422 otherwise); "
            "default: the alert's window",
        ),
    ] = None,
) -> FailureFigures:
    default = rules_of(state.policy).alert.window
    try:
        span = parse_duration(window) if window is not None else default
    except ValueError as err:
        raise HTTPException(422, f"window: {err}") from err
    longest = state.policy.retention.records_for  # the ledger keeps no more than this
    if not timedelta(0) < span <= longest:
        raise HTTPException(
            422, f"window: give a duration above 0 and at most {format_duration(longest)}"
        )
    # Another merchant's figures read as no merchant at all: its existence is not leaked.
    if not principal.sees(merchant_id):
        raise HTTPException(404, f"no merchant {merchant_id!r}")
    return await run_in_threadpool(
        failure_rates.figures,
        state.engine,
        merchant_id,
        span,
        datetime.now(UTC),
        window or format_duration(default),
    )
