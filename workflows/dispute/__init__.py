"""The dispute kind's workflow: `DisputeWorkflow` (rules C1–C6) in `workflow.py`, its
state in `state.py`, the provider's events in `events.py`, the effects that need an
activity in `effects.py`, the reviewer's actions in `actions.py`."""

from workflows.dispute.state import DisputeAlarm, DisputeEffect, DisputeState
from workflows.dispute.workflow import DisputeWorkflow

__all__ = ["DisputeAlarm", "DisputeEffect", "DisputeState", "DisputeWorkflow"]
