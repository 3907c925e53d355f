"""DisputeWorkflow on the time-skipping server: the providers' response stages (an appeal,
a retrieval request's materials, a dispute the bank allows no answer to) and what the
policy's automatic action may and may not do with them.

Events come already normalized as the providers map them (tests/providers/ holds the
mapping from each provider's own payload: Stripe `status` appeal_needs_response /
appeal_under_review and `evidence_details.due_by` 0, stripe-python `_dispute.py`; Antom
`disputeJudgedResult` VALIDATE_SUCCESS / VALIDATE_FAIL and `defendable`, notifyDispute).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from redress.models import CaseView
from tests.kinds.disputes import DAY, DELIVERY, RULES, Disputes
from tests.kinds.harness import types as kinds_of


def _escalations(v: CaseView) -> list[dict[str, Any]]:
    return [e.model_dump() for e in v.timeline if e.type == "escalated"]


async def _past_submit_by(ds: Disputes, due_in: timedelta) -> None:
    await ds.env.sleep(due_in - RULES.safety_margin + timedelta(seconds=5))


@pytest.mark.rule("C6")
async def test_an_appeal_as_first_event_is_escalated_never_accepted(ds: Disputes) -> None:
    """Stripe `appeal_needs_response` as the first event, an amount the policy would accept:
    a supervisor decides before the due time; nothing is sent to Stripe."""
    _, case_id = await ds.open(
        due_in=3 * DAY, amount=Decimal("10.00"), phase="appeal", raw_status="appeal_needs_response"
    )
    await _past_submit_by(ds, 3 * DAY)
    v = await ds.until(case_id, lambda v: "escalated" in kinds_of(v))
    assert v.status == "needs_response" and v.details["escalated"] is True
    assert v.details["phase"] == "appeal"
    assert [e["reason"] for e in _escalations(v)] == ["appeal_stage"]
    assert ds.requests(case_id) == []  # neither accepted nor submitted
    assert ds.notices(case_id, "auto_action")


@pytest.mark.parametrize("order", ["close_then_appeal", "appeal_then_close"])
@pytest.mark.rule("C6")
async def test_an_appeal_after_a_lost_round_opens_the_next_round(ds: Disputes, order: str) -> None:
    """Defended and lost, then Stripe's `appeal_needs_response` with a new `due_by`: round 2
    with its own due time and packet, whichever of the two events comes first, and the
    appeal delivered twice opens it once."""
    dispute_id, case_id = await ds.open(due_in=5 * DAY)
    await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY})
    await ds.act(case_id, {"type": "submit_defense"})
    now = await ds.env.get_current_time()
    due = now.replace(microsecond=0) + 10 * DAY
    lost = {"stage": "lost", "raw_status": "lost", "at": now + timedelta(seconds=1)}
    appeal = {
        "stage": "needs_response",
        "raw_status": "appeal_needs_response",
        "phase": "appeal",
        "defendable": True,
        "due_by": due,
    }
    if order == "close_then_appeal":
        await ds.event(dispute_id, "charge.dispute.closed", **lost)  # type: ignore[arg-type]
        await ds.until(case_id, lambda v: v.status == "closed")
    for n in (2, 3):  # the appeal twice, as two events
        at = now + timedelta(seconds=n)
        await ds.event(dispute_id, "charge.dispute.updated", at=at, **appeal)  # type: ignore[arg-type]
    if order == "appeal_then_close":
        await ds.event(dispute_id, "charge.dispute.closed", **lost)  # type: ignore[arg-type]
        await ds.until(case_id, lambda v: "stale_event" in kinds_of(v))
    v = await ds.until(case_id, lambda v: v.details["round"] == 2)
    assert (v.status, v.outcome) == ("needs_response", None)
    assert kinds_of(v).count("new_round") == 1
    assert v.deadlines["respond_by"] == due and v.details["phase"] == "appeal"
    assert v.packet is not None and v.packet["items"] == 0  # its own packet
    # Nobody acted on the appeal: escalated before its due time, never accepted.
    await ds.env.sleep(10 * DAY - RULES.safety_margin + timedelta(seconds=5))
    v = await ds.until(case_id, lambda v: "escalated" in kinds_of(v))
    assert [e["reason"] for e in _escalations(v)] == ["appeal_stage"]
    assert [r.action for r in ds.requests(case_id)] == ["submit_defense"]


@pytest.mark.rule("C6")
async def test_a_dispute_the_bank_allows_no_answer_waits_without_timers(ds: Disputes) -> None:
    """Stripe `evidence_details.due_by` 0: not answerable, no deadline, never `expired`;
    the provider's verdict closes it."""
    dispute_id = f"dp_{uuid.uuid4().hex[:10]}"
    opened = await ds.event(
        dispute_id,
        stage="needs_response",
        raw_status="needs_response",
        phase="chargeback",
        no_response=True,
        defendable=False,
    )
    case_id = opened.case_id
    v = await ds.until(case_id, lambda v: v.status == "not_answerable")
    assert v.deadlines == {} and "not_answerable" in kinds_of(v)
    message = await ds.refused(case_id, {"type": "submit_defense"}, "Conflict")
    assert message == (
        "action 'submit_defense' is not possible while not_answerable: the provider allows "
        "no response to this dispute"
    )
    await ds.env.sleep(60 * DAY)
    v = await ds.view(case_id)
    assert v.status == "not_answerable" and v.outcome is None
    await ds.event(dispute_id, "charge.dispute.closed", stage="lost", raw_status="lost")
    v = await ds.until(case_id, lambda v: v.status == "closed")
    assert v.outcome == "lost" and ds.requests(case_id) == []


