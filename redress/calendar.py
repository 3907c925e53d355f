"""Working-day arithmetic over a calendar snapshot.

The snapshot (weekend days, public holidays, make-up workdays 调休) is resolved from the
`holidays` package when a case starts and travels in the workflow input, so the workflow
computes review deadlines deterministically, with no I/O and no dependency on the
library version a replaying worker happens to have.

The State Council publishes each year's holidays and make-up days in the autumn before;
until then the package can only estimate them (from the lunar calendar, without 调休).
The snapshot names the years whose dates are official (the package's own data, or an
override file of official dates, `calendar.official_dates`), and a deadline counted
through any other year is flagged `estimated`.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field


class CalendarSnapshot(BaseModel):
    kind: Literal["working_days", "24x7"] = "working_days"
    # Fixed offset of the calendar's timezone (China has no DST: +08:00 all year).
    utc_offset_minutes: int = 480
    weekend: list[int] = Field(default_factory=lambda: [5, 6])  # Monday is 0
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)  # make-up workdays on weekends
    # Years whose dates are official; None (snapshots taken before this was known): all.
    published_years: list[int] | None = None

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

    def estimated(self, start: datetime, end: datetime) -> bool:
        """Whether working days counted from `start` to `end` pass through a year whose
        holidays are not yet published (the count may move once they are)."""
        if self.kind == "24x7" or self.published_years is None:
            return False
        first, last = start.astimezone(self.tz).year, end.astimezone(self.tz).year
        return any(year not in self.published_years for year in range(first, last + 1))


def resolve_calendar(
    kind: Literal["working_days", "24x7"],
    country: str,
    utc_offset_minutes: int,
    weekend: list[int],
    extra_holidays: list[date],
    extra_workdays: list[date],
    years: range,
    official_dates: str = "",
) -> CalendarSnapshot:
    """Build a snapshot for `years` from the `holidays` package plus policy overrides and
    the official dates file, if any (its years replace the package's estimate).

    Every case opened in the same years gets the same snapshot, so it is computed once per
    process (it dominated the webhook handler's time in profiles); an edited dates file
    (a new modification time) is read again."""
    mtime = Path(official_dates).stat().st_mtime_ns if official_dates else 0
    return _resolve(
        kind,
        country,
        utc_offset_minutes,
        tuple(weekend),
        tuple(extra_holidays),
        tuple(extra_workdays),
        years.start,
        years.stop,
        official_dates,
        mtime,
    )


def read_official_dates(path: str) -> dict[int, tuple[set[date], set[date]]]:
    """An official dates file: a table per year with `holidays` and `workdays` (make-up
    working days), each a list of TOML dates. `{year: (holidays, workdays)}`."""
    data: dict[str, Any] = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[int, tuple[set[date], set[date]]] = {}
    for key, table in data.items():
        if not (key.isdigit() and isinstance(table, dict)):
            raise ValueError(f'{path}: expected a table per year like ["2027"], got {key!r}')
        year = int(key)
        sets: list[set[date]] = []
        for name in ("holidays", "workdays"):
            days = table.get(name, [])
            if not all(isinstance(d, date) and not isinstance(d, datetime) for d in days):
                raise ValueError(f"{path}: [{key}] {name} must be a list of dates (2027-01-01)")
            if any(d.year != year for d in days):
                raise ValueError(f"{path}: [{key}] {name} holds a date outside {year}")
            sets.append(set(days))
        out[year] = (sets[0], sets[1])
    return out


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
    official_dates: str = "",
    _mtime: int = 0,  # part of the cache key only
) -> CalendarSnapshot:
    years = range(start_year, stop_year)
    hols: set[date] = set(extra_holidays)
    works: set[date] = set(extra_workdays)
    published: set[int] = set()
    if kind == "working_days" and country:
        import holidays as holidays_lib

        cal = holidays_lib.country_holidays(country, years=list(years))
        official = read_official_dates(official_dates) if official_dates else {}
        for year in years:
            if year in official:
                year_hols, year_works = official[year]
                published.add(year)
            else:
                year_hols = {d for d in cal if d.year == year}
                year_works = {d for d in getattr(cal, "weekend_workdays", ()) if d.year == year}
                # The package holds a year's 调休 once the State Council published them.
                if year in getattr(cal, "special_public_holidays", {}):
                    published.add(year)
            hols |= year_hols
            works |= year_works
    else:
        published.update(years)
    return CalendarSnapshot(
        kind=kind,
        utc_offset_minutes=utc_offset_minutes,
        weekend=list(weekend),
        holidays=sorted(hols),
        workdays=sorted(works),
        published_years=sorted(published),
    )
