from workflows.complaint import ComplaintWorkflow
from workflows.retention import RetentionWorkflow

__all__ = ["ComplaintWorkflow", "RetentionWorkflow"]
