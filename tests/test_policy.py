import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from redress.calendar import CalendarSnapshot
from redress.kinds import KINDS
from redress.policy import POLICIES_DIR, Span, load_policy, parse_duration
from tests.harness import section

CST = timezone(timedelta(hours=8))


def test_default_policy_carries_the_published_numbers() -> None:
    rules = section(load_policy("default"), "complaint")
    assert rules.handle_within == timedelta(hours=96)  # M1
    assert rules.response_overdue_points == 1  # M2
    assert rules.response_appeal_window == timedelta(days=7)  # M3
    assert rules.appeal_review == Span(working_days=3)  # M4
    assert rules.refund_within == timedelta(days=7)  # M6
    assert rules.refund_overdue_points == 1  # M7
    assert rules.refund_appeal_window == timedelta(days=30)  # M8


def test_fast_policy_runs_in_seconds() -> None:
    policy = load_policy("fast")
    assert section(policy, "complaint").handle_within <= timedelta(minutes=2)
    assert policy.calendar.kind == "24x7"


def test_durations() -> None:
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("250ms") == timedelta(milliseconds=250)
    assert parse_duration(5) == timedelta(seconds=5)
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")


def test_policy_file_by_path_and_bad_values(tmp_path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text((POLICIES_DIR / "default.toml").read_text().replace('"96h"', '"48h"'))
    assert section(load_policy(str(path)), "complaint").handle_within == timedelta(hours=48)
    path.write_text(path.read_text().replace('"48h"', '"whenever"'))
    with pytest.raises(ValidationError, match="not a duration"):
        load_policy(str(path))
    with pytest.raises(FileNotFoundError, match="bundled name"):
        load_policy("nope")


def test_snapshot_is_plain_data_and_round_trips() -> None:
    snap = load_policy("default").snapshot(datetime(2026, 9, 1, tzinfo=UTC))
    again = type(snap).model_validate_json(snap.model_dump_json())
    assert again == snap
    assert date(2026, 10, 1) in snap.calendar.holidays  # National Day
    assert date(2026, 10, 10) in snap.calendar.workdays  # make-up Saturday (调休)


def test_working_days_skip_holidays_and_count_makeup_days() -> None:
    cal = load_policy("default").snapshot(datetime(2026, 9, 1, tzinfo=UTC)).calendar
    # Appeal filed on 30 Sep: 1–7 Oct are holidays; Thu 8, Fri 9, Sat 10 (make-up) count.
    due = cal.add_working_days(datetime(2026, 9, 30, 15, 0, tzinfo=CST), 3)
    assert due == datetime(2026, 10, 11, 0, 0, tzinfo=CST)
    # Friday: Mon, Tue, Wed → midnight after Wednesday.
    due = cal.add_working_days(datetime(2026, 11, 20, 10, 0, tzinfo=CST), 3)
    assert due == datetime(2026, 11, 26, 0, 0, tzinfo=CST)
    # Late on a UTC evening that is already the next day in Shanghai.
    due = cal.add_working_days(datetime(2026, 11, 19, 20, 0, tzinfo=UTC), 1)
    assert due == datetime(2026, 11, 24, 0, 0, tzinfo=CST)


def test_24x7_calendar_counts_every_day() -> None:
    cal = CalendarSnapshot(kind="24x7")
    start = datetime(2026, 10, 1, 12, 0, tzinfo=CST)
    assert cal.add_working_days(start, 3) == datetime(2026, 10, 5, 0, 0, tzinfo=CST)


def test_a_missing_kind_section_takes_the_bundled_defaults(tmp_path, capsys) -> None:
    """Adding a kind never breaks a policy file written before it (issue 20)."""
    from redress.cli import main
    from redress.kinds import KINDS

    default = load_policy("default")
    text = (POLICIES_DIR / "fast.toml").read_text()
    kept, _, after = text.partition("[dispute]")
    # The file goes on at the next table that is not the dispute's own (`[dispute.…]`).
    found = re.search(r"^\[(?!dispute[.\]])", after, re.MULTILINE)
    assert found is not None
    rest = after[found.start() :]
    path = tmp_path / "older.toml"
    path.write_text(kept + rest + "\n[nobody_reads_this]\nx = 1\n")
    policy = load_policy(str(path))
    assert policy.defaulted == ("dispute",)
    assert policy.ignored == ("nobody_reads_this",)
    assert policy.dispute == default.dispute  # the bundled default's values
    assert policy.complaint != default.complaint  # the file's own section kept
    assert main(["policy", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "[dispute] (dispute): missing: the bundled defaults' values" in out
    assert "[complaint] (merchant_complaint): from the file" in out
    assert "[nobody_reads_this]: ignored" in out
    assert load_policy("default").defaulted == ()
    assert {kind.policy.name for kind in KINDS.values()} == set(default.sections)


def test_policy_check_refuses_an_invalid_file(tmp_path, capsys) -> None:
    from redress.cli import main

    path = tmp_path / "bad.toml"
    path.write_text((POLICIES_DIR / "default.toml").read_text().replace('"96h"', '"soon"'))
    assert main(["policy", "check", str(path)]) == 1
    assert "not a duration" in capsys.readouterr().err


def test_a_case_reads_its_section_from_the_snapshot_json() -> None:
    from redress.models.complaint import ComplaintPolicy, rules_of
    from redress.policy import PolicySnapshot

    policy = load_policy("default")
    snap = policy.snapshot(datetime(2026, 9, 1, tzinfo=UTC), sections=("complaint",))
    data = snap.model_dump(mode="json")
    # One key per registered kind's section, in registry order (null where unused).
    sections = [kind.policy.name for kind in KINDS.values()]
    assert list(data) == ["name", *sections, "calendar", "signals", "limits"]
    assert data["dispute"] is None
    again = PolicySnapshot.model_validate_json(snap.model_dump_json())
    assert rules_of(again) == policy.complaint
    assert isinstance(rules_of(again), ComplaintPolicy)
