"""Refused actions: one place says what each refusal means and which HTTP status it is.

A workflow raises `refuse(...)` from an Update's validator or handler (non-retryable, so it
reaches the caller at once and nothing enters history); the API maps its type to a status.
"""

from __future__ import annotations

from typing import Literal

from temporalio.exceptions import ApplicationError

Refusal = Literal["Forbidden", "NotFound", "Conflict", "Invalid", "Unavailable"]

HTTP_STATUS: dict[str, int] = {
    "Forbidden": 403,  # the role may not take this action
    "NotFound": 404,  # no such case, penalty, …
    "Conflict": 409,  # not possible in the case's current state
    "Invalid": 422,  # the action's values are wrong (an amount too high, a declined refund)
    "Unavailable": 503,  # an outside party (the gateway) did not answer in time: try again
}


def refuse(kind: Refusal, message: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


def http_status(err: ApplicationError) -> int:
    """The status of a refusal; anything else a workflow raised reads as a conflict."""
    return HTTP_STATUS.get(err.type or "", 409)
