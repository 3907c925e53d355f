"""Crashes: a worker killed with SIGKILL again and again loses no case and doubles no
refund or notice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from redress.models import CaseAction
from redress.models.complaint import Refund
from redress.policy import SignalsPolicy, load_policy
from redress.store.db import make_engine
from redress.store.tables import CaseRecord, NoticeRecord, RefundRecord
from tests.harness import complaint_handle, make_complaint, open_complaint_case
from workflows.complaint import ComplaintWorkflow

ROOT = Path(__file__).resolve().parents[2]
CASES = 200
KILLS = 5


def crash_policy():  # type: ignore[no-untyped-def]
    policy = load_policy("fast")
    rules = policy.complaint.model_copy(
        update={
            "handle_within": timedelta(seconds=10),
            "reminders_before": [timedelta(seconds=3)],
            "outcome_wait": timedelta(seconds=2),
            "response_appeal_window": timedelta(seconds=4),
        }
    )
    # The refunds go in by signal (no waiting for an answer), which the policy must allow.
    signals = SignalsPolicy(allow_money=True)
    return policy.model_copy(update={"complaint": rules, "signals": signals})


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def test_worker_sigkill_loses_and_doubles_nothing(
    local_env: WorkflowEnvironment, tmp_path: Path, task_queue: str
) -> None:
    db = tmp_path / "cases.db"
    engine = make_engine(f"sqlite:///{db}")
    env = {
        **os.environ,
        "REDRESS_TEMPORAL_ADDRESS": local_env.client.service_client.config.target_host,
        "REDRESS_DATABASE_URL": f"sqlite:///{db}",
        "REDRESS_TASK_QUEUE": task_queue,
        "REDRESS_LOG_LEVEL": "WARNING",
    }
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    policy = crash_policy()
    client = local_env.client
    case_ids = []
    # Half the cases get a refund (gateway + notice), half go overdue (penalty + notice).
    for i in range(CASES):
        opened = await open_complaint_case(
            client, task_queue, policy, "crash", make_complaint(amount=Decimal("50.00"))
        )
        case_ids.append(opened.case_id)
        if i % 2 == 0:
            await client.get_workflow_handle(opened.case_id).signal(
                ComplaintWorkflow.act_signal,
                CaseAction(
                    actor="agent-1",
                    role="agent",
                    action=Refund(amount=Decimal("50.00")),
                    request_id=f"refund-{i}",
                ),
            )
    try:
        for _ in range(KILLS):
            await asyncio.sleep(1.5)
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            worker = start_worker(env, log)
        results = await asyncio.wait_for(
            asyncio.gather(*(complaint_handle(client, c).result() for c in case_ids)),
            timeout=240,
        )
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()

    assert len(results) == CASES
    for case_id, result in zip(case_ids, results, strict=True):
        refunded = case_ids.index(case_id) % 2 == 0
        assert result.refunded == (Decimal("50.00") if refunded else 0), case_id
        # A refund that a dead worker could not take before the deadline is penalized:
        # right by the rules. Unhandled cases always are.
        assert result.points == 1 or refunded, case_id
    statuses = [(await client.get_workflow_handle(c).describe()).status for c in case_ids[:20]]
    assert set(statuses) == {WorkflowExecutionStatus.COMPLETED}

    with Session(engine) as s:
        refunds = Counter(r.case_id for r in s.exec(select(RefundRecord)).all())
        notices = Counter((n.case_id, n.template) for n in s.exec(select(NoticeRecord)).all())
        closed = s.exec(select(CaseRecord).where(CaseRecord.status == "closed")).all()
    assert len(closed) == CASES
    for i, (case_id, result) in enumerate(zip(case_ids, results, strict=True)):
        assert notices[(case_id, "acknowledgement")] == 1
        assert notices[(case_id, "penalty")] == result.points
        assert refunds[case_id] == notices[(case_id, "refund_done")] == (1 if i % 2 == 0 else 0)
