"""The months the card-network figures (C5) answer for, as `YYYY-MM` in UTC: parsed, bounded,
and the month before."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# The months the figures answer for: 1970-01 (the epoch) to 9998-12 (the month after still
# has a first instant). The API documents this pattern as the `month` parameter's.
MONTH_PATTERN = (
    r"^(19[7-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-(0[1-9]|1[0-2])$"
)
MONTH_RANGE = "1970-01 to 9998-12"
_MONTH = re.compile(MONTH_PATTERN)
_ANY_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


def parse_month(value: str) -> str:
    """`YYYY-MM` within MONTH_RANGE, or ValueError saying what was expected."""
    if not isinstance(value, str) or not _MONTH.fullmatch(value):
        raise ValueError(f"expected a month as YYYY-MM ({MONTH_RANGE}), got {value!r}")
    return value


def _year_month(month: str) -> tuple[int, int]:
    # Format only, not the range: the month before the first accepted one (1969-12) is
    # still read for the figures' "last month" (a month every year 1..9998 can bound).
    match = _ANY_MONTH.fullmatch(month)
    if match is None or not 1 <= int(match[1]) <= 9998:
        raise ValueError(f"expected a month as YYYY-MM, got {month!r}")
    return int(match[1]), int(match[2])


def month_of(at: datetime) -> str:
    """The UTC month of an aware instant."""
    return at.astimezone(UTC).strftime("%Y-%m")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) in UTC."""
    year, mon = _year_month(month)
    start = datetime(year, mon, 1, tzinfo=UTC)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=UTC)
    return start, end


def previous_month(month: str) -> str:
    year, mon = _year_month(month)
    return f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"
