"""DisputeWorkflow on the time-skipping server: one test per path of C1–C6 and SPEC §2.

Provider events go through the intake as the webhook sends them (already mapped to
`DisputeEvent`: the providers' own formats are tested in tests/providers/); reviewer
actions are the Update `act`. Times are the test server's, so the due time is an instant.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from redress.store import transactions
from tests.harness import with_section
from tests.kinds.disputes import DAY, DELIVERY, RULES, Disputes
from tests.kinds.harness import types as kinds_of


@pytest.mark.parametrize(("stage", "outcome"), [("won", "won"), ("lost", "lost")])
@pytest.mark.rule("C2")
async def test_defended_then_the_provider_decides(ds: Disputes, stage: str, outcome: str) -> None:
    dispute_id, case_id = await ds.open()
    v = await ds.view(case_id)
    assert v.status == "needs_response"
    due = datetime.fromisoformat(v.details["due_by"])
    assert v.deadlines["respond_by"] == due  # the provider's instant, exactly
    assert v.deadlines["submit_by"] == due - RULES.safety_margin
    assert v.details["packet"]["missing"] == [
        "shipping_documentation",
        "shipping_tracking_number",
        "shipping_date",
        "customer_communication",
    ]
    v = await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY})
    assert v.details["packet"]["missing"] == []
    v = await ds.act(case_id, {"type": "submit_defense"})
    assert v.status == "submitted" and "defense_submitted" in kinds_of(v)
    (request,) = ds.requests(case_id)
    assert request.action == "submit_defense" and request.body["submit"] == "true"
    assert request.body["evidence[shipping_documentation]"] == "file_pod"
    assert request.body["evidence[shipping_tracking_number]"] == "SF1234567890"
    # One-shot: a second submission of the same round is refused.
    await ds.refused(case_id, {"type": "submit_defense"}, "Conflict")

    await ds.event(dispute_id, "charge.dispute.closed", stage=stage, raw_status=stage)
    v = await ds.until(case_id, lambda v: v.status == "closed")
    assert v.outcome == outcome and v.timeline[-2].actor == "stripe"


async def test_accepted_stays_accepted(ds: Disputes) -> None:
    dispute_id, case_id = await ds.open()
    v = await ds.act(case_id, {"type": "accept_dispute", "note": "refunded the customer"})
    assert (v.status, v.outcome) == ("closed", "accepted")
    (request,) = ds.requests(case_id)
    assert (request.action, request.body) == ("accept", {})
    # Stripe reports an accepted dispute as lost: the merchant's decision stands.
    await ds.event(dispute_id, "charge.dispute.closed", stage="lost")
    v = await ds.until(case_id, lambda v: "provider_outcome" in kinds_of(v))
    assert v.outcome == "accepted"


@pytest.mark.parametrize(
    ("amount", "done", "status"),
    [("10.00", "auto_accepted", "closed"), ("120.00", "auto_submitted", "submitted")],
)
async def test_nobody_acted_the_policy_acts_before_the_due_time(
    ds: Disputes, amount: str, done: str, status: str
) -> None:
    _, case_id = await ds.open(due_in=3 * DAY, amount=Decimal(amount))
    # Something to submit (an empty packet is a supervisor's: tests/kinds/test_dispute_rounds.py)
    await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY[:1]})
    due = datetime.fromisoformat((await ds.view(case_id)).details["due_by"])
    await ds.env.sleep(3 * DAY - RULES.safety_margin + timedelta(seconds=5))
    v = await ds.until(case_id, lambda v: done in kinds_of(v))
    entry = next(e for e in v.timeline if e.type == done)
    assert entry.actor == "system" and entry.at < due
    assert v.status == status and v.status != "needs_response"
    reminders = ds.notices(case_id, "deadline_reminder")
    # 7 d and 3 d before had passed at arrival; 1 d before came with the safety margin;
    # 4 h before never came: the case had left needs_response.
    assert len(reminders) == 1
    assert ds.notices(case_id, "auto_action")


async def test_a_later_event_moves_the_due_time(ds: Disputes) -> None:
    dispute_id, case_id = await ds.open(due_in=5 * DAY)
    later = (await ds.view(case_id)).deadlines["respond_by"] + 2 * DAY
    await ds.event(dispute_id, "charge.dispute.updated", stage="needs_response", due_by=later)
    v = await ds.until(case_id, lambda v: "due_moved" in kinds_of(v))
    assert v.deadlines["respond_by"] == later


async def test_duplicate_and_out_of_order_events(ds: Disputes) -> None:
    dispute_id = f"dp_{uuid.uuid4().hex[:10]}"
    now = await ds.env.get_current_time()
    # The close arrives first; the created and an update (older) after it.
    closed = await ds.event(
        dispute_id, "charge.dispute.closed", at=now, stage="won", event_id="evt_c"
    )
    case_id = closed.case_id
    await ds.until(case_id, lambda v: v.status == "closed")
    again = await ds.event(
        dispute_id, "charge.dispute.closed", at=now, stage="won", event_id="evt_c"
    )
    assert again.duplicate and again.case_id == case_id
    older = now - timedelta(days=2)
    await ds.event(
        dispute_id,
        "charge.dispute.created",
        at=older,
        stage="needs_response",
        due_by=now + 5 * DAY,
    )
    withdrawn = await ds.event(
        dispute_id,
        "charge.dispute.funds_withdrawn",
        at=older + DAY,
        stage="needs_response",
        funds="withdrawn",
        funds_amount=Decimal("120.00"),
        fee=Decimal("15.00"),
    )
    assert not withdrawn.duplicate
    v = await ds.until(case_id, lambda v: kinds_of(v).count("stale_event") == 2)
    assert (v.status, v.outcome) == ("closed", "won")
    # Money moved is a fact whatever the order; the close stands.
    assert v.details["money"] == {"withdrawn": "120.00", "reinstated": "0", "fees": "15.00"}
    assert kinds_of(v).count("closed") == 1


async def test_pre_arbitration_reopens_the_same_case(ds: Disputes) -> None:
    dispute_id, case_id = await ds.open()
    await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY})
    await ds.act(case_id, {"type": "submit_defense"})
    await ds.event(dispute_id, "charge.dispute.closed", stage="won")
    await ds.until(case_id, lambda v: v.status == "closed")
    due = (await ds.env.get_current_time()).replace(microsecond=0) + 20 * DAY
    await ds.event(dispute_id, "charge.dispute.updated", stage="needs_response", due_by=due)
    v = await ds.until(case_id, lambda v: v.status == "needs_response")
    assert v.details["round"] == 2 and v.deadlines["respond_by"] == due and v.outcome is None
    v = await ds.act(case_id, {"type": "submit_defense"})  # its own round, its own submission
    assert v.status == "submitted" and len(ds.requests(case_id)) == 2


@pytest.mark.rule("C1", "C2")
async def test_packet_takes_in_the_transaction_records(ds: Disputes) -> None:
    dispute_id = f"dp_{uuid.uuid4().hex[:10]}"
    transactions.record_transaction(
        ds.engine,
        "M-1",
        f"ch_{dispute_id}",
        [
            {"kind": "shipping_documentation", "ref": "pod.pdf", "bytes": 90_000},
            {"kind": "shipping_date", "text": "2026-11-20"},
        ],
        order_id="O-1",
    )
    due = (await ds.env.get_current_time()).replace(microsecond=0) + 10 * DAY
    opened = await ds.event(dispute_id, stage="needs_response", due_by=due)
    # The two items, and the record's own fields as a statement (order O-1).
    v = await ds.until(opened.case_id, lambda v: v.packet is not None and v.packet["items"] == 3)
    assert v.packet is not None and v.round == 1
    assert v.packet["missing"] == ["shipping_tracking_number", "customer_communication"]


@pytest.mark.rule("C2")
async def test_oversize_evidence_is_refused_by_how_much(ds: Disputes) -> None:
    _, case_id = await ds.open()
    big = {"kind": "uncategorized_file", "ref": "file_video", "bytes": 5_000_000}
    # Checked when it is added: 422 naming the field and by how much.
    add = {"type": "add_evidence", "items": [*DELIVERY, big]}
    message = await ds.refused(case_id, add, "Invalid")
    assert "uncategorized_file (file_video)" in message
    assert "500,000 over Stripe's 4,500,000-byte limit per file" in message
    assert (await ds.view(case_id)).packet["items"] == 0  # type: ignore[index]
    assert ds.requests(case_id) == []


async def test_supervisor_submits_above_the_policy_amount(ds: Disputes) -> None:
    _, case_id = await ds.open(amount=Decimal("2500.00"))
    await ds.refused(case_id, {"type": "submit_defense"}, "Forbidden")
    v = await ds.act(case_id, {"type": "submit_defense"}, role="supervisor")
    assert v.status == "submitted"


async def test_due_time_already_passed_expires(ds: Disputes) -> None:
    _, case_id = await ds.open(due_in=-timedelta(hours=1))
    v = await ds.until(case_id, lambda v: v.status == "closed")
    assert v.outcome == "expired" and ds.requests(case_id) == []


async def test_a_long_dispute_continues_as_new_with_its_state(ds: Disputes) -> None:
    """The kind's state goes whole to the next run: round, due time, evidence (texts held
    by reference), money moved, the submission; the case acts on after it as before."""
    ds.policy = with_section(ds.policy, "dispute", history_limit=20)
    dispute_id, case_id = await ds.open(funds="withdrawn", funds_amount=Decimal("120.00"))
    await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY[:2]})
    due = (await ds.env.get_current_time()).replace(microsecond=0) + 12 * DAY
    await ds.event(dispute_id, "charge.dispute.updated", stage="needs_response", due_by=due)
    await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY[2:]})
    v = await ds.until(case_id, lambda v: "continued" in kinds_of(v))
    assert v.round == 1 and v.deadlines["respond_by"] == due
    assert v.packet is not None and v.packet["missing"] == [] and v.packet["items"] == 4
    assert v.details["money"]["withdrawn"] == "120.00"
    v = await ds.act(case_id, {"type": "submit_defense"})
    assert v.status == "submitted"
    (request,) = ds.requests(case_id)
    assert request.body["evidence[shipping_tracking_number]"] == "SF1234567890"
    await ds.refused(case_id, {"type": "submit_defense"}, "Conflict")  # submitted, carried
    await ds.event(dispute_id, "charge.dispute.closed", stage="won")
    v = await ds.until(case_id, lambda v: v.status == "closed")
    assert v.outcome == "won"
