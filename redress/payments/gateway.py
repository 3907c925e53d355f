"""Payments gateway: the interface a real PSP fills, and a simulated one that records.

A refund request carries an idempotency key built from business IDs (case and refund
sequence); a real gateway passes it on (Alipay `out_request_no`, Stripe `Idempotency-Key`),
so however often an activity retries, the money moves once.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy.engine import Engine

from redress.models import RefundReceipt, RefundRequest
from redress.store import crud
from redress.store.tables import RefundRecord


class RefundDeclined(Exception):
    """The gateway refused the refund for a business reason; retrying will not help."""


class PaymentsGateway(Protocol):
    def refund(self, request: RefundRequest) -> RefundReceipt: ...


class SimulatedGateway:
    """Records refunds in the case store instead of moving money. Replace with a real one."""

    def __init__(self, engine: Engine, max_amount: Decimal = Decimal("1000000")) -> None:
        self.engine = engine
        self.max_amount = max_amount

    def refund(self, request: RefundRequest) -> RefundReceipt:
        if request.amount <= 0 or request.amount > self.max_amount:
            raise RefundDeclined(f"amount {request.amount} outside what the gateway accepts")
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:20]
        record, made = crud.record_once(
            self.engine,
            RefundRecord,
            request.idempotency_key,
            lambda: RefundRecord(
                idempotency_key=request.idempotency_key,
                refund_id=f"sim-rf-{digest}",
                case_id=request.case_id,
                trade_no=request.trade_no,
                amount=str(request.amount),
                currency=request.currency,
                issued_at=datetime.now(UTC),
            ),
        )
        return self._receipt(record, duplicate=not made)

    @staticmethod
    def _receipt(record: RefundRecord, duplicate: bool) -> RefundReceipt:
        issued = record.issued_at
        return RefundReceipt(
            idempotency_key=record.idempotency_key,
            refund_id=record.refund_id,
            amount=Decimal(record.amount),
            issued_at=issued if issued.tzinfo else issued.replace(tzinfo=UTC),
            duplicate=duplicate,
        )
