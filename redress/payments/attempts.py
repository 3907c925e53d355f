"""The attempts ledger (rules F4, F5): every payment a channel reported, failed,
succeeded or captured, once per source, payment and outcome. Failure rates count it
(`failure_rates.py`); the simulated payment channel answers from its captures; the intake
finds through it the failure cases a later payment event concerns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.engine import Engine

from redress.models.payment_failure_tables import PaymentAttempt
from redress.store.db import INSERT_BY_DIALECT
from redress.store.tables import CaseRecord

Outcome = Literal["failed", "succeeded", "captured"]

_ATTEMPTS: Any = PaymentAttempt.__table__  # type: ignore[attr-defined]
_CASES: Any = CaseRecord.__table__  # type: ignore[attr-defined]
MAX_CASES_PER_ORDER = 20  # the open failure cases one success closes, at most


def record(
    engine: Engine,
    source: str,
    payment: Any,
    outcome: Outcome,
    cause: str | None = None,
    case_id: str | None = None,
) -> bool:
    """One payment event in the ledger (a known source, payment and outcome is kept as
    it was); whether it was new. `payment`: a `Payment` (never holds a card number)."""
    row = {
        "source": source[:40],
        "payment_id": payment.id,
        "outcome": outcome,
        "merchant_id": payment.merchant_id,
        "order_no": payment.order_no,
        "channel": payment.channel,
        "at": payment.occurred_at.astimezone(UTC),
        "amount": format(payment.amount, "f"),
        "currency": payment.currency,
        "cause": cause,
        "return_code": getattr(payment, "return_code", None),
        "case_id": case_id,
    }
    stmt: Any = INSERT_BY_DIALECT[engine.dialect.name](_ATTEMPTS).values(**row)
    stmt = stmt.on_conflict_do_nothing().returning(_ATTEMPTS.c.payment_id)
    with engine.begin() as conn:
        return conn.execute(stmt).first() is not None


def captured_at(engine: Engine, source: str, payment_id: str) -> datetime | None:
    """When the channel reported taking this payment's money, if it did."""
    stmt = select(_ATTEMPTS.c.at).where(
        _ATTEMPTS.c.source == source[:40],
        _ATTEMPTS.c.payment_id == payment_id,
        _ATTEMPTS.c.outcome == "captured",
    )
    with engine.connect() as conn:
        at = conn.execute(stmt).scalar()
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def failure_case(engine: Engine, source: str, payment_id: str) -> list[str]:
    """The failure case of this payment, if its failure is in the ledger."""
    stmt = select(_ATTEMPTS.c.case_id).where(
        _ATTEMPTS.c.source == source[:40],
        _ATTEMPTS.c.payment_id == payment_id,
        _ATTEMPTS.c.outcome == "failed",
        _ATTEMPTS.c.case_id.is_not(None),
    )
    with engine.connect() as conn:
        return [c for c in conn.execute(stmt).scalars() if c]


def open_failure_cases(engine: Engine, source: str, merchant_id: str, order_no: str) -> list[str]:
    """The failure cases of an order still open (or not yet in the case store)."""
    stmt = (
        select(_ATTEMPTS.c.case_id)
        .select_from(_ATTEMPTS.outerjoin(_CASES, _CASES.c.case_id == _ATTEMPTS.c.case_id))
        .where(
            _ATTEMPTS.c.source == source[:40],
            _ATTEMPTS.c.merchant_id == merchant_id,
            _ATTEMPTS.c.order_no == order_no,
            _ATTEMPTS.c.outcome == "failed",
            _ATTEMPTS.c.case_id.is_not(None),
            (_CASES.c.status.is_(None)) | (_CASES.c.status != "closed"),
        )
        .order_by(_ATTEMPTS.c.at.desc())
        .limit(MAX_CASES_PER_ORDER)
    )
    with engine.connect() as conn:
        return [c for c in conn.execute(stmt).scalars() if c]


def on_captured(engine: Engine, source: str, payment: Any) -> list[str]:
    """A capture in the ledger, then the failure case to tell (if the failure is known:
    otherwise the case, when it opens, finds the capture when it reconciles)."""
    record(engine, source, payment, "captured")
    return failure_case(engine, source, payment.id)


def on_succeeded(engine: Engine, source: str, payment: Any) -> list[str]:
    """A success in the ledger, then the order's open failure cases to close."""
    record(engine, source, payment, "succeeded")
    return open_failure_cases(engine, source, payment.merchant_id, payment.order_no)


def purge_before(engine: Engine, cutoff: datetime) -> int:
    with engine.begin() as conn:
        return conn.execute(_ATTEMPTS.delete().where(_ATTEMPTS.c.at < cutoff)).rowcount or 0
