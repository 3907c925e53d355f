"""Dispute clients: submitting a defence or accepting a dispute at the provider.

`DisputeClient` is what a real Stripe or Antom client fills (Stripe `POST /v1/disputes/{id}`
with `evidence[...]` and `submit=true`, or `/close`; Antom `supplyDefenseDocument`,
`acceptDispute`); the request bodies already carry the provider's field names.
`SimulatedDisputeClient` records each request in the case store instead, once per
idempotency key.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.engine import Engine

from redress.models.dispute_tables import DisputeRequestRecord
from redress.models.evidence import AcceptRequest, DefenseRequest, ProviderReceipt
from redress.store import crud


class DisputeRefused(Exception):
    """The provider refused the request for a business reason; retrying will not help."""


class DisputeClient(Protocol):
    def submit_defense(self, request: DefenseRequest) -> ProviderReceipt: ...

    def accept(self, request: AcceptRequest) -> ProviderReceipt: ...


class SimulatedDisputeClient:
    """Records requests instead of sending them. Replace with a real provider client."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def submit_defense(self, request: DefenseRequest) -> ProviderReceipt:
        return self._record(request, "submit_defense")

    def accept(self, request: AcceptRequest) -> ProviderReceipt:
        return self._record(request, "accept")

    def _record(self, request: DefenseRequest | AcceptRequest, action: str) -> ProviderReceipt:
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:20]
        record, made = crud.record_once(
            self.engine,
            DisputeRequestRecord,
            request.idempotency_key,
            lambda: DisputeRequestRecord(
                idempotency_key=request.idempotency_key,
                reference=f"sim-{request.provider}-{digest}",
                case_id=request.case_id,
                provider=request.provider,
                dispute_id=request.dispute_id,
                action=action,
                body=request.body,
                at=datetime.now(UTC),
            ),
        )
        return _receipt(record, duplicate=not made)


def _receipt(record: DisputeRequestRecord, duplicate: bool) -> ProviderReceipt:
    at = record.at if record.at.tzinfo else record.at.replace(tzinfo=UTC)
    return ProviderReceipt(
        idempotency_key=record.idempotency_key,
        reference=record.reference,
        at=at,
        duplicate=duplicate,
    )
