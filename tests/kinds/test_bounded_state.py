"""What a case holds stays bounded whatever arrives (time-skipping): a dispute on a charge
with megabytes of stored records still keeps its clocks, long evidence texts still submit
(the workflow holds references, the activities read the store), internal notes stop at the
policy's caps, and a long case at its caps continues as new with a small carry."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle

from redress.store import crud, transactions
from tests.harness import with_section
from tests.kinds.disputes import DAY, DELIVERY, RULES, Disputes
from tests.kinds.harness import types as kinds_of
from tests.kinds.platforms import DEFAULT, Platform, policy_with

# Temporal refuses a payload over 2 MiB; what a case carries must stay well inside it.
PAYLOAD_LIMIT = 2 * 1024 * 1024


async def largest_payload(handle: WorkflowHandle[Any, Any]) -> int:
    """The largest run input (a continue-as-new's carry), activity input or result in the
    case's latest run, in bytes. The test server does not enforce Temporal's 2 MiB payload
    limit, so the tests measure them."""
    sizes = [0]
    async for e in handle.fetch_history_events():
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            payloads = e.workflow_execution_started_event_attributes.input.payloads
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            payloads = e.activity_task_scheduled_event_attributes.input.payloads
        elif e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            payloads = e.activity_task_completed_event_attributes.result.payloads
        else:
            continue
        sizes.append(sum(len(p.data) for p in payloads))
    return max(sizes)


async def carried_size(handle: WorkflowHandle[Any, Any]) -> int:
    """The byte size of the input the current run started with: the earlier run's carry."""
    async for e in handle.fetch_history_events():
        attrs = e.workflow_execution_started_event_attributes
        assert attrs.continued_execution_run_id, "the case never continued as new"
        return sum(len(p.data) for p in attrs.input.payloads)
    raise AssertionError("no history")


def unlimited_text(ds: Disputes) -> None:
    """Stripe's character limits lifted (they are policy data): these tests are about what a
    case holds and carries, not what Stripe takes (tests/kinds/test_dispute_evidence.py)."""
    stripe = RULES.limits["stripe"].model_copy(
        update={"text_chars_per_field": None, "text_chars_combined": None}
    )
    ds.policy = with_section(ds.policy, "dispute", limits={**RULES.limits, "stripe": stripe})


async def test_a_dispute_on_megabytes_of_records_still_acts_before_its_due_time(
    ds: Disputes,
) -> None:
    # Records stored before the limits existed (or written around the API): 3 MB of text.
    unlimited_text(ds)
    dispute_id = "dp_bigrecords"
    text = "tracking update " * 2_000  # 32,000 bytes
    items = [{"kind": "access_activity_log", "text": f"{n}:{text}"} for n in range(100)]
    transactions.record_transaction(ds.engine, "M-1", f"ch_{dispute_id}", items)
    due = (await ds.env.get_current_time()).replace(microsecond=0) + 3 * DAY
    opened = await ds.event(
        dispute_id, stage="needs_response", due_by=due, phase="chargeback", defendable=True
    )
    v = await ds.until(opened.case_id, lambda v: v.packet is not None and v.packet["items"] >= 100)
    assert v.status == "needs_response"
    await ds.env.sleep(3 * DAY - RULES.safety_margin + timedelta(seconds=5))
    v = await ds.until(opened.case_id, lambda v: "auto_submitted" in kinds_of(v))
    assert v.status == "submitted"
    (request,) = ds.requests(opened.case_id)
    # The provider got the texts, read from the store by the submission activity.
    assert request.body["evidence[access_activity_log]"].count("tracking update") == 200_000
    # What the case carried, and its activities took and returned, is references and
    # sizes, never the texts.
    handle = ds.env.client.get_workflow_handle(opened.case_id)
    assert await largest_payload(handle) < 256 * 1024


async def test_long_evidence_texts_within_the_caps_still_submit(ds: Disputes) -> None:
    unlimited_text(ds)
    _, case_id = await ds.open()
    await ds.act(case_id, {"type": "add_evidence", "items": DELIVERY})
    long = "é" * 19_000  # 38,000 bytes each
    for batch in range(3):  # 2.2 MB of text in all: inside dispute.max_evidence_bytes
        items = [{"kind": "uncategorized_text", "text": f"{batch}.{n} {long}"} for n in range(20)]
        await ds.act(case_id, {"type": "add_evidence", "items": items})
    v = await ds.act(case_id, {"type": "submit_defense"})
    assert v.status == "submitted"
    (request,) = ds.requests(case_id)
    assert request.body["evidence[uncategorized_text]"].count(long) == 60
    # The submission activity read them from the store: its input held references, and
    # a run continued with the case's evidence carried as references too.
    handle = ds.env.client.get_workflow_handle(case_id)
    assert await largest_payload(handle) < 256 * 1024


async def test_evidence_text_per_case_is_capped_by_how_much(ds: Disputes) -> None:
    unlimited_text(ds)
    _, case_id = await ds.open()
    cap = RULES.max_evidence_bytes
    batch = 0

    def items() -> list[dict[str, Any]]:
        return [
            {"kind": "uncategorized_text", "text": f"{batch:04d}{n:02d}{'é' * 19_994}"}
            for n in range(50)
        ]

    while (batch + 1) * 50 * 39_994 <= cap:  # 1,999,700 bytes a batch
        await ds.act(case_id, {"type": "add_evidence", "items": items()})
        batch += 1
    message = await ds.refused(case_id, {"type": "add_evidence", "items": items()}, "Invalid")
    assert "dispute.max_evidence_bytes" in message and "over the 4,194,304-byte limit" in message


async def test_notes_stop_at_the_caps_and_a_case_at_its_caps_continues_as_new(
    pc: Platform,
) -> None:
    policy = policy_with(max_notes=40, note_bytes=4096, history_limit=120)
    small = policy.limits.model_copy(update={"carried_timeline_bytes": 16 * 1024})
    policy = policy.model_copy(update={"limits": small})
    case_id = await pc.open(policy=policy)
    await pc.until(case_id, lambda v: v.status == "investigating")
    long = "注" * 1365  # 4,095 bytes
    message = await pc.refused(case_id, "agent", {"type": "note", "text": long + "ab"}, "Invalid")
    assert "1 over the 4,096-byte limit per note (platform_complaint.note_bytes)" in message
    for n in range(40):
        await pc.act(case_id, "agent", {"type": "note", "text": f"{n % 10}{long}"})
    message = await pc.refused(case_id, "agent", {"type": "note", "text": "one more"}, "Invalid")
    assert "holds 40 notes" in message and "platform_complaint.max_notes" in message
    v = await pc.view(case_id)
    assert "continued" in [e.type for e in v.timeline] and v.timeline_from > 0
    # The carry stayed small (16 KiB of timeline, the kind's bounded state, the policy).
    size = await carried_size(pc.client.get_workflow_handle(case_id))
    assert size < 128 * 1024, size
    # The store keeps the whole timeline: all 40 notes, from the first entry on.
    stored = crud.get_case(pc.engine, case_id)
    assert stored is not None and stored.timeline_from == 0
    assert sum(e.type == "note" for e in stored.timeline) == 40
    assert stored.timeline[0].type == "complaint_received"
    # The case goes on: a conclusion after the continues-as-new.
    body = {"type": "conclude", "upheld": False, "basis": "no fault found"}
    v = await pc.act(case_id, "agent", body)
    assert v.status == "awaiting_confirmation"


def test_the_worst_case_carry_at_the_default_limits_stays_well_inside_a_payload() -> None:
    """Computed from the policy: every list a case keeps, filled to its cap with items of
    the largest size their fields allow, handed over as one continue-as-new input."""
    from datetime import UTC, datetime

    from redress.models.case import CarriedState, TimelineEvent
    from redress.models.evidence import HeldEvidence
    from workflows.kernel import carried_timeline

    limits = DEFAULT.limits
    dispute = DEFAULT.dispute
    platform = DEFAULT.platform_complaint
    assert dispute is not None and platform is not None
    now = datetime.now(UTC)
    widest = "\U0001f600"  # four bytes in UTF-8
    # The timeline: as many of the largest notes as the case may hold, and more.
    note = widest * (platform.note_bytes // 4)
    timeline = [
        TimelineEvent(at=now, type="note", actor="agent-1", text=note, internal=True)
        for _ in range(platform.max_notes * 2)
    ]
    kept, start = carried_timeline(timeline, limits)
    assert start > 0
    held = HeldEvidence(
        kind="uncategorized_text", ref=widest * 256, stored="case:" + "f" * 32, text_bytes=10**6
    )
    kind = {
        "evidence": [held.model_dump(mode="json")] * dispute.max_evidence_items,
        "seen": ["e" * 200] * 500,
        "linked": ["L" * 128] * platform.max_links,
    }
    carried = CarriedState(
        status="investigating",
        outcome=None,
        closed_at=None,
        timeline=kept,
        fired=[],
        refunded=Decimal(0),
        refunds=0,
        version=1,
        penalties=[],
        kind=kind,
        timeline_from=start,
    )
    size = len(carried.model_dump_json().encode())  # as the pydantic data converter sends it
    assert size < PAYLOAD_LIMIT // 2, size  # well inside: under half of Temporal's limit
