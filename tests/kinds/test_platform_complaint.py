"""PlatformComplaintWorkflow on the time-skipping server: one test per branch of P1–P10.

Cases open the way the webhook opens them (the registry's mapping and the intake, with
its ledger and links, in the test's store), at the test server's current time; the user's
later events go through the intake too. Reviewer actions are the Update `act`.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from redress.intake import Undeliverable
from redress.models import CaseAction
from redress.models.platform_intake import sample_event
from redress.models.platform_tables import VerificationRecord
from redress.policy import Span
from redress.store.tables import RefundRecord
from tests.harness import running_worker
from tests.kinds.harness import retire, send, types
from tests.kinds.platforms import DEFAULT, MANUAL, RULES, UPHELD, Platform, policy_with

# --- P1, P2: acceptance ---------------------------------------------------------------


@pytest.mark.rule("P2", "P6")
async def test_complete_complaint_is_accepted_at_once(pc: Platform) -> None:
    case_id = await pc.open()
    v = await pc.view(case_id)
    assert v.status == "investigating" and v.kind == "platform_complaint"
    assert v.details["missing"] == [] and v.priority == "regular"
    assert types(v)[:2] == ["complaint_received", "accepted"]
    accepted = [e for e in v.timeline if e.type == "accepted"][0]
    assert accepted.model_extra and accepted.model_extra["complaint_number"] == case_id
    assert set(v.deadlines) == {"target_by", "investigate_by"}
    # P6: 3 and 5 working days from the acceptance, on the case's own calendar.
    start, calendar = accepted.at, DEFAULT.snapshot(accepted.at).calendar
    assert v.deadlines["target_by"] == RULES.regular.target.after(start, calendar)
    assert v.deadlines["investigate_by"] == RULES.regular.deadline.after(start, calendar)
    await pc.until(case_id, lambda v: v.version >= 1)
    assert [n.template for n in pc.notices(case_id)] == ["accepted", "progress"]


@pytest.mark.rule("P1", "P2", "P5")
async def test_incomplete_then_supplemented_then_accepted(pc: Platform) -> None:
    case_id = await pc.open(description=None, evidence=None)
    v = await pc.view(case_id)
    assert v.status == "awaiting_info"
    assert v.details["missing"] == ["description", "evidence"]
    assert "supplement_by" in v.deadlines
    await pc.until(case_id, lambda v: v.version >= 1)
    (told,) = pc.notices(case_id, "incomplete")
    assert "问题描述" in told.body and "证据" in told.body

    await pc.user(case_id, "supplemented", complaint={"description": "charged twice"})
    v = await pc.view(case_id)
    assert v.status == "awaiting_info" and v.details["missing"] == ["evidence"]

    await pc.user(case_id, "supplemented", complaint={"evidence": ["receipt.png"]})
    v = await pc.view(case_id)
    assert v.status == "investigating" and v.details["missing"] == []
    assert v.details["evidence"] == ["receipt.png"]
    assert [e.type for e in v.timeline].count("supplemented") == 2


@pytest.mark.rule("P2")
async def test_incomplete_lapses_without_supplement(pc: Platform) -> None:
    case_id = await pc.open(amount=None, currency=None)
    assert (await pc.view(case_id)).details["missing"] == ["amount"]
    await pc.env.sleep(RULES.supplement_wait + timedelta(seconds=1))
    v = await pc.until(case_id, lambda v: v.status == "closed")
    assert v.outcome == "lapsed"
    await pc.until(case_id, lambda v: bool(pc.notices(case_id, "lapsed")))
    # The case is closed: a late supplement is refused, not dropped silently.
    with pytest.raises(Undeliverable) as late:
        await pc.user(case_id, "supplemented", complaint={"amount": "20.00"})
    assert late.value.status in (404, 409)


@pytest.mark.rule("P2")
async def test_manual_acceptance_escalates_after_24h(pc: Platform) -> None:
    case_id = await pc.open(policy=MANUAL)
    v = await pc.view(case_id)
    assert v.status == "awaiting_acceptance" and set(v.deadlines) == {"accept_by"}
    await pc.env.sleep(RULES.regular.acceptance + timedelta(seconds=1))
    v = await pc.until(case_id, lambda v: v.details["escalated"])
    assert v.status == "awaiting_acceptance" and "escalated" in types(v)
    await pc.until(case_id, lambda v: bool(pc.notices(case_id, "escalation")))
    (escalation,) = pc.notices(case_id, "escalation")
    assert escalation.recipient_kind == "desk" and escalation.address == "platform:supervisor"
    # Past its clock the decision is a supervisor's.
    await pc.refused(case_id, "agent", {"type": "accept"}, "Forbidden")
    v = await pc.act(case_id, "supervisor", {"type": "accept"})
    assert v.status == "investigating" and not v.details["escalated"]


@pytest.mark.rule("P2")
async def test_manual_rejection_tells_the_user_why(pc: Platform) -> None:
    case_id = await pc.open(policy=MANUAL)
    reason = {"type": "reject", "reason": "not a payment matter", "changes": "contact the seller"}
    v = await pc.act(case_id, "agent", reason)
    assert (v.status, v.outcome) == ("closed", "rejected")
    await pc.until(case_id, lambda v: bool(pc.notices(case_id, "not_accepted")))
    (notice,) = pc.notices(case_id, "not_accepted")
    assert "not a payment matter" in notice.body and "contact the seller" in notice.body


# --- P3: identity verification ----------------------------------------------------------


@pytest.mark.parametrize(("amount", "verify"), [("1000.00", False), ("1000.01", True)])
@pytest.mark.rule("P3")
async def test_verification_strictly_above_the_threshold(
    pc: Platform, amount: str, verify: bool
) -> None:
    case_id = await pc.open(amount=amount)
    v = await pc.until(case_id, lambda v: v.version >= 1)  # the first change's effects done
    assert v.status == ("awaiting_verification" if verify else "investigating")
    with Session(pc.engine) as s:
        requested = s.exec(
            select(VerificationRecord).where(VerificationRecord.case_id == case_id)
        ).all()
    assert len(requested) == (1 if verify else 0)
    if verify:
        assert v.details["verification"]["method"] == "otp"
        v = await pc.act(
            case_id, "agent", {"type": "record_verification", "passed": True, "method": "otp"}
        )
        assert v.status == "investigating"


@pytest.mark.rule("P3")
async def test_verification_failed_is_held_for_a_supervisor(pc: Platform) -> None:
    case_id = await pc.open(amount="5000.00")
    failed = {"type": "record_verification", "passed": False, "method": "id_document"}
    v = await pc.act(case_id, "agent", failed)
    assert v.status == "verification_hold" and v.details["escalated"]
    await pc.refused(case_id, "agent", {"type": "accept"}, "Forbidden")
    v = await pc.act(case_id, "supervisor", {"type": "accept", "note": "verified by phone"})
    assert v.status == "investigating"


@pytest.mark.rule("P3")
async def test_verification_timed_out_is_held(pc: Platform) -> None:
    case_id = await pc.open(amount="5000.00")
    await pc.env.sleep(RULES.verification_wait + timedelta(seconds=1))
    v = await pc.until(case_id, lambda v: v.status == "verification_hold")
    held = [e for e in v.timeline if e.type == "held"][0]
    assert held.model_extra and held.model_extra["reason"] == "verification_timeout"
    v = await pc.act(case_id, "supervisor", {"type": "reject", "reason": "identity not verified"})
    assert v.outcome == "rejected"


# --- P4: urgent first -------------------------------------------------------------------


@pytest.mark.rule("P4")
async def test_urgent_notice_goes_first_and_clocks_are_shorter(pc: Platform) -> None:
    urgent = await pc.open(category="account_stolen")
    regular = await pc.open()
    u, r = await pc.view(urgent), await pc.view(regular)
    assert u.priority == "urgent" and r.priority == "regular"
    assert u.deadlines["investigate_by"] < r.deadlines["investigate_by"]
    await pc.until(urgent, lambda v: v.version >= 1)
    sent = pc.notices(urgent)
    assert [n.template for n in sent][:2] == ["protective_steps", "accepted"]
    notices = [e for e in u.timeline if e.type == "notice"]
    assert notices[0].model_extra and notices[0].model_extra["template"] == "protective_steps"


# --- P5, P6: investigation ----------------------------------------------------------------


@pytest.mark.rule("P6")
async def test_investigation_marked_complex_moves_its_deadline(pc: Platform) -> None:
    case_id = await pc.open()
    before = (await pc.view(case_id)).deadlines["investigate_by"]
    v = await pc.act(case_id, "agent", {"type": "mark_complex", "reason": "two platforms"})
    after = v.deadlines["investigate_by"]
    assert after > before and v.details["complex"]
    marked = [e for e in v.timeline if e.type == "marked_complex"][0]
    assert marked.model_extra == {
        "reason": "two platforms",
        "deadline_from": before.isoformat(),
        "deadline_to": after.isoformat(),
    }
    await pc.refused(case_id, "agent", {"type": "mark_complex", "reason": "again"}, "Conflict")


@pytest.mark.rule("P6")
async def test_deadline_through_unpublished_holidays_is_flagged_estimated(pc: Platform) -> None:
    # 600 working days always reach two years ahead, whose holidays no one has published.
    long = RULES.regular.model_copy(update={"deadline": Span(working_days=600)})
    case_id = await pc.open(policy=policy_with(regular=long))
    v = await pc.view(case_id)
    assert "investigate_by" in v.details["estimated"]


@pytest.mark.rule("P6")
async def test_investigation_overdue_escalates(pc: Platform) -> None:
    case_id = await pc.open()
    v = await pc.view(case_id)
    due = v.deadlines["investigate_by"]
    now = await pc.env.get_current_time()
    await pc.env.sleep(due - now + timedelta(seconds=1))
    v = await pc.until(case_id, lambda v: v.details["escalated"])
    assert v.status == "investigating"
    assert {"investigation_target_passed", "escalated"} <= set(types(v))
    await pc.until(case_id, lambda v: bool(pc.notices(case_id, "escalation")))
    reminders = pc.notices(case_id, "deadline_reminder")
    assert {n.recipient_kind for n in reminders} == {"desk"} and len(reminders) == 2


@pytest.mark.rule("P5")
async def test_counterparty_needs_the_users_authorization(pc: Platform) -> None:
    case_id = await pc.open()
    ask = {"type": "contact_counterparty", "counterparty": "merchant", "message": "order state?"}
    message = await pc.refused(case_id, "agent", ask, "Conflict")
    assert "record_authorization" in message
    await pc.act(case_id, "agent", {"type": "record_authorization", "counterparties": ["merchant"]})
    await pc.refused(case_id, "agent", {**ask, "counterparty": "bank"}, "Conflict")
    v = await pc.act(case_id, "agent", ask)
    assert "counterparty_contacted" in types(v)
    await pc.until(case_id, lambda v: bool(pc.notices(case_id, "counterparty_inquiry")))
    (inquiry,) = pc.notices(case_id, "counterparty_inquiry")
    assert inquiry.recipient_kind == "merchant" and "order state?" in inquiry.body


# --- P7–P9: outcome and confirmation ------------------------------------------------------


@pytest.mark.rule("P7", "P8")
async def test_upheld_refund_is_issued_once_across_retries(pc: Platform) -> None:
    case_id = await pc.open(channel="app")
    v = await pc.act(case_id, "agent", UPHELD, id="conclude-1")
    again = await pc.act(case_id, "agent", UPHELD, id="conclude-1")  # a client's retry
    assert v.status == again.status == "awaiting_confirmation"
    assert v.refunded == Decimal("20.00") == again.refunded
    with Session(pc.engine) as s:
        refunds = s.exec(select(RefundRecord).where(RefundRecord.case_id == case_id)).all()
    assert [r.amount for r in refunds] == ["20.00"]
    await pc.until(case_id, lambda v: bool(pc.notices(case_id, "result")))
    (result,) = pc.notices(case_id, "result")
    # P8: back by the channel the complaint came in on (the app), with basis and appeal.
    assert (result.channel, result.address) == ("app", "U-DEMO")
    assert "duplicate charge confirmed" in result.body
    # Only one compensation, and a refund no larger than the complaint.
    bad = {**UPHELD, "compensation": {"refund": "20.00", "points": 5}}
    await pc.refused(case_id, "agent", bad, "Invalid")


@pytest.mark.rule("P9")
async def test_user_silent_for_7_days_closes_as_accepted(pc: Platform) -> None:
    case_id = await pc.open()
    await pc.act(case_id, "agent", {**UPHELD, "compensation": {"points": 100}})
    await pc.env.sleep(RULES.confirmation_wait + timedelta(seconds=1))
    v = await pc.until(case_id, lambda v: v.status == "closed")
    assert v.outcome == "accepted" and v.details["result"]["compensation"] == {"points": 100}


@pytest.mark.rule("P9")
async def test_user_confirms(pc: Platform) -> None:
    case_id = await pc.open()
    await pc.act(case_id, "agent", {"type": "conclude", "upheld": False, "basis": "paid once"})
    await pc.user(case_id, "confirmed")
    v = await pc.view(case_id)
    assert (v.status, v.outcome) == ("closed", "confirmed")


@pytest.mark.rule("P7", "P9")
async def test_objection_is_escalated_to_a_supervisor(pc: Platform) -> None:
    case_id = await pc.open()
    await pc.act(case_id, "agent", {"type": "conclude", "upheld": False, "basis": "paid once"})
    opened = await pc.user(case_id, "objected", reason="I was charged twice")
    assert opened.case_id == case_id
    v = await pc.view(case_id)
    assert v.status == "escalated" and v.details["escalated"] and "review_by" in v.deadlines
    review = {**UPHELD, "compensation": {"coupon": "CPN-20"}}
    await pc.refused(case_id, "agent", review, "Forbidden")
    v = await pc.act(case_id, "supervisor", review)
    assert (v.status, v.outcome) == ("closed", "upheld")


@pytest.mark.rule("P1")
async def test_duplicate_complaint_is_linked_to_the_open_case(pc: Platform) -> None:
    first = await pc.open(trade_no="T-DUP-1")
    body = sample_event(f"PC{uuid.uuid4().hex[:10]}", trade_no="T-DUP-1")
    body["complaint"]["created_at"] = (await pc.env.get_current_time()).isoformat()
    second = await pc.intake(body)
    assert (second.case_id, second.linked, second.duplicate) == (first, True, True)
    again = await pc.intake(body)  # the same delivery again
    assert (again.case_id, again.linked) == (first, True)
    v = await pc.view(first)
    assert types(v).count("complaint_linked") == 1
    assert v.details["linked"] == [body["complaint"]["id"]]
    # Another trade of the same user is a case of its own.
    other = await pc.open(trade_no="T-DUP-2")
    assert other != first


@pytest.mark.rule("P7")
async def test_an_action_delivered_with_the_first_task_waits_for_the_opening(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> None:
    """An Update that reaches the case in the same task as its start is checked against the
    state the opening sets (investigating), not the one the workflow is constructed with."""
    p = Platform(ts_env, engine, task_queue, [])
    case_id = await p.open()  # no worker yet: the start and the Update share the first task
    handle = ts_env.client.get_workflow_handle(case_id)
    conclude = {"type": "conclude", "upheld": False, "basis": "no fault found"}
    update = asyncio.create_task(
        send(handle, CaseAction(actor="agent-1", role="agent", action=conclude))
    )
    await asyncio.sleep(0.5)  # the Update is admitted and waits for a worker
    async with running_worker(ts_env.client, engine, task_queue):
        receipt = await update
        assert receipt.status == "awaiting_confirmation"
        await retire(ts_env.client, handle)
