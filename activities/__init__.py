from activities.cases import CaseActivities

__all__ = ["CaseActivities"]
