"""Case state is typed (issue 20): alarms keep the labels and keys running cases recorded,
a kind's state reads back the JSON an earlier run handed over, and an alarm, a recipient
or a status nobody knows raises instead of being dropped or sent to a default."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest

from redress.models.case import CaseUser, Contact
from redress.models.evidence import EvidenceItem, HeldEvidence
from workflows.actions import Rule
from workflows.alarms import Alarm, unknown
from workflows.complaint import ComplaintAlarm, ComplaintState, ComplaintWorkflow
from workflows.dispute import DisputeState
from workflows.kernel import CaseFacts, CaseWorkflow
from workflows.penalties import PenaltyAlarm
from workflows.platform_complaint import Clock, PlatformState

AT = datetime(2026, 12, 6, 17, 44, 2, 314445, tzinfo=UTC)


class Stray(StrEnum):
    STRAY = "stray"


def test_alarm_labels_and_keys_are_the_recorded_strings() -> None:
    assert Alarm(ComplaintAlarm.RESPOND_BY, AT).key == "respond_by@2026-12-06T17:44:02.314445+00:00"
    assert Alarm(PenaltyAlarm.APPEAL_BY, AT, "P1").label == "appeal_by:P1"
    ordered = sorted(
        [Alarm(ComplaintAlarm.LATE_UNTIL, AT), Alarm(PenaltyAlarm.APPEAL_BY, AT, "P1")],
        key=Alarm.order,
    )
    assert [a.label for a in ordered] == ["appeal_by:P1", "late_until"]


def test_an_unknown_alarm_raises() -> None:
    with pytest.raises(ValueError, match="no alarm 'stray:x'"):
        unknown(Alarm(Stray.STRAY, AT, "x"), "a test")


def test_the_complaint_state_reads_what_an_earlier_run_handed_over() -> None:
    # As tests/replay/histories/complaint_partial_refunds_long_case-v5.json carries it.
    carried: dict[str, Any] = {
        "outcome_by": None,
        "refund_by": "2027-02-06T18:44:02.220000+00:00",
        "late_until": None,
        "refund_total": "60.00",
    }
    state = ComplaintState.model_validate(carried)
    assert state.refund_by == datetime(2027, 2, 6, 18, 44, 2, 220000, tzinfo=UTC)
    assert state.refund_total == Decimal("60.00")
    assert ComplaintState.model_validate(state.model_dump(mode="json")) == state


def test_a_rule_naming_a_status_its_kind_lacks_is_refused_at_import() -> None:
    with pytest.raises(TypeError, match="no status"):

        class Stale(CaseWorkflow):  # noqa: F841
            STATUSES = ("open", "closed")
            ACTIONS = {"poke": Rule(lambda case, cmd, a: None, ("opened",))}


def test_statuses_and_recipients_outside_the_kind_raise() -> None:
    case = ComplaintWorkflow.__new__(ComplaintWorkflow)
    case._status = "reopened"  # type: ignore[assignment]
    user = CaseUser(id="U1", contact=Contact(channel="app", address="U1"))
    case.facts = CaseFacts("M1", Decimal("5.00"), "CNY", AT, user)
    with pytest.raises(ValueError, match="no status 'reopened'"):
        case._check_status()
    with pytest.raises(ValueError, match="no recipient 'bank'"):
        case._recipient("bank")


def test_the_platform_state_reads_what_an_earlier_run_handed_over() -> None:
    # As `_kind_state` wrote it before the state was one model (rules 1: no `notes`).
    complaint = {
        "id": "C1",
        "channel": "app",
        "created_at": "2026-12-06T17:44:02+00:00",
        "user": {"id": "U1", "locale": "zh-CN", "contact": {"channel": "app", "address": "U1"}},
        "amount": "1200.00",
        "currency": "CNY",
        "evidence": ["receipt.png"],
    }
    carried: dict[str, Any] = {
        "complaint": complaint,
        "due": {"target_by": "2026-12-09T17:44:02+00:00", "investigate_by": AT.isoformat()},
        "estimated": ["investigate_by"],
        "escalated": False,
        "complex": True,
        "authorized": ["merchant", "bank"],
        "verification": {"method": "otp", "request_id": "R1", "passed": True},
        "investigation_from": "2026-12-06T17:44:02+00:00",
        "result": None,
        "supplements": 1,
        "linked": ["C2"],
        "contacts": 0,
    }
    state = PlatformState.model_validate(carried)
    assert list(state.due) == [Clock.TARGET_BY, Clock.INVESTIGATE_BY]  # the order it had
    assert state.due[Clock.INVESTIGATE_BY] == AT
    assert state.authorized == {"merchant", "bank"} and state.notes == 0
    again = state.model_dump(mode="json")
    assert again["authorized"] == ["bank", "merchant"] and again["estimated"] == ["investigate_by"]
    assert PlatformState.model_validate(again) == state


def test_the_dispute_state_reads_what_an_earlier_run_handed_over() -> None:
    # As `_kind_state` wrote it: an item held inline (rules 1) and one held by reference
    # (rules 2) each read back as the model it was written from.
    carried: dict[str, Any] = {
        "round": 2,
        "due_by": AT.isoformat(),
        "latest": None,
        "raw_status": "needs_response",
        "seen": ["evt_1", "evt_2"],
        "evidence": [
            {"kind": "receipt", "ref": None, "text": "paid", "bytes": 0, "source": "reviewer"},
            {
                "kind": "receipt",
                "ref": None,
                "text": None,
                "bytes": 0,
                "source": "reviewer",
                "stored": "case:ab12",
                "text_bytes": 4,
            },
        ],
        "submitted": {"1": "ref_1"},
        "money": {"withdrawn": "10.00", "reinstated": "0", "fees": "15.00"},
        "escalated": True,
        "reopen_until": None,
        "facts": {"amount": "10.00", "currency": "USD"},
    }
    state = DisputeState.model_validate(carried)
    assert [type(i) for i in state.evidence] == [EvidenceItem, HeldEvidence]
    assert state.submitted == {1: "ref_1"} and state.money["fees"] == Decimal("15.00")
    assert state.network is None and state.amount_known and state.trade_no is None
    again = state.model_dump(mode="json")
    assert "stored" not in again["evidence"][0] and again["evidence"][1]["stored"] == "case:ab12"
    assert again["submitted"] == {"1": "ref_1"} and again["money"]["withdrawn"] == "10.00"
    assert DisputeState.model_validate(again) == state
