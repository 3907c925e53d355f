"""ComplaintWorkflow on the time-skipping server: one test per branch of rules M1–M8.

Every case is created at the test server's current (virtual) time, so the deadlines a case
computes (respond_by, reminders, outcome_by, refund_by) are exact instants; what a timer
does is stamped with `workflow.now()` of the task that woke up, a few ms after its instant.
Each test's workflows are terminated on teardown, so no case outlives its worker.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.testing import WorkflowEnvironment

from redress.models import CaseView
from redress.models.complaint import (
    Appeal,
    AppealDecision,
    ComplaintCaseInput,
    PlatformVerdict,
    Refund,
    RefuseRefund,
    Reply,
    Resolve,
)
from redress.models.complaint import rules_of as complaint_rules
from redress.policy import load_policy
from redress.store.tables import NoticeRecord
from tests.harness import make_complaint, notices, open_complaint_case, running_worker
from tests.kinds.harness import (
    Cases,
    Handle,
    act,
    agent,
    event,
    platform,
    refused,
    sleep_until,
    types,
    until,
    view,
)
from workflows.complaint import ComplaintWorkflow

H96 = timedelta(hours=96)
DAY = timedelta(days=1)


REPLY = agent(Reply(message="Parcel re-sent, tracking SF123"))
APPEAL = agent(Appeal(penalty_id="P1", statement="We replied by phone", evidence=["call.png"]))


def soon_after(actual: datetime | None, instant: datetime) -> bool:
    """A timer-driven change happens at its instant, give or take the workflow task's latency
    (the case records `workflow.now()` of the task that woke up)."""
    return actual is not None and instant <= actual < instant + timedelta(seconds=1)


# --- M1: handled in time --------------------------------------------------------------


@pytest.mark.rule("M1", "M5")
async def test_reply_in_time_waits_for_outcome_then_closes_accepted(cases: Cases) -> None:
    h, inp = await cases.start()
    created = inp.complaint.created_at
    assert (await until(h, lambda v: v.version >= 1)).deadlines == {"respond_by": created + H96}

    v = await act(h, REPLY)
    replied = event(v, "message").at
    assert v.status == "awaiting_outcome"
    assert v.deadlines == {"outcome_by": replied + timedelta(days=7)}
    assert v.penalties == []

    result = await h.result()  # skips the 7-day outcome wait
    assert (result.status, result.outcome, result.points) == ("closed", "accepted", 0)
    v = await view(h)
    assert soon_after(v.closed_at, replied + timedelta(days=7))
    assert types(v) == ["complaint_received", "notice", "message", "closed"]
    assert len(cases.notices(inp.case_id, "acknowledgement")) == 1
    assert len(cases.notices(inp.case_id)) == 1  # no reminder, no penalty
    row = cases.record(inp.case_id)
    assert (row.status, row.outcome, row.points) == ("closed", "accepted", 0)


@pytest.mark.rule("M5")
async def test_resolve_closes_at_once(cases: Cases) -> None:
    h, inp = await cases.start()
    await act(h, REPLY)
    v = await act(h, platform(Resolve(note="user confirmed receipt")))
    assert (v.status, v.outcome) == ("closed", "resolved")
    assert v.closed_at == event(v, "resolved").at
    assert v.deadlines == {}
    result = await h.result()
    assert (result.status, result.outcome, result.points) == ("closed", "resolved", 0)
    assert cases.record(inp.case_id).outcome == "resolved"


# --- reminders before the M1 deadline -------------------------------------------------


@pytest.mark.rule("M1")
async def test_one_reminder_per_offset_at_its_instant(cases: Cases) -> None:
    h, inp = await cases.start()
    respond_by = inp.complaint.created_at + H96
    offsets = complaint_rules(inp.policy).reminders_before
    assert offsets == [timedelta(hours=24), timedelta(hours=4)]
    await until(h, lambda v: v.version >= 1)

    def reminders() -> list[NoticeRecord]:
        return cases.notices(inp.case_id, "deadline_reminder")

    await sleep_until(cases.env, respond_by - timedelta(hours=24, minutes=1))
    assert reminders() == []
    await sleep_until(cases.env, respond_by - timedelta(hours=23, minutes=59))
    assert [r.idempotency_key for r in reminders()] == [f"{inp.case_id}:reminder:86400"]
    await sleep_until(cases.env, respond_by - timedelta(hours=4, minutes=1))
    assert len(reminders()) == 1
    await sleep_until(cases.env, respond_by - timedelta(hours=3, minutes=59))
    assert sorted(r.idempotency_key for r in reminders()) == [
        f"{inp.case_id}:reminder:14400",
        f"{inp.case_id}:reminder:86400",
    ]
    await sleep_until(cases.env, respond_by + timedelta(days=3))  # penalty, nothing repeated
    assert len(reminders()) == 2
    v = await view(h)
    sent = [
        e
        for e in v.timeline
        if e.type == "notice" and getattr(e, "template", None) == "deadline_reminder"
    ]
    assert len(sent) == 2
    assert all(soon_after(e.at, respond_by - off) for e, off in zip(sent, offsets, strict=True))


# --- M2–M4: overdue penalty and its appeal --------------------------------------------


async def overdue(cases: Cases) -> tuple[Handle, ComplaintCaseInput, CaseView]:
    """A case left unhandled past 96 h: P1 imposed at the deadline."""
    h, inp = await cases.start()
    respond_by = inp.complaint.created_at + H96
    await sleep_until(cases.env, respond_by + timedelta(hours=1))
    v = await view(h)
    assert v.status == "overdue"
    [pen] = v.penalties
    assert (pen.id, pen.reason, pen.points, pen.state) == ("P1", "response_overdue", 1, "active")
    assert soon_after(pen.imposed_at, respond_by)
    assert pen.appeal_deadline == pen.imposed_at + timedelta(days=7)
    assert v.deadlines == {"late_until": pen.appeal_deadline, "appeal_by:P1": pen.appeal_deadline}
    assert len(cases.notices(inp.case_id, "penalty")) == 1
    assert cases.record(inp.case_id).points == 1
    return h, inp, v


async def appeal_p1(h: Handle, inp: ComplaintCaseInput) -> CaseView:
    v = await act(h, APPEAL)
    [pen] = v.penalties
    assert pen.state == "appealed"
    assert pen.appeal is not None
    assert (pen.appeal.statement, pen.appeal.evidence) == ("We replied by phone", ["call.png"])
    filed = pen.appeal.filed_at
    assert pen.review_deadline == inp.policy.calendar.add_working_days(filed, 3)
    assert pen.review_deadline == v.deadlines["review_by:P1"]
    assert event(v, "appeal").review_deadline == pen.review_deadline.isoformat()
    return v


@pytest.mark.rule("M2", "M3", "M4")
async def test_overdue_penalty_appeal_approved_revokes(cases: Cases) -> None:
    h, inp, _ = await overdue(cases)
    await appeal_p1(h, inp)
    v = await act(h, platform(AppealDecision(penalty_id="P1", approved=True, note="call log ok")))
    [pen] = v.penalties
    assert pen.state == "revoked"
    assert pen.appeal is not None and pen.appeal.decided_by == "platform-1"
    assert "review_by:P1" not in v.deadlines
    assert [t for t in types(v) if t in ("penalty", "appeal", "appeal_decision")] == [
        "penalty",
        "appeal",
        "appeal_decision",
    ]
    assert cases.record(inp.case_id).points == 0
    [notice] = cases.notices(inp.case_id, "appeal_outcome")
    assert notice.idempotency_key == f"{inp.case_id}:appeal:P1"


@pytest.mark.rule("M4")
async def test_overdue_penalty_appeal_rejected_upholds(cases: Cases) -> None:
    h, inp, _ = await overdue(cases)
    await appeal_p1(h, inp)
    v = await act(h, platform(AppealDecision(penalty_id="P1", approved=False)))
    assert v.penalties[0].state == "upheld"
    assert cases.record(inp.case_id).points == 1
    assert len(cases.notices(inp.case_id, "appeal_outcome")) == 1
    # A decided appeal is not decided twice.
    msg = await refused(h, platform(AppealDecision(penalty_id="P1", approved=True)), "Conflict")
    assert "no appeal to decide" in msg


@pytest.mark.rule("M3")
async def test_appeal_after_window_is_refused_and_penalty_final(cases: Cases) -> None:
    h, inp, v = await overdue(cases)
    await act(h, REPLY)  # handled late: the case stays open past the appeal window
    window_end = v.penalties[0].appeal_deadline
    await sleep_until(cases.env, window_end + timedelta(minutes=10))
    before = await view(h)
    assert before.status == "awaiting_outcome"
    assert before.penalties[0].state == "final"
    assert "appeal_window_closed" in types(before)

    msg = await refused(h, APPEAL, "Conflict")
    assert "appeal window" in msg and window_end.isoformat() in msg
    after = await view(h)
    assert after.penalties[0].state == "final"
    assert (after.version, len(after.timeline)) == (before.version, len(before.timeline))


# --- late arrival ---------------------------------------------------------------------


@pytest.mark.rule("M1", "M2")
async def test_complaint_older_than_96h_is_penalized_at_once(cases: Cases) -> None:
    h, inp = await cases.start(age=timedelta(hours=100))
    v = await act(h, REPLY)  # the desk answers the moment the case appears: too late
    assert types(v) == ["complaint_received", "notice", "penalty", "notice", "message"]
    received = event(v, "complaint_received").at
    [pen] = v.penalties
    assert (pen.reason, pen.state, pen.points) == ("response_overdue", "active", 1)
    assert pen.imposed_at == received  # at intake, before any action
    assert pen.appeal_deadline == received + timedelta(days=7)
    assert v.status == "awaiting_outcome"  # handled late: the penalty stays
    # The reminders' moments passed before the case arrived: skipped, not sent late.
    assert cases.notices(inp.case_id, "deadline_reminder") == []
    assert len(cases.notices(inp.case_id, "penalty")) == 1


# --- M5–M8: refusing a refund, the platform's verdict, refunds ------------------------


async def must_refund(cases: Cases) -> tuple[Handle, ComplaintCaseInput, CaseView]:
    h, inp = await cases.start()
    v = await act(h, agent(RefuseRefund(explanation="Delivered, signed", evidence=["pod.png"])))
    assert v.status == "platform_review"
    assert event(v, "refund_refused").evidence == ["pod.png"]
    v = await act(h, platform(PlatformVerdict(verdict="must_refund")))
    verdict_at = event(v, "platform_verdict").at
    assert v.status == "pending_refund"
    assert v.deadlines == {"refund_by": verdict_at + timedelta(days=7)}
    return h, inp, v


@pytest.mark.rule("M6")
async def test_must_refund_paid_in_time_closes_refunded(cases: Cases) -> None:
    h, inp, v = await must_refund(cases)
    await sleep_until(cases.env, v.deadlines["refund_by"] - DAY)
    v = await act(h, agent(Refund(amount=Decimal("100.00"))))
    assert (v.status, v.outcome, v.refunded) == ("closed", "refunded", Decimal("100.00"))
    result = await h.result()
    assert (result.outcome, result.points, result.refunded) == ("refunded", 0, Decimal("100"))
    [row] = cases.refunds(inp.case_id)
    assert (row.idempotency_key, Decimal(row.amount)) == (f"{inp.case_id}:refund:1", 100)
    assert len(cases.notices(inp.case_id, "refund_done")) == 1


@pytest.mark.rule("M7", "M8")
async def test_must_refund_unpaid_is_penalized_and_appealable_for_30_days(cases: Cases) -> None:
    h, inp, v = await must_refund(cases)
    refund_by = v.deadlines["refund_by"]
    await sleep_until(cases.env, refund_by + timedelta(hours=1))
    v = await view(h)
    [pen] = v.penalties
    assert (pen.reason, pen.points, pen.state) == ("refund_overdue", 1, "active")
    assert soon_after(pen.imposed_at, refund_by)
    assert pen.appeal_deadline == pen.imposed_at + timedelta(days=30)
    assert v.status == "pending_refund"
    assert cases.refunds(inp.case_id) == []

    await sleep_until(cases.env, refund_by + timedelta(days=29))  # past 7 days, inside 30
    v = await act(h, APPEAL)
    assert v.penalties[0].state == "appealed"


@pytest.mark.rule("M5")
async def test_partial_refund_then_excess_refused(cases: Cases) -> None:
    h, inp = await cases.start()
    v = await act(h, agent(Refund(amount=Decimal("40.00"), note="partial")))
    assert types(v) == ["complaint_received", "notice", "refund", "notice"]  # intake first
    assert (v.status, v.refunded) == ("awaiting_outcome", Decimal("40.00"))
    assert len(cases.refunds(inp.case_id)) == 1

    msg = await refused(h, agent(Refund(amount=Decimal("70.00"))), "Invalid")
    assert "exceeds the refundable amount 60.00 CNY" in msg
    after = await view(h)
    assert (after.version, after.refunded) == (v.version, Decimal("40.00"))
    assert [Decimal(r.amount) for r in cases.refunds(inp.case_id)] == [Decimal("40")]


async def test_refund_above_amount_on_fresh_case_writes_nothing(cases: Cases) -> None:
    h, inp = await cases.start()
    before = await until(h, lambda v: v.version >= 1)
    msg = await refused(h, agent(Refund(amount=Decimal("100.01"))), "Invalid")
    assert "refund of 100.01 exceeds the refundable amount 100.00 CNY" in msg
    after = await view(h)
    assert after.status == "awaiting_response"
    assert (after.version, after.timeline) == (before.version, before.timeline)
    assert cases.refunds(inp.case_id) == []


@pytest.mark.rule("M5", "M6")
async def test_refusing_refund_after_penalty_stops_the_unhandled_clock(cases: Cases) -> None:
    """Overdue, then handled by refusing the refund: the must-refund clock alone applies."""
    h, inp, v = await overdue(cases)
    await act(h, agent(RefuseRefund(explanation="Delivered, signed", evidence=["pod.png"])))
    await cases.env.sleep(DAY * 2)
    v = await act(h, platform(PlatformVerdict(verdict="must_refund")))
    refund_by = event(v, "platform_verdict").at + timedelta(days=7)
    assert v.deadlines["refund_by"] == refund_by
    assert "late_until" not in v.deadlines
    await sleep_until(cases.env, v.penalties[0].appeal_deadline + timedelta(hours=1))
    v = await view(h)
    assert v.status == "pending_refund"  # not closed "refund_unpaid" before refund_by
    v = await act(h, agent(Refund(amount=Decimal("100.00"))))
    assert (v.status, v.outcome) == ("closed", "refunded")


# --- closed cases, roles --------------------------------------------------------------


@pytest.mark.rule("M3")
async def test_closed_case_refuses_reply_but_takes_appeal_in_window(cases: Cases) -> None:
    h, inp, _ = await overdue(cases)
    await act(h, REPLY)
    before = await act(h, platform(Resolve()))
    assert (before.status, before.outcome) == ("closed", "resolved")

    msg = await refused(h, REPLY, "Conflict")
    assert "is closed (resolved)" in msg
    assert (await view(h)).version == before.version

    v = await act(h, APPEAL)
    assert v.status == "closed"
    assert v.penalties[0].state == "appealed"


async def test_agent_may_not_give_platform_verdict(cases: Cases) -> None:
    h, inp = await cases.start()
    before = await act(h, agent(RefuseRefund(explanation="Delivered", evidence=["pod.png"])))
    msg = await refused(h, agent(PlatformVerdict(verdict="no_refund")), "Forbidden")
    assert "role 'agent' may not take action 'platform_verdict'" in msg
    after = await view(h)
    assert (after.status, after.version) == ("platform_review", before.version)


# --- signals and idempotency ----------------------------------------------------------


async def test_signals_move_the_case_or_land_as_refusals(cases: Cases) -> None:
    h, inp = await cases.start()
    await h.signal(ComplaintWorkflow.act_signal, REPLY)
    v = await until(h, lambda v: v.status == "awaiting_outcome")
    assert "message" in types(v)

    await h.signal(ComplaintWorkflow.act_signal, agent(Refund(amount=Decimal("500.00"))))
    v = await until(h, lambda v: "action_refused" in types(v))
    refusal = event(v, "action_refused")
    assert (refusal.actor, refusal.action) == ("agent-1", "refund")
    assert "moves money: not by signal" in refusal.reason  # tests/kinds/test_signal_path.py
    assert (v.status, v.refunded) == ("awaiting_outcome", Decimal("0"))
    assert cases.refunds(inp.case_id) == []


async def test_same_update_id_refunds_once(cases: Cases) -> None:
    h, inp = await cases.start()
    cmd = agent(Refund(amount=Decimal("30.00")))
    first = await h.execute_update(ComplaintWorkflow.act, cmd, id="same")
    second = await h.execute_update(ComplaintWorkflow.act, cmd, id="same")
    assert first == second
    assert (await view(h)).refunded == Decimal("30.00")
    [row] = cases.refunds(inp.case_id)
    assert row.idempotency_key == f"{inp.case_id}:refund:1"
    assert len(cases.notices(inp.case_id, "refund_done")) == 1


# --- what a case costs the server -----------------------------------------------------


async def test_case_opened_by_intake_effects_run_beside_the_workflow(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> None:
    """Each state change's effects (projection, notices) are one local activity: no activity
    tasks, no extra workflow tasks, no patch marker, and the first task does not upsert the
    search attributes the intake set. Refunds stay regular activities."""
    complaint = make_complaint(created_at=await ts_env.get_current_time())
    async with running_worker(ts_env.client, engine, task_queue):
        opened = await open_complaint_case(
            ts_env.client, task_queue, load_policy("default"), "test", complaint
        )
        h: Handle = ts_env.client.get_workflow_handle_for(ComplaintWorkflow.run, opened.case_id)
        await act(h, REPLY)
        await act(h, agent(Refund(amount=Decimal("10.00"))))
        await ts_env.sleep(timedelta(days=8))  # past the outcome wait
        assert (await h.result()).outcome == "accepted"
    events = [e async for e in h.fetch_history_events()]
    kinds = [e.event_type for e in events]
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled == ["issue_refund"]
    # start; reply; refund (one activity in the update); outcome timer → close: at most five
    # workflow tasks (two may share one), where regular activities took nine or more.
    assert kinds.count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) <= 5
    # One local activity per state change: received, replied, refunded, closed.
    assert markers(events) == ["core_local_activity"] * 4
    upserts = [
        set(e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)
        for e in events
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    # One per status change (replied, closed); none at the start.
    assert len(upserts) == 2
    assert all("TemporalChangeVersion" not in u for u in upserts)
    assert len(notices(engine, opened.case_id)) == 2  # acknowledgement, refund done


def markers(events: list[HistoryEvent]) -> list[str]:
    return [
        e.marker_recorded_event_attributes.marker_name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
    ]
