"""The deadline watchdog on a real dev server: a case wedged on purpose (its worker stopped
across its deadline) raises one alert — a notice to the supervisors, a store flag, a log
line and a mark in `GET /cases` — and clears it once when the case moves again. A healthy
case beside it never alerts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select
from structlog.testing import capture_logs

from redress.store.tables import DeadlineAlert, NoticeRecord
from tests.e2e.harness import Stack, complaint_event, quick_policy
from tests.harness import make_complaint, open_complaint_case, running_worker
from workflows.watchdog import ensure_watchdog_schedule


def _alerts(stack: Stack) -> list[DeadlineAlert]:
    with Session(stack.engine) as s:
        return list(s.exec(select(DeadlineAlert)).all())


def _watchdog_notices(stack: Stack, case_id: str) -> list[str]:
    with Session(stack.engine) as s:
        rows = s.exec(
            select(NoticeRecord)
            .where(NoticeRecord.case_id == case_id, NoticeRecord.recipient_kind == "desk")
            .order_by(col(NoticeRecord.delivered_at))
        ).all()
    return [r.template for r in rows if r.idempotency_key.startswith("watchdog:")]


async def _listed(stack: Stack, case_id: str) -> dict[str, Any]:
    r = await stack.read("/cases", params={"limit": 500})
    assert r.status_code == 200, r.text
    [item] = [i for i in r.json()["items"] if i["case_id"] == case_id]
    return dict(item)


async def _until(check: Any, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.25)


async def test_a_wedged_case_alerts_once_and_clears_once_it_moves(stack: Stack) -> None:
    client = stack.env.client
    policy = quick_policy()  # a 4 s deadline to respond
    policy = policy.model_copy(
        update={
            "watchdog": policy.watchdog.model_copy(
                update={"every": timedelta(seconds=1), "grace": timedelta(seconds=2)}
            )
        }
    )
    # The watchdog (and a healthy case) on a queue whose worker keeps running; the wedged
    # case on the stack's queue, whose worker is stopped.
    healthy_queue = f"{stack.task_queue}-ok"
    schedule_id = f"redress-watchdog-{uuid.uuid4().hex[:8]}"
    with capture_logs() as logs:
        async with running_worker(client, stack.engine, healthy_queue):
            async with running_worker(client, stack.engine, stack.task_queue):
                r = await stack.post_webhook(complaint_event())
                assert r.status_code == 202, r.text
                wedged = r.json()["case_id"]
                await stack.wait_for(wedged, lambda c: c["status"] == "awaiting_response")
            # No worker serves the case any more: its deadline will pass with nothing moving it.
            healthy = await open_complaint_case(
                client, healthy_queue, policy, "test", make_complaint(), engine=stack.engine
            )
            await ensure_watchdog_schedule(client, policy, healthy_queue, schedule_id)
            # The worker writes it at every start: a second time brings it up to date.
            await ensure_watchdog_schedule(client, policy, healthy_queue, schedule_id)
            try:

                async def marked() -> bool:
                    return bool((await _listed(stack, wedged))["stalled"])

                await _until(marked)
                item = await _listed(stack, wedged)
                assert item["status"] == "awaiting_response" and item["stalled_since"]
                case = (await stack.read(f"/cases/{wedged}")).json()
                assert case["stalled_since"] is not None
                # Several more sweeps: still one alert, one notice.
                await asyncio.sleep(3.5)
                [alert] = _alerts(stack)
                assert (alert.case_id, alert.deadline_name) == (wedged, "respond_by")
                assert alert.cleared_at is None and alert.raise_noticed_at is not None
                assert _watchdog_notices(stack, wedged) == ["stalled"]

                # The healthy case's deadline fired on time, well past its grace: no alert.
                await stack.wait_for(healthy.case_id, lambda c: c["status"] == "overdue")
                assert (await _listed(stack, healthy.case_id))["stalled"] is False
                assert _watchdog_notices(stack, healthy.case_id) == []

                # The worker returns: the deadline fires, the case moves, the alert clears.
                async with running_worker(client, stack.engine, stack.task_queue):
                    await stack.wait_for(wedged, lambda c: c["status"] == "overdue")

                    async def cleared() -> bool:
                        return _watchdog_notices(stack, wedged) == ["stalled", "moved"]

                    await _until(cleared)
                    await asyncio.sleep(3.5)
            finally:
                await client.get_schedule_handle(schedule_id).delete()

    [alert] = _alerts(stack)
    assert alert.cleared_because == "moved" and alert.clear_noticed_at is not None
    assert _watchdog_notices(stack, wedged) == ["stalled", "moved"]
    item = await _listed(stack, wedged)
    assert (item["stalled"], item["stalled_since"]) == (False, None)
    assert (await stack.read(f"/cases/{wedged}")).json()["stalled_since"] is None
    events = [e["event"] for e in logs if e.get("case_id") == wedged]
    assert events.count("case stalled: its deadline passed and nothing moved it") == 1
    assert events.count("stalled case moved: alert cleared") == 1
    assert not [e for e in logs if e.get("case_id") == healthy.case_id and "stalled" in e["event"]]
