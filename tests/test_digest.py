"""The daily digest (M12): its query on a seeded store (SQLite and PostgreSQL), its
Schedule's calendar, and the Schedule's workflow sending it on the time-skipping server."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.testing import WorkflowEnvironment

from activities.digest import DigestInput, send_digests
from redress import digest
from redress.models import CaseView, Penalty
from redress.notices.channels import RecordingChannel
from redress.notices.renderer import get_renderer
from redress.policy import DigestPolicy, load_policy
from redress.store import crud
from redress.store.tables import NoticeRecord
from tests.harness import case_view
from worker import build_worker
from workflows.digest import DigestWorkflow, ensure_digest_schedule

SHANGHAI = ZoneInfo("Asia/Shanghai")


def seed(
    engine: Engine,
    case_id: str,
    *,
    merchant: str = "M1",
    created: datetime,
    deadlines: dict[str, datetime] | None = None,
    status: str = "awaiting_response",
    category: str = "not_received",
    kind: str | None = None,
    penalties: list[Penalty] | None = None,
) -> None:
    view: CaseView = case_view(case_id, 1, status=status)
    changes: dict[str, Any] = {
        "merchant_id": merchant,
        "created_at": created,
        "deadlines": deadlines or {},
        "category": category,
        "penalties": penalties or [],
        "seq": 1,
    }
    if kind:
        changes["kind"] = kind
    crud.upsert_case(engine, view.model_copy(update=changes))


def penalty(
    pid: str, imposed: datetime, appeal_deadline: datetime, state: str = "active"
) -> Penalty:
    return Penalty(
        id=pid,
        reason="response_overdue",
        points=1,
        state=state,  # type: ignore[arg-type]
        imposed_at=imposed,
        appeal_deadline=appeal_deadline,
    )


def seed_queue(engine: Engine, now: datetime) -> None:
    """One merchant's queue as of `now`, and a case of another merchant."""
    h = timedelta(hours=1)
    seed(engine, "due-soon", created=now - 50 * h, deadlines={"respond_by": now + 30 * h})
    seed(engine, "due-later", created=now - 2 * h, deadlines={"respond_by": now + 90 * h})
    seed(engine, "late", created=now - 100 * h, deadlines={"respond_by": now - 4 * h})
    # Closed, its penalty's appeal window still open (its deadline runs on).
    seed(
        engine,
        "penalized",
        created=now - 200 * h,
        status="closed",
        deadlines={"appeal_by:P1": now + 60 * h},
        penalties=[penalty("P1", now - 108 * h, now + 60 * h)],
        category="quality",
    )
    # Closed, its penalty final: nothing to do.
    seed(
        engine,
        "done",
        created=now - 250 * h,
        status="closed",
        penalties=[penalty("P1", now - 240 * h, now - 72 * h, state="final")],
        category="quality",
    )
    # The categories: this week (the last 7 days) against the 7 days before.
    for n in range(3):
        seed(engine, f"w-nr{n}", created=now - (10 + n) * h, category="not_received")
    seed(engine, "w-dbl", created=now - 20 * h, category="charged_twice", kind="other_kind")
    for n in range(4):
        seed(engine, f"lw-q{n}", created=now - (180 + n) * h, category="quality")
    seed(engine, "other", merchant="M2", created=now - h, deadlines={"x": now - h})


@pytest.mark.rule("M12")
def test_the_digest_lists_due_overdue_appeals_and_the_weeks_categories(store: Engine) -> None:
    now = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    seed_queue(store, now)
    policy = DigestPolicy(due_within=timedelta(hours=24), top_categories=3)
    assert digest.compute(store, "M1", now, policy).due == []  # 30 h away
    later = now + timedelta(hours=7)  # 16:30 there: it is 23 h away now
    found = digest.compute(store, "M1", later, policy)

    assert [c.case_id for c in found.due] == ["due-soon"]
    assert [c.case_id for c in found.overdue] == ["late"]
    [late] = found.overdue
    assert late.deadline_name == "respond_by"
    assert late.deadline == now - timedelta(hours=4) and late.deadline.tzinfo == SHANGHAI
    [appeal] = found.appeals
    assert (appeal.case_id, appeal.penalty_id) == ("penalized", "P1")
    # 60 h after 09:30 Shanghai time on 7 December: 21:30 on the 9th, its last day.
    assert appeal.last_day == date(2026, 12, 9)
    assert [(g.category, g.this_week, g.last_week) for g in found.categories] == [
        ("not_received", 6, 0),  # the open cases were created this week too
        ("charged_twice", 1, 0),
    ]
    assert found.day == date(2026, 12, 7) and not found.more
    assert digest.merchants(store, later) == ["M1", "M2"]


@pytest.mark.rule("M12")
def test_the_window_and_the_lists_follow_the_policy(store: Engine) -> None:
    now = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    seed_queue(store, now)
    wide = DigestPolicy(due_within=timedelta(hours=96), max_cases=1, top_categories=1)
    found = digest.compute(store, "M1", now, wide)
    assert [c.case_id for c in found.due] == ["due-soon"]  # the earliest first
    assert found.more == {"due": 1}
    assert [g.category for g in found.categories] == ["not_received"]
    # An empty merchant: nothing listed, and the digest says so.
    empty = digest.compute(store, "M-NONE", now, wide)
    assert empty.empty