@pytest.mark.rule("C6")
async def test_a_non_defendable_dispute_refuses_a_defence_and_escalates(ds: Disputes) -> None:
    """Antom `defendable: "false"`: `submit_defense` is refused (409) with the reason; the
    policy escalates before the due time instead of submitting."""
    _, case_id = await ds.open(due_in=3 * DAY, provider="antom", defendable=False)
    await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY})
    message = await ds.refused(case_id, {"type": "submit_defense"}, "Conflict")
    assert "not defendable" in message
    await _past_submit_by(ds, 3 * DAY)
    v = await ds.until(case_id, lambda v: "escalated" in kinds_of(v))
    assert [e["reason"] for e in _escalations(v)] == ["not_defendable"]
    assert v.status == "needs_response" and ds.requests(case_id) == []


@pytest.mark.rule("C2")
async def test_an_empty_packet_is_escalated_not_submitted(ds: Disputes) -> None:
    """Nobody added evidence and the transaction has no records: no empty defence."""
    _, case_id = await ds.open(due_in=3 * DAY, amount=Decimal("120.00"))
    await _past_submit_by(ds, 3 * DAY)
    v = await ds.until(case_id, lambda v: "escalated" in kinds_of(v))
    assert [e["reason"] for e in _escalations(v)] == ["empty_packet"]
    assert v.status == "needs_response" and ds.requests(case_id) == []


@pytest.mark.rule("C6")
async def test_materials_refused_then_accepted_then_judged(ds: Disputes) -> None:
    """Antom's retrieval stage: VALIDATE_FAIL after the materials went is the next round
    (escalated at once), VALIDATE_SUCCESS puts it under review, DISPUTE_JUDGED closes it;
    disputeJudgedAmount is money moved in its currency, the disputed amount stays."""
    dispute_id, case_id = await ds.open(
        provider="antom", phase="retrieval", currency="KRW", amount=Decimal("14204")
    )
    await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY[:1]})
    await ds.act(case_id, {"type": "submit_defense"})
    judged: dict[str, Any] = {"provider": "antom", "amount": None, "currency": None}
    await ds.event(
        dispute_id,
        "DISPUTE_JUDGED",
        stage="needs_response",
        raw_status="VALIDATE_FAIL",
        phase="retrieval",
        **judged,
    )
    v = await ds.until(case_id, lambda v: v.details["round"] == 2)
    assert v.status == "needs_response" and v.details["escalated"] is True
    assert [e["reason"] for e in _escalations(v)] == ["validation_failed"]
    await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY[1:2]})
    await ds.act(case_id, {"type": "submit_defense"})  # round 2's own submission
    await ds.event(
        dispute_id,
        "DISPUTE_JUDGED",
        stage="under_review",
        raw_status="VALIDATE_SUCCESS",
        phase="retrieval",
        **judged,
    )
    await ds.event(
        dispute_id,
        "DISPUTE_JUDGED",
        stage="lost",
        raw_status="ACCEPT_BY_MERCHANT",
        funds="deducted",
        funds_amount=Decimal("14204"),
        funds_currency="KRW",
        **judged,
    )
    v = await ds.until(case_id, lambda v: v.status == "closed")
    assert v.outcome == "lost" and len(ds.requests(case_id)) == 2
    assert v.details["moved"] == {"KRW": {"deducted": "14204"}}
    assert v.amount == Decimal("14204") and v.currency == "KRW"


