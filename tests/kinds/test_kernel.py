"""The case kernel on a kind of its own (tests/kinds/toy_kind.py): alarms fire once, the
action table refuses by role, status and check, penalties are a reusable part, search
attributes are upserted only on change, and the envelope carries the kind's details."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from redress import search_attributes as sa
from redress.models import CaseAction, CaseResult
from redress.notices.renderer import NoticeRenderer
from redress.policy import load_policy
from redress.refusals import http_status
from tests.kinds import harness as kinds
from tests.kinds.harness import act, retire
from tests.kinds.toy_kind import Finish, Poke, ToyInput, ToyWorkflow
from worker import build_worker

Handle = WorkflowHandle[ToyWorkflow, CaseResult]
NOTICES = {
    "penalty": "{% block subject %}{{ penalty_id }}{% endblock %}{% block body %}{{ points }}"
    " points until {{ appeal_deadline }}{% endblock %}",
    "appeal_outcome": "{% block subject %}{{ penalty_id }}{% endblock %}"
    "{% block body %}{{ approved }}{% endblock %}",
}


def cmd(role: str, action: Any) -> CaseAction:
    return CaseAction(actor=f"{role}-1", role=role, action=action)  # type: ignore[arg-type]


@pytest.fixture
async def toy(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, tmp_path: Path
) -> AsyncIterator[Handle]:
    (tmp_path / "toy" / "zh-CN").mkdir(parents=True)
    for name, text in NOTICES.items():
        (tmp_path / "toy" / "zh-CN" / f"{name}.txt.j2").write_text(text)
    now = await ts_env.get_current_time()
    inp = ToyInput(
        case_id=f"toy-test-{uuid.uuid4().hex[:8]}",
        source="test",
        policy=load_policy("fast").snapshot(now),
        received_at=now,
        merchant_id="M1",
        amount=Decimal("5.00"),
        created_at=now,
        user={"id": "U1", "contact": {"channel": "app", "address": "U1"}},  # type: ignore[arg-type]
        due_in_s=60,
        remind_before_s=30,
    )
    worker = build_worker(
        ts_env.client,
        engine,
        task_queue,
        extra_workflows=[ToyWorkflow],
        renderer=NoticeRenderer(tmp_path),
    )
    async with worker:
        handle = await ts_env.client.start_workflow(
            ToyWorkflow.run, inp, id=inp.case_id, task_queue=task_queue
        )
        yield handle
        await retire(ts_env.client, handle)


async def refusal(h: Handle, command: CaseAction) -> tuple[int, str]:
    cause = await kinds.refusal(h, command)
    return http_status(cause), cause.message


async def test_an_alarm_fires_once_and_penalties_are_a_part(
    ts_env: WorkflowEnvironment, toy: Handle
) -> None:
    await ts_env.sleep(timedelta(seconds=61))
    v = await toy.query(ToyWorkflow.case)
    assert v.kind == "toy" and v.status == "late"
    types = [e.type for e in v.timeline]
    assert types.index("reminded") < types.index("penalty")
    [pen] = v.penalties
    assert (pen.reason, pen.points, pen.state) == ("late", 2, "active")
    assert v.deadlines == {"appeal_by:P1": pen.appeal_deadline}

    # Back to "open" re-arms due_by at the instant that already fired: no second penalty.
    v = await act(toy, cmd("agent", Poke()))
    assert v.status == "open" and v.details == {"pokes": 1}
    await ts_env.sleep(timedelta(seconds=10))
    v = await toy.query(ToyWorkflow.case)
    assert len(v.penalties) == 1 and v.status == "open"

    # The penalty part's own actions and alarms: appeal, decision, points gone.
    appeal = {"type": "appeal", "penalty_id": "P1", "statement": "s", "evidence": ["e.png"]}
    await act(toy, cmd("agent", appeal))
    decision = {"type": "appeal_decision", "penalty_id": "P1", "approved": True}
    v = await act(toy, cmd("platform", decision))
    assert v.penalties[0].state == "revoked"
    described = await toy.describe()
    assert described.typed_search_attributes.get(sa.POINTS) == 0


async def test_the_action_table_refuses_with_the_right_status(
    ts_env: WorkflowEnvironment, toy: Handle
) -> None:
    assert (await refusal(toy, cmd("platform", Poke())))[0] == 403
    assert (await refusal(toy, cmd("agent", {"type": "poke", "times": 9})))[0] == 422
    assert (await refusal(toy, cmd("agent", {"type": "nope"})))[0] == 422
    decision = {"type": "appeal_decision", "penalty_id": "P7", "approved": True}
    assert (await refusal(toy, cmd("platform", decision)))[0] == 404
    await act(toy, cmd("agent", Poke(times=2)))
    status, message = await refusal(toy, cmd("agent", Poke(times=2)))  # the rule's check
    assert (status, message) == (422, "at most 3 pokes")
    # Closed with a penalty still appealable: the case runs on, and refuses all but appeals.
    await ts_env.sleep(timedelta(seconds=61))
    await act(toy, cmd("agent", Finish()))
    status, message = await refusal(toy, cmd("agent", Finish()))
    assert status == 409 and message.endswith("is closed (finished); only appeals are accepted")
    appeal = {"type": "appeal", "penalty_id": "P1", "statement": "s", "evidence": ["e.png"]}
    assert (await act(toy, cmd("agent", appeal))).penalties[0].state == "appealed"


async def test_a_refused_signal_lands_in_the_timeline(
    ts_env: WorkflowEnvironment, toy: Handle
) -> None:
    await toy.signal(ToyWorkflow.act_signal, cmd("platform", Poke()))
    await toy.signal(ToyWorkflow.act_signal, cmd("agent", Poke()))
    v = await toy.query(ToyWorkflow.case)
    while v.details != {"pokes": 1}:  # signals are taken up with the next workflow task
        await asyncio.sleep(0.05)
        v = await toy.query(ToyWorkflow.case)
    refused = [e for e in v.timeline if e.type == "action_refused"]
    assert [(e.actor, e.action) for e in refused] == [("platform-1", "poke")]  # type: ignore[attr-defined]
    assert v.details == {"pokes": 1}


async def test_search_attributes_change_only_with_the_case(
    ts_env: WorkflowEnvironment, toy: Handle
) -> None:
    await act(toy, cmd("agent", Poke()))  # nothing the Web UI shows changes
    await act(toy, cmd("agent", Poke()))
    await ts_env.sleep(timedelta(seconds=61))  # late, penalized: one change
    await act(toy, cmd("agent", Finish()))  # closed: one change
    events = [e async for e in toy.fetch_history_events()]
    upsert = EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    upserts = [e for e in events if e.event_type == upsert]
    # The first flush (nothing was set at start), the penalty, the close.
    assert len(upserts) == 3
