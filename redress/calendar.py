"""Working-day arithmetic over a calendar snapshot.

The snapshot (weekend days, public holidays, make-up workdays 调休) is resolved from the
`holidays` package when a case starts and travels in the workflow input, so the workflow
computes review deadlines deterministically, with no I/O and no dependency on the
library version a replaying worker happens to have.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field


class CalendarSnapshot(BaseModel):
    kind: Literal["working_days", "24x7"] = "working_days"
    # Fixed offset of the calendar's timezone (China has no DST: +08:00 all year).
    utc_offset_minutes: int = 480
    weekend: list[int] = Field(default_factory=lambda: [5, 6])  # Monday is 0
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)  # make-up workdays on weekends

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(minutes=self.utc_offset_minutes))

    def is_working_day(self, day: date) -> bool:
        if self.kind == "24x7":
            return True
        if day in self.workdays:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The end of the `days`-th working day after `start`'s own day.

        "Within 3 working days" counts from the next working day and ends at midnight
        (calendar timezone) after the third one; the result keeps the calendar's offset.
        """
        if days <= 0:
            return start
        day = start.astimezone(self.tz).date()
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)


def resolve_calendar(
    kind: Literal["working_days", "24x7"],
    country: str,
    utc_offset_minutes: int,
    weekend: list[int],
    extra_holidays: list[date],
    extra_workdays: list[date],
    years: range,
) -> CalendarSnapshot:
    """Build a snapshot for `years` from the `holidays` package plus policy overrides.

    Every case opened in the same years gets the same snapshot, so it is computed once per
    process (it dominated the webhook handler's time in profiles)."""
    return _resolve(
        kind,
        country,
        utc_offset_minutes,
        tuple(weekend),
        tuple(extra_holidays),
        tuple(extra_workdays),
        years.start,
        years.stop,
    )


@lru_cache(maxsize=64)
def _resolve(
    kind: Literal["working_days", "24x7"],
    country: str,
    utc_offset_minutes: int,
    weekend: tuple[int, ...],
    extra_holidays: tuple[date, ...],
    extra_workdays: tuple[date, ...],
    start_year: int,
    stop_year: int,
) -> CalendarSnapshot:
    years = range(start_year, stop_year)
    hols: set[date] = set(extra_holidays)
    works: set[date] = set(extra_workdays)
    if kind == "working_days" and country:
        import holidays as holidays_lib

        cal = holidays_lib.country_holidays(country, years=list(years))
        hols.update(cal.keys())
        works.update(d for d in getattr(cal, "weekend_workdays", set()) if d.year in years)
    return CalendarSnapshot(
        kind=kind,
        utc_offset_minutes=utc_offset_minutes,
        weekend=list(weekend),
        holidays=sorted(hols),
        workdays=sorted(works),
    )