@pytest.mark.rule("C6")
async def test_money_moved_is_kept_in_its_own_currency(ds: Disputes) -> None:
    """Stripe's balance transactions are in the balance's currency, not the dispute's."""
    dispute_id, case_id = await ds.open()
    await ds.event(
        dispute_id,
        "charge.dispute.funds_withdrawn",
        stage="needs_response",
        funds="withdrawn",
        funds_amount=Decimal("110.50"),
        fee=Decimal("15.00"),
        funds_currency="EUR",
    )
    v = await ds.until(case_id, lambda v: "funds_withdrawn" in kinds_of(v))
    assert v.details["moved"] == {"EUR": {"withdrawn": "110.50", "fees": "15.00"}}
    assert (v.amount, v.currency) == (Decimal("120.00"), "USD")


@pytest.mark.rule("C2")
async def test_an_inquiry_that_becomes_a_chargeback_keeps_the_unsent_packet(
    ds: Disputes,
) -> None:
    """Stripe `warning_needs_response` then `needs_response`: the next round with its own
    due time; what the desk gathered and never sent stays in its packet."""
    dispute_id, case_id = await ds.open(
        due_in=5 * DAY, phase="inquiry", raw_status="warning_needs_response"
    )
    await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY[:2]})
    due = (await ds.env.get_current_time()).replace(microsecond=0) + 15 * DAY
    await ds.event(
        dispute_id,
        "charge.dispute.updated",
        stage="needs_response",
        raw_status="needs_response",
        phase="chargeback",
        defendable=True,
        due_by=due,
    )
    v = await ds.until(case_id, lambda v: v.details["round"] == 2)
    assert v.deadlines["respond_by"] == due and v.details["phase"] == "chargeback"
    assert v.packet is not None and v.packet["items"] == 2


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        # Antom `disputeType` RETRIEVAL_REQUEST / COMPLIANCE_REQUEST (notifyDispute).
        ({"provider": "antom", "phase": "retrieval"}, "retrieval_stage"),
        ({"provider": "antom", "phase": "compliance"}, "compliance_stage"),
        # Stripe `card.case_type` block / resolution: no response stage redress knows.
        ({"phase": None}, "unknown_stage"),
        # Antom DISPUTE_CREATED without `defendable`: nobody said it can be defended.
        ({"provider": "antom", "defendable": None}, "defendable_unknown"),
    ],
)
@pytest.mark.parametrize("amount", ["10.00", "120.00"])
@pytest.mark.rule("C6")
async def test_the_policy_never_acts_on_a_stage_a_person_decides(
    ds: Disputes, fields: dict[str, Any], reason: str, amount: str
) -> None:
    """Below `auto_accept_below` the policy would accept, above it submit the packet as it
    stands: on these stages it does neither, and escalates before the due time."""
    _, case_id = await ds.open(due_in=3 * DAY, amount=Decimal(amount), **fields)
    await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY})
    await _past_submit_by(ds, 3 * DAY)
    v = await ds.until(case_id, lambda v: "escalated" in kinds_of(v))
    assert [e["reason"] for e in _escalations(v)] == [reason]
    assert v.status == "needs_response" and v.details["escalated"] is True
    assert ds.requests(case_id) == []  # neither accepted nor submitted
    assert ds.notices(case_id, "auto_action")
    now = await ds.env.get_current_time()
    assert v.deadlines["respond_by"] > now  # escalated before the due time


