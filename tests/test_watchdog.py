"""The deadline watchdog's detection and its alerts, raised and cleared once, on SQLite and
PostgreSQL; then the Schedule's workflow and activity on the time-skipping server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from redress import watchdog
from redress.models import CaseView
from redress.policy import WatchdogPolicy, load_policy
from redress.store import crud
from redress.store.tables import DeadlineAlert, NoticeRecord
from tests.harness import case_view as view
from worker import build_worker
from workflows.watchdog import WatchdogWorkflow

POLICY = WatchdogPolicy(every=timedelta(seconds=5), grace=timedelta(seconds=10))


def case(case_id: str, seq: int, deadlines: dict[str, datetime], status: str = "") -> CaseView:
    v = view(case_id, version=seq, status=status or "awaiting_response")
    return v.model_copy(update={"seq": seq, "deadlines": deadlines})


def alerts(engine: Engine, case_id: str) -> list[DeadlineAlert]:
    with Session(engine) as s:
        return list(s.exec(select(DeadlineAlert).where(DeadlineAlert.case_id == case_id)).all())


def stalled_since(engine: Engine, case_id: str) -> datetime | None:
    found = crud.get_case(engine, case_id)
    assert found is not None
    return found.stalled_since


def test_a_deadline_nobody_fired_alerts_once_and_clears_once_when_the_case_moves(
    store: Engine,  # noqa: F811
) -> None:
    t0 = datetime.now(UTC)
    wedged = f"c-{uuid.uuid4().hex[:8]}"
    # Written before its deadline, and never again: its workflow stopped moving.
    crud.upsert_case(store, case(wedged, 1, {"respond_by": t0 + timedelta(seconds=5)}))

    # Past the deadline, but within the grace: nothing yet.
    assert watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=14)) == []
    later = t0 + timedelta(seconds=16)
    [raised] = watchdog.evaluate(store, POLICY, later)
    assert (raised.action, raised.case_id, raised.deadline_name) == ("raise", wedged, "respond_by")
    assert raised.deadline == t0 + timedelta(seconds=5)
    assert stalled_since(store, wedged) == later
    # Every later sweep finds it still stalled and says nothing more.
    for seconds in (20, 60, 3600):
        assert watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=seconds)) == []
    [alert] = alerts(store, wedged)
    assert alert.cleared_at is None and (alert.seq, alert.version) == (1, 1)
    _, rows = crud.list_cases(store)
    assert [r.stalled_since is not None for r in rows if r.case_id == wedged] == [True]

    # The workflow moves again: its deadline fired, the projection is written.
    moved = case(wedged, 2, {"late_until": t0 + timedelta(days=7)}, status="overdue")
    assert crud.upsert_case(store, moved)
    assert stalled_since(store, wedged) is None  # the mark goes with the write
    [cleared] = watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=3700))
    assert (cleared.action, cleared.because, cleared.alert_id) == ("clear", "moved", alert.id)
    assert watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=3800)) == []
    [alert] = alerts(store, wedged)
    assert alert.cleared_because == "moved" and alert.cleared_at is not None


def test_a_case_whose_workflow_is_fine_never_alerts(store: Engine) -> None:  # noqa: F811
    t0 = datetime.now(UTC)
    far = t0 + timedelta(days=30)
    # A deadline fired on time: the projection was written when it passed, and the passed
    # deadline may stay listed (an appeal review the platform has not decided yet).
    crud.upsert_case(store, case("fired", 1, {"review_by:P1": t0 - timedelta(seconds=1)}))
    crud.upsert_case(store, case("future", 1, {"respond_by": t0 + timedelta(hours=1)}))
    crud.upsert_case(store, case("finished", 1, {}, status="closed"))
    assert watchdog.evaluate(store, POLICY, t0 + timedelta(minutes=1)) == []
    # Only the case whose hour then passes unanswered stalls; the fired one never does.
    assert [c.case_id for c in watchdog.evaluate(store, POLICY, far)] == ["future"]


def test_a_case_stalled_on_a_deadline_in_another_offset(store: Engine) -> None:  # noqa: F811
    """A deadline counted from a `+08:00` creation time is compared in UTC."""
    t0 = datetime.now(UTC)
    beijing = (t0 + timedelta(seconds=5)).astimezone(timezone_8())
    crud.upsert_case(store, case("cst", 1, {"respond_by": beijing}))
    assert watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=14)) == []
    [raised] = watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=16))
    assert raised.deadline == beijing and raised.deadline_name == "respond_by"


def timezone_8() -> Any:
    from datetime import timezone

    return timezone(timedelta(hours=8))


def test_closing_or_a_write_between_the_find_and_the_mark_clears_or_skips(
    store: Engine,  # noqa: F811
) -> None:
    t0 = datetime.now(UTC)
    crud.upsert_case(store, case("c1", 1, {"respond_by": t0 + timedelta(seconds=1)}))
    [raised] = watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=20))
    closed = case("c1", 2, {"appeal_by:P1": t0 + timedelta(days=7)}, status="closed")
    crud.upsert_case(store, closed)
    [cleared] = watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=30))
    assert cleared.because == "closed"

    # The sweep found the case stalled, then the workflow wrote before the mark: no alert.
    crud.upsert_case(store, case("c2", 1, {"respond_by": t0 + timedelta(seconds=1)}))
    with store.connect() as conn:
        [row] = conn.execute(watchdog.stalled_query(t0 + timedelta(seconds=20), 10)).all()
    crud.upsert_case(store, case("c2", 2, {"respond_by": t0 + timedelta(days=1)}))
    assert watchdog._raise(store, row, t0 + timedelta(seconds=20)) is None
    assert alerts(store, "c2") == []


def test_a_sweep_raises_at_most_its_policy_share(store: Engine) -> None:  # noqa: F811
    t0 = datetime.now(UTC)
    for n in range(5):
        crud.upsert_case(store, case(f"m{n}", 1, {"respond_by": t0 + timedelta(seconds=n + 1)}))
    small = POLICY.model_copy(update={"max_per_sweep": 2})
    later = t0 + timedelta(minutes=5)
    assert [c.case_id for c in watchdog.evaluate(store, small, later)] == ["m0", "m1"]
    assert [c.case_id for c in watchdog.evaluate(store, small, later)] == ["m2", "m3"]
    assert [c.case_id for c in watchdog.evaluate(store, small, later)] == ["m4"]
    assert watchdog.evaluate(store, small, later) == []


def test_a_case_opened_but_never_projected_alerts_until_it_reaches_the_store(
    store: Engine,  # noqa: F811
) -> None:
    """The intake started its workflow, but its first state never reached the store (a
    payload too large, a failing projection): nothing shows it, the watchdog still does."""
    t0 = datetime.now(UTC)
    crud.record_intake(
        store,
        case_id="lost",
        kind="dispute",
        provider="stripe",
        event_id="evt_1",
        first_run_id="run-1",
        delivery=None,
        keep_for=timedelta(minutes=5),
    )
    assert watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=9)) == []
    [raised] = watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=11))
    assert (raised.case_id, raised.deadline_name, raised.status) == (
        "lost",
        "first_projection",
        "not_projected",
    )
    assert watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=60)) == []
    assert watchdog.open_alerts(store) == 1
    crud.upsert_case(store, case("lost", 1, {"respond_by": t0 + timedelta(days=3)}))
    [cleared] = watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=70))
    assert (cleared.action, cleared.because) == ("clear", "moved")
    assert watchdog.evaluate(store, POLICY, t0 + timedelta(seconds=80)) == []
    # The outbox still holds its notices (the activity sends them): the raise reads right.
    [notice] = [n for n in watchdog.pending_notices(store, 10) if n.action == "raise"]
    from activities.watchdog import notice_context
    from redress.notices.renderer import get_renderer

    body = get_renderer().render("stalled", "en", notice_context(notice, POLICY), "watchdog")
    assert "never reached the case store" in body.body


def test_the_sweep_reads_an_index_not_the_whole_table(tmp_path: Any) -> None:
    from redress.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    now = datetime.now(UTC)

    def plan(stmt: Any) -> str:
        sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:
            return " ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))

    stalled = plan(watchdog.stalled_query(now, 500))
    assert "USING INDEX ix_cases_running_deadline" in stalled, stalled
    unseen = plan(watchdog.unprojected_query(now, now - timedelta(days=7), 500))
    assert "USING INDEX ix_intake_ledger_opened_at" in unseen, unseen
    assert "SCAN intake_ledger" not in unseen and "SCAN cases" not in unseen, unseen
    engine.dispose()


# --- the Schedule's workflow, on the time-skipping server --------------------------------


async def test_the_workflow_tells_each_desk_once_in_the_policy_language(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> None:
    t0 = datetime.now(UTC)
    crud.upsert_case(engine, case("wedged", 1, {"respond_by": t0 - timedelta(minutes=5)}))
    # Its last write long before the deadline (the store's clock: written, then stuck).
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE cases SET updated_at = :at WHERE case_id = 'wedged'"),
            {"at": (t0 - timedelta(hours=1)).replace(tzinfo=None)},
        )
    policy = load_policy("fast").watchdog.model_copy(
        update={"notify": ["platform:supervisor", "platform:duty"], "locale": "en"}
    )

    async def sweep() -> watchdog.WatchdogResult:
        result: watchdog.WatchdogResult = await ts_env.client.execute_workflow(
            WatchdogWorkflow.run,
            watchdog.WatchdogInput(policy=policy),
            id=f"watchdog-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
        )
        return result

    async with build_worker(ts_env.client, engine, task_queue):
        first, second = await sweep(), await sweep()
        assert (first.raised, first.notices, first.open) == (1, 2, 1)
        assert (second.raised, second.notices, second.open) == (0, 0, 1)
        crud.upsert_case(engine, case("wedged", 2, {}, status="closed"))
        third, fourth = await sweep(), await sweep()
        assert (third.cleared, third.notices, third.open) == (1, 2, 0)
        assert (fourth.raised, fourth.cleared, fourth.notices) == (0, 0, 0)

    with Session(engine) as s:
        sent = s.exec(select(NoticeRecord).order_by(col(NoticeRecord.delivered_at))).all()
    assert sorted((n.template, n.address) for n in sent) == [
        ("moved", "platform:duty"),
        ("moved", "platform:supervisor"),
        ("stalled", "platform:duty"),
        ("stalled", "platform:supervisor"),
    ]
    stalled = next(n for n in sent if n.template == "stalled")
    assert stalled.case_id == "wedged" and stalled.locale == "en"
    assert stalled.recipient_kind == "desk"
    assert stalled.subject.startswith("Case wedged stalled: respond_by passed")
    moved = next(n for n in sent if n.template == "moved")
    assert "has closed" in moved.body


def test_both_languages_render() -> None:
    from activities.watchdog import TEMPLATES, notice_context
    from redress.notices.renderer import get_renderer

    at = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    change = watchdog.StallChange(
        action="raise",
        alert_id=1,
        case_id="c",
        kind="dispute",
        merchant_id="M1",
        status="needs_response",
        deadline=at,
        deadline_name="submit_by",
        stalled_since=at + timedelta(minutes=20),
        at=at + timedelta(minutes=20),
    )
    for action in ("raise", "clear"):
        one = change.model_copy(update={"action": action, "because": "moved"})
        for locale in ("en", "zh-CN"):
            notice = get_renderer().render(
                TEMPLATES[action], locale, notice_context(one, POLICY), kind="watchdog"
            )
            assert "c" in notice.subject and notice.body
    raised = get_renderer().render("stalled", "zh-CN", notice_context(change, POLICY), "watchdog")
    assert "submit_by" in raised.subject and "20m" in raised.subject
