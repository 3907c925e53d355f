"""The platform complaint kind's workflow: `PlatformComplaintWorkflow` (rules P1–P10) in
`workflow.py`, its state and clocks in `state.py`, its course (opening, clocks,
verification) in `lifecycle.py`, its actions and the user's events in `actions.py`."""

from workflows.platform_complaint.state import Clock, PlatformEffect, PlatformState
from workflows.platform_complaint.workflow import PlatformComplaintWorkflow

__all__ = ["Clock", "PlatformComplaintWorkflow", "PlatformEffect", "PlatformState"]