@pytest.mark.rule("C6")
async def test_money_withdrawn_and_reinstated_with_the_fee(ds: Disputes) -> None:
    """Stripe funds_withdrawn then funds_reinstated (their balance transactions): both
    amounts and the fee kept as money moved; the disputed amount stays."""
    dispute_id, case_id = await ds.open()
    moved: dict[str, Any] = {"stage": "under_review", "raw_status": "under_review"}
    await ds.event(
        dispute_id,
        "charge.dispute.funds_withdrawn",
        funds="withdrawn",
        funds_amount=Decimal("120.00"),
        fee=Decimal("15.00"),
        funds_currency="USD",
        **moved,
    )
    await ds.event(
        dispute_id,
        "charge.dispute.funds_reinstated",
        funds="reinstated",
        funds_amount=Decimal("120.00"),
        fee=Decimal("0"),
        funds_currency="USD",
        **moved,
    )
    v = await ds.until(case_id, lambda v: "funds_reinstated" in kinds_of(v))
    assert v.details["moved"] == {
        "USD": {"withdrawn": "120.00", "fees": "15.00", "reinstated": "120.00"}
    }
    assert (v.amount, v.currency) == (Decimal("120.00"), "USD")


@pytest.mark.parametrize("order", ["close_then_appeal", "appeal_then_close"])
@pytest.mark.rule("C6")
async def test_an_appeal_and_the_lost_close_in_the_same_second(ds: Disputes, order: str) -> None:
    """Stripe's `created` is in whole seconds: the lost close and the appeal may carry the
    same instant. Either way round 2 stays open for the appeal, with its due time."""
    dispute_id, case_id = await ds.open(due_in=5 * DAY)
    await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY})
    await ds.act(case_id, {"type": "submit_defense"})
    now = (await ds.env.get_current_time()).replace(microsecond=0)
    at, due = now + timedelta(seconds=1), now + 10 * DAY
    lost: dict[str, Any] = {"stage": "lost", "raw_status": "lost", "at": at}
    appeal: dict[str, Any] = {
        "stage": "needs_response",
        "raw_status": "appeal_needs_response",
        "phase": "appeal",
        "defendable": True,
        "due_by": due,
        "at": at,
    }
    first, second = (lost, appeal) if order == "close_then_appeal" else (appeal, lost)
    for fields in (first, second):
        kind = "charge.dispute.closed" if fields is lost else "charge.dispute.updated"
        await ds.event(dispute_id, kind, **fields)
    last = "new_round" if order == "close_then_appeal" else "stale_event"
    v = await ds.until(case_id, lambda v: last in kinds_of(v))
    assert (v.status, v.outcome, v.details["round"]) == ("needs_response", None, 2)
    assert v.deadlines["respond_by"] == due and kinds_of(v).count("new_round") == 1


@pytest.mark.rule("C6")
async def test_an_appeal_due_within_the_margin_is_escalated_at_once(ds: Disputes) -> None:
    """The appeal's due time is nearer than the policy's safety margin when it arrives: the
    supervisor is called at once, still before the due time; nothing goes to Stripe."""
    dispute_id, case_id = await ds.open(due_in=5 * DAY)
    await ds.event(dispute_id, "charge.dispute.closed", stage="lost", raw_status="lost")
    await ds.until(case_id, lambda v: v.status == "closed")
    due = (await ds.env.get_current_time()).replace(microsecond=0) + timedelta(hours=2)
    await ds.event(
        dispute_id,
        "charge.dispute.updated",
        stage="needs_response",
        raw_status="appeal_needs_response",
        phase="appeal",
        defendable=True,
        due_by=due,
        amount=Decimal("10.00"),
    )
    v = await ds.until(case_id, lambda v: "escalated" in kinds_of(v))
    assert [e["reason"] for e in _escalations(v)] == ["appeal_stage"]
    assert await ds.env.get_current_time() < due and v.status == "needs_response"
    assert ds.requests(case_id) == []
