"""Merchants as a whole: the card networks' monitoring figures of their disputes (C5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.concurrency import run_in_threadpool

from redress import monitoring
from redress.api.deps import AppState, CurrentPrincipal, State
from redress.api.errors import error_responses
from redress.monitoring import AlertView, DisputeOutcomes, MerchantMetrics
from redress.monitoring.months import MONTH_PATTERN, MONTH_RANGE
from redress.policy import MonitoringPolicy

router = APIRouter(tags=["merchants"])


class DisputeMetrics(MerchantMetrics):
    """The month's figures and statuses, how its disputes ended and the money they moved,
    and the merchant's alerts open now."""

    outcomes: DisputeOutcomes
    alerts: list[AlertView]


def _policy(state: AppState) -> MonitoringPolicy:
    # A policy whose kinds carry no monitoring figures still has figures, on the model's
    # published defaults (SPEC §3); the worker schedules no alerts for it.
    return state.policy.monitoring() or MonitoringPolicy()


@router.get(
    "/merchants/{merchant_id}/disputes/metrics",
    response_model=DisputeMetrics,
    responses=error_responses(401, 404, 422),
)
async def dispute_metrics(
    merchant_id: Annotated[str, Path(max_length=128)],
    state: State,
    principal: CurrentPrincipal,
    month: Annotated[
        str | None,
        Query(
            description=f"YYYY-MM, UTC, {MONTH_RANGE}; default: this month",
            # Documented here, checked below: the refusal names the range in words.
            json_schema_extra={"pattern": MONTH_PATTERN},
        ),
    ] = None,
) -> DisputeMetrics:
    try:
        month = monitoring.parse_month(month) if month is not None else None
    except ValueError as err:
        raise HTTPException(422, f"month: {err}") from err
    # Another merchant's figures read as no merchant at all: its existence is not leaked.
    if not principal.sees(merchant_id) or not await run_in_threadpool(
        monitoring.known_merchant, state.engine, merchant_id
    ):
        raise HTTPException(404, f"no merchant {merchant_id!r}")
    month = month or monitoring.month_of(datetime.now(UTC))
    metrics = await run_in_threadpool(
        monitoring.figures, state.engine, merchant_id, month, _policy(state)
    )
    outcomes = await run_in_threadpool(
        monitoring.dispute_outcomes, state.engine, merchant_id, month
    )
    alerts = await run_in_threadpool(monitoring.open_alerts, state.engine, merchant_id)
    return DisputeMetrics(**metrics.model_dump(), outcomes=outcomes, alerts=alerts)
