"""A payment failure's own state, alarms and effects (rules F1–F6): what its workflow
(`workflows/payment_failure.py`) carries through continue-as-new and dispatches on."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from temporalio import workflow

from workflows.kernel import KindState

with workflow.unsafe.imports_passed_through():
    from redress.models.payment_failure import ChannelState

MAX_SEEN = 50  # the channel's event IDs a case remembers


class FailureAlarm(StrEnum):
    RECONCILE_BY = "reconcile_by"  # F4: the channel could not say by then: escalated
    RETRY_BY = "retry_by"  # F4: nothing taken, no retry by then: abandoned
    CHECK = "check"  # ask the channel again (subject: the checks so far)
    LATE_CAPTURE = "late_capture_window"  # closed: a capture reported until then is refunded


class FailureEffect(StrEnum):
    RECONCILE = "reconcile"  # ask the channel whether it took the money (F4)


class PaymentFailureState(KindState):
    """What reconciliation changes as the case goes (the rest follows from the input)."""

    channel_state: ChannelState = "unknown"
    checked_at: datetime | None = None
    checks: int = 0
    next_check: datetime | None = None
    taken: bool = False  # the channel took the money (it said so, or the desk did)
    late_until: datetime | None = None
    seen: list[str] = []  # the channel's event IDs applied, newest last (MAX_SEEN)
    notes: int = 0
