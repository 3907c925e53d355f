"""Identity verification (P3): the interface a real verifier fills (a one-time code by
SMS, an ID-document check), and a simulated one that records requests.

A request carries an idempotency key built from the case, so a retried activity asks the
user once. A verifier that answers at once returns the result; one that answers later
(the user types the code in their app) leaves it to the action `record_verification`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Literal, Protocol

from pydantic import BaseModel
from sqlalchemy.engine import Engine

from redress.models.platform_tables import VerificationRecord
from redress.store import crud

Outcome = Literal["manual", "pass", "fail"]


class VerificationRequest(BaseModel):
    idempotency_key: str
    case_id: str
    user_id: str
    method: Literal["otp", "id_document"]


class VerificationTicket(BaseModel):
    """The verifier took the request; `passed` is set when it answers at once (otherwise
    the result comes back later as the action `record_verification`)."""

    request_id: str
    method: Literal["otp", "id_document"]
    passed: bool | None = None
    duplicate: bool = False


class IdentityVerifier(Protocol):
    def request(self, request: VerificationRequest) -> VerificationTicket: ...


class SimulatedIdentityVerifier:
    """Records each request in the case store instead of reaching the user. `outcome`:
    `manual` (the desk records the result), or `pass`/`fail` answered at once
    (`REDRESS_SIMULATED_VERIFIER`). Replace with a real verifier."""

    def __init__(self, engine: Engine, outcome: Outcome = "manual") -> None:
        self.engine = engine
        self.outcome = outcome

    def request(self, request: VerificationRequest) -> VerificationTicket:
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:20]
        passed = None if self.outcome == "manual" else self.outcome == "pass"
        record, made = crud.record_once(
            self.engine,
            VerificationRecord,
            request.idempotency_key,
            lambda: VerificationRecord(
                idempotency_key=request.idempotency_key,
                request_id=f"sim-idv-{digest}",
                case_id=request.case_id,
                method=request.method,
                passed=passed,
                requested_at=datetime.now(UTC),
            ),
        )
        return _ticket(record, duplicate=not made)


def _ticket(record: VerificationRecord, duplicate: bool) -> VerificationTicket:
    return VerificationTicket(
        request_id=record.request_id,
        method=record.method,  # type: ignore[arg-type]
        passed=record.passed,
        duplicate=duplicate,
    )