@pytest.mark.rule("M12")
def test_the_schedule_runs_daily_at_the_policy_time_in_its_time_zone() -> None:
    spec = digest.schedule_spec(DigestPolicy(at="08:45", timezone="Europe/Paris"))
    [cal] = spec.calendars
    assert (cal.hour[0].start, cal.minute[0].start) == (8, 45)
    assert spec.time_zone_name == "Europe/Paris"
    default = load_policy("default").digest
    assert (default.at, default.timezone, default.due_within) == (
        "09:00",
        "Asia/Shanghai",
        timedelta(hours=24),
    )
    for bad in ({"at": "25:00"}, {"timezone": "Mars/Base"}, {"due_within": "0s"}):
        with pytest.raises(ValueError, match="digest"):
            DigestPolicy.model_validate(bad)


@pytest.mark.rule("M12")
async def test_the_worker_keeps_a_daily_schedule_in_the_policys_time_zone(
    local_env: WorkflowEnvironment,
) -> None:
    policy = load_policy("default")
    schedule_id = f"redress-digest-{uuid.uuid4().hex[:8]}"
    await ensure_digest_schedule(local_env.client, policy, "digest-tq", schedule_id)
    await ensure_digest_schedule(local_env.client, policy, "digest-tq", schedule_id)  # again
    handle = local_env.client.get_schedule_handle(schedule_id)
    try:
        desc = await handle.describe()
        assert desc.schedule.spec.time_zone_name == "Asia/Shanghai"
        # 09:00 in Shanghai is 01:00 UTC, every day.
        times = desc.info.next_action_times[:2]
        assert [(t.astimezone(UTC).hour, t.minute) for t in times] == [(1, 0), (1, 0)]
        assert times[1] - times[0] == timedelta(days=1)
    finally:
        await handle.delete()


@pytest.mark.rule("M12")
def test_the_digest_goes_to_the_ops_contact_once_a_day(engine: Engine) -> None:
    now = datetime.now(UTC)
    seed_queue(engine, now)
    policy = DigestPolicy(locale="en", ops_contacts={"M1": "ops-{merchant}@example.com"})
    channel, renderer = RecordingChannel(engine), get_renderer()
    [first] = send_digests(engine, channel, renderer, DigestInput(policy=policy, merchant_id="M1"))
    assert first.delivered and first.request.recipient.address == "ops-M1@example.com"
    [again] = send_digests(engine, channel, renderer, DigestInput(policy=policy, merchant_id="M1"))
    assert not again.delivered  # one per merchant and day
    both = send_digests(engine, channel, renderer, DigestInput(policy=policy))
    [m2] = [s for s in both if s.digest.merchant_id == "M2"]
    # No contact registered: the merchant's desk, as its other notices.
    assert (m2.request.recipient.channel, m2.request.recipient.address) == ("desk", "M2")


def digests(engine: Engine) -> dict[str, NoticeRecord]:
    with Session(engine) as s:
        rows = s.exec(select(NoticeRecord).where(NoticeRecord.template == "digest")).all()
        return {r.case_id: r for r in rows}


@pytest.mark.rule("M12")
async def test_the_schedules_workflow_sends_each_merchant_its_digest(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> None:
    t0 = await ts_env.get_current_time()
    seed_queue(engine, t0)
    policy = load_policy("default").digest.model_copy(update={"locale": "en"})

    async def run() -> Any:
        return await ts_env.client.execute_workflow(
            DigestWorkflow.run,
            DigestInput(policy=policy),
            id=f"digest-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
        )

    async with build_worker(ts_env.client, engine, task_queue):
        # Seven hours on, the case due in 30 h is due within the day, and the deadline of
        # the case due in 90 h is still far.
        await ts_env.sleep(timedelta(hours=7))
        # The clock stays where the test put it while the two digests are sent.
        with ts_env.auto_time_skipping_disabled():
            first = await run()
            assert (first.merchants, first.sent) == (2, 2)
            again = await run()
        assert again.sent == 0  # the same day: not again
    sent = digests(engine)
    body = sent["digest:M1"].body
    due = body.split("Due within 24 h")[1].split("Penalties")[0]
    overdue = body.split("Overdue (")[1].split("Due within")[0]
    assert "due-soon" in due and "due-later" not in body
    assert "late (" in overdue and "due-soon" not in overdue
    last_day = (t0 + timedelta(hours=60)).astimezone(SHANGHAI).date().isoformat()
    assert f"penalized penalty P1 (response_overdue, 1 pt): appeal by {last_day}" in body
    assert "not_received (merchant_complaint): 6 this week, 0 last week" in body
    assert "quality" not in body.split("Most complaints")[1]  # last week's only
    assert sent["digest:M1"].recipient_kind == "merchant"
    assert "other" in sent["digest:M2"].body
