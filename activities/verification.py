"""Identity verification requests (P3), through an injected verifier."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from temporalio import activity

from redress.identity import IdentityVerifier, VerificationRequest, VerificationTicket
from redress.logs import get_logger

if TYPE_CHECKING:
    from redress.kinds import WorkerParts

log = get_logger()


def for_worker(parts: WorkerParts) -> list[Callable[..., Any]]:
    """The platform complaint's activities (its registry entry names this): P3's requests,
    through the given `verifier` or the simulated one (REDRESS_SIMULATED_VERIFIER)."""
    from redress.identity import SimulatedIdentityVerifier

    def simulated() -> IdentityVerifier:
        if parts.settings is None:
            return SimulatedIdentityVerifier(parts.engine)
        outcome: Any = parts.settings.simulated_verifier
        return SimulatedIdentityVerifier(parts.engine, outcome=outcome)

    return [VerificationActivities(parts.get("verifier", simulated)).request_verification]


class VerificationActivities:
    def __init__(self, verifier: IdentityVerifier) -> None:
        self.verifier = verifier

    @activity.defn(name="request_verification")
    def request_verification(self, request: VerificationRequest) -> VerificationTicket:
        ticket = self.verifier.request(request)
        log.info(
            "identity verification requested",
            case_id=request.case_id,
            method=request.method,
            request_id=ticket.request_id,
            duplicate=ticket.duplicate,
        )
        return ticket
