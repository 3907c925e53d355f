"""Identity verification requests (P3), through an injected verifier."""

from __future__ import annotations

from temporalio import activity

from redress.identity import IdentityVerifier, VerificationRequest, VerificationTicket
from redress.logs import get_logger

log = get_logger()


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
