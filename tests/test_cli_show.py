"""`redress cases show`: what a case's view holds, printed whatever the kind."""

from __future__ import annotations

import pytest

from redress.cli import cases as cli_cases
from redress.cli import main
from redress.cli.case_details import utc


def test_show_prints_the_kinds_details_and_packet_with_every_instant_in_utc(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the kind: its `details` (nested ones flattened) and its `packet`; an
    instant given at +08:00 (Antom) is shown in UTC like one given with `Z` (Stripe)."""
    case = {
        "case_id": "dispute-antom-1",
        "kind": "dispute",
        "status": "needs_response",
        "created_at": "2026-12-06T21:00:00+08:00",
        "deadlines": {},
        "details": {
            "round": 2,
            "raw_status": "DISPUTE_CREATED",
            "phase": "chargeback",
            "defendable": True,
            "escalated": False,
            "due_by": "2026-12-09T23:59:59+08:00",
            "moved": {"JPY": {"deducted": "12000"}},
        },
        "packet": {"missing": ["shipping_documentation"], "text_chars": 0},
        "timeline": [
            {
                "at": "2026-12-06T13:00:00Z",
                "type": "opened",
                "actor": "antom",
                "due": "2026-12-09T23:59:59+08:00",
            }
        ],
    }
    monkeypatch.setattr(cli_cases, "request", lambda *a, **k: case)
    monkeypatch.setenv("REDRESS_TOKEN", "t")
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["cases", "show", "dispute-antom-1"]) == 0
    shown = capsys.readouterr().out
    for expected in (
        "round", "raw_status", "DISPUTE_CREATED", "phase", "chargeback", "defendable", "escalated",
        "moved.JPY.deducted", "12000", "missing", "shipping_documentation",
        "2026-12-06 13:00:00Z", "2026-12-09 15:59:59Z",
    ):  # fmt: skip
        assert expected in shown, expected
    assert "+08:00" not in shown


def test_instants_are_shown_in_utc_and_other_text_as_it_is() -> None:
    assert utc("2026-12-06T21:00:00+08:00") == utc("2026-12-06T13:00:00Z") == "2026-12-06 13:00:00Z"
    assert utc("2026-12-06") == "2026-12-06" and utc("dp_123") == "dp_123"
