"""A kind's deadlines as its policy section sets them (`redress policy check` prints them):
each section model lists its own with `deadline_rules()`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from redress.calendar import CalendarSnapshot
from redress.policy import Span, format_duration


@dataclass(frozen=True)
class DeadlineRule:
    """One deadline a kind's section sets (what `redress policy check` prints): its name in
    the case's `deadlines`, the span counted from `start` (an event of the case), or None
    when the source sets the instant (`note` says how)."""

    name: str
    span: Span | timedelta | None
    start: str = "opening"
    note: str = ""

    def after(self, start: datetime, calendar: CalendarSnapshot) -> datetime | None:
        if self.span is None:
            return None
        if isinstance(self.span, timedelta):
            return start + self.span
        return self.span.after(start, calendar)

    @property
    def text(self) -> str:
        """The span as the policy file writes it."""
        if self.span is None:
            return "-"
        if isinstance(self.span, timedelta):
            return format_duration(self.span)
        if self.span.working_days is not None:
            return f"{self.span.working_days}wd"
        return format_duration(timedelta(seconds=self.span.seconds or 0))
