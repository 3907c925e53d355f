"""Working days for platform complaints (P6): Chinese holidays, 调休 make-up days, and the
years whose official dates are not yet published (`estimated`), with an override file."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from redress.calendar import read_official_dates
from redress.policy import POLICIES_DIR, load_policy
from tests.harness import section

CST = timezone(timedelta(hours=8))
RULES = section(load_policy("default"), "platform_complaint")


def calendar(at: datetime, official: str = ""):  # type: ignore[no-untyped-def]
    policy = load_policy("default")
    policy.calendar.official_dates = official
    return policy.snapshot(at, sections=()).calendar


@pytest.mark.rule("P6")
def test_investigation_across_national_day_2026() -> None:
    opened = datetime(2026, 9, 30, 16, 0, tzinfo=CST)
    cal = calendar(opened)
    # 1–7 Oct are holidays; Thu 8, Fri 9 and the make-up Saturday 10 Oct are working days.
    assert RULES.regular.target.after(opened, cal) == datetime(2026, 10, 11, tzinfo=CST)
    # Sun 11 is off again: Mon 12, Tue 13.
    assert RULES.regular.deadline.after(opened, cal) == datetime(2026, 10, 14, tzinfo=CST)
    assert RULES.regular.complex.after(opened, cal) == datetime(2026, 10, 16, tzinfo=CST)
    assert not cal.estimated(opened, datetime(2026, 10, 16, tzinfo=CST))


@pytest.mark.rule("P6")
def test_across_new_year_2027_is_estimated_until_published(tmp_path: Path) -> None:
    opened = datetime(2026, 12, 30, 10, 0, tzinfo=CST)
    cal = calendar(opened)
    assert 2026 in (cal.published_years or []) and 2027 not in (cal.published_years or [])
    # Thu 31 Dec; 1 Jan is a holiday (estimated); Mon 4, Tue 5 Jan.
    due = RULES.regular.target.after(opened, cal)
    assert due == datetime(2027, 1, 6, tzinfo=CST)
    assert cal.estimated(opened, due)

    # The official dates arrive as a file (these are made up for the test: 1 and 4 Jan off,
    # Saturday 9 Jan worked). No code change, and no estimate.
    official = tmp_path / "official.toml"
    official.write_text('["2027"]\nholidays = [2027-01-01, 2027-01-04]\nworkdays = [2027-01-09]\n')
    cal = calendar(opened, str(official))
    assert 2027 in (cal.published_years or [])
    assert date(2027, 1, 4) in cal.holidays and date(2027, 1, 9) in cal.workdays
    # Package estimates for 2027 are replaced, not merged: its Spring Festival is gone.
    assert date(2027, 2, 6) not in cal.holidays
    due = RULES.regular.target.after(opened, cal)  # Thu 31, Tue 5, Wed 6
    assert due == datetime(2027, 1, 7, tzinfo=CST)
    assert not cal.estimated(opened, due)


def test_official_dates_file_is_relative_to_the_policy_and_checked(tmp_path: Path) -> None:
    assert load_policy("default").calendar.official_dates == str(
        POLICIES_DIR / "official-dates.toml"
    )
    assert read_official_dates(str(POLICIES_DIR / "official-dates.toml")) == {}
    bad = tmp_path / "bad.toml"
    bad.write_text('["2027"]\nholidays = [2026-12-31]\n')
    with pytest.raises(ValueError, match="outside 2027"):
        read_official_dates(str(bad))
    bad.write_text("[next]\nholidays = []\n")
    with pytest.raises(ValueError, match="table per year"):
        read_official_dates(str(bad))


def test_a_24x7_calendar_is_never_estimated() -> None:
    cal = load_policy("fast").snapshot(datetime(2026, 12, 30, tzinfo=CST)).calendar
    assert not cal.estimated(datetime(2026, 12, 30, tzinfo=CST), datetime(2030, 1, 1, tzinfo=CST))
