"""The queue's and the digest's `overdue` on a real case (time-skipping server): a merchant
complaint past `respond_by` runs on with later deadlines only (`late_until`, the penalty's
appeal window), yet a deadline of it passed and it is open, so it is overdue, by the
deadline it missed, until a late reply moves it on."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from redress import digest
from redress.models.complaint import Reply
from redress.policy import DigestPolicy
from redress.store import crud
from redress.store.queue import QueueQuery, queue_page
from tests.kinds.harness import Cases, act, agent, sleep_until, view


async def _projected(cases: Cases, case_id: str, version: int) -> None:
    for _ in range(100):
        if cases.record(case_id).version >= version:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{case_id} never projected version {version}")


def _overdue(cases: Cases, now: datetime) -> list[str]:
    page = queue_page(cases.engine, QueueQuery(overdue=True, limit=500), now=now)
    return [row.case_id for row in page.items]


async def test_a_complaint_past_its_deadline_stays_overdue_until_it_moves_on(
    cases: Cases,
) -> None:
    h, inp = await cases.start()
    respond_by = (await view(h)).deadlines["respond_by"]
    await sleep_until(cases.env, respond_by + timedelta(hours=1))
    late = await view(h)
    assert "respond_by" not in late.deadlines and late.status != "awaiting_response"
    await _projected(cases, inp.case_id, late.version)
    now = respond_by + timedelta(hours=1)

    assert inp.case_id in _overdue(cases, now)
    merchant = late.merchant_id
    found = digest.compute(cases.engine, merchant, now, DigestPolicy())
    [shown] = [c for c in found.overdue if c.case_id == inp.case_id]
    assert shown.deadline_name == "respond_by" and shown.deadline == respond_by
    # The case as the API and the console read it names the deadline it missed.
    stored = crud.get_case(cases.engine, inp.case_id)
    assert stored is not None and stored.missed_deadline is not None
    assert (stored.missed_deadline.name, stored.missed_deadline.at) == ("respond_by", respond_by)

    moved = await act(h, agent(Reply(message="Sorry for the wait: parcel re-sent")))
    assert moved.status != late.status
    await _projected(cases, inp.case_id, moved.version)
    assert inp.case_id not in _overdue(cases, now)
    after = crud.get_case(cases.engine, inp.case_id)
    assert after is not None and after.missed_deadline is None
