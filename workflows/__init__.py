from workflows.complaint import ComplaintWorkflow

__all__ = ["ComplaintWorkflow"]
