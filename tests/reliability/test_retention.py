"""C1: records are kept 360 days after a case closes, then purged by a Schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio.testing import WorkflowEnvironment

from redress.models import RetentionInput
from redress.models.dispute_tables import DisputeRequestRecord, SettledTransaction
from redress.policy import load_policy
from redress.store import crud, transactions
from redress.store.tables import CaseRecord, NoticeRecord, RefundRecord, TransactionRecord
from tests.harness import case_view, running_worker
from worker import RETENTION_SCHEDULE_ID, ensure_retention_schedule
from workflows.retention import RetentionWorkflow


def seed(engine: Engine, case_id: str, status: str, age_days: int) -> None:
    crud.upsert_case(engine, case_view(case_id, 1, status))
    at = datetime.now(UTC) - timedelta(days=age_days)
    with Session(engine) as s:
        s.exec(update(CaseRecord).where(col(CaseRecord.case_id) == case_id).values(updated_at=at))  # type: ignore[call-overload]
        s.add(
            RefundRecord(
                idempotency_key=f"{case_id}:refund:1",
                refund_id="r",
                case_id=case_id,
                trade_no="T",
                amount="1",
                currency="CNY",
                issued_at=at,
            )
        )
        s.add(
            NoticeRecord(
                idempotency_key=f"{case_id}:ack",
                case_id=case_id,
                template="t",
                locale="en",
                recipient_kind="user",
                channel="sms",
                address="x",
                subject="s",
                body="b",
                delivered_at=at,
            )
        )
        s.add(  # a kind's own table (the registry's `tables`): goes with its case
            DisputeRequestRecord(
                idempotency_key=f"{case_id}:defense:1",
                reference="ref",
                case_id=case_id,
                provider="stripe",
                dispute_id="dp_1",
                action="submit_defense",
                body={},
                at=at,
            )
        )
        s.commit()


@pytest.mark.rule("C1")
async def test_purge_keeps_360_days_and_open_cases(
    local_env: WorkflowEnvironment, engine, task_queue: str
) -> None:
    seed(engine, "old-closed", "closed", 361)
    seed(engine, "young-closed", "closed", 359)
    seed(engine, "old-open", "awaiting_outcome", 500)
    # C1/C2 material and C5's inputs by their own dates: 361 days old goes, 359 stays.
    now = datetime.now(UTC)
    for txn, age in (("old-txn", 361), ("young-txn", 359)):
        transactions.record_transaction(engine, "M1", txn, [{"kind": "receipt", "text": "r"}])
        with Session(engine) as s:
            s.exec(
                update(TransactionRecord)  # type: ignore[call-overload]
                .where(col(TransactionRecord.transaction_id) == txn)
                .values(updated_at=now - timedelta(days=age))
            )
            s.add(
                SettledTransaction(
                    source="generic",
                    transaction_id=txn,
                    merchant_id="M1",
                    settled_at=now - timedelta(days=age),
                    amount="1",
                    currency="USD",
                    card_not_present=True,
                    network="visa",
                )
            )
            s.commit()
    keep = load_policy("default").retention.records_for
    assert keep == timedelta(days=360)
    async with running_worker(local_env.client, engine, task_queue):
        result = await local_env.client.execute_workflow(
            RetentionWorkflow.run,
            RetentionInput(keep_for_seconds=keep.total_seconds()),
            id=f"retention-{task_queue}",
            task_queue=task_queue,
        )
    assert (result.cases, result.refunds, result.notices) == (1, 1, 1)
    with Session(engine) as s:
        left = sorted(r.case_id for r in s.exec(select(CaseRecord)).all())
        refunds = sorted(r.case_id for r in s.exec(select(RefundRecord)).all())
        requests = sorted(r.case_id for r in s.exec(select(DisputeRequestRecord)).all())
    assert left == ["old-open", "young-closed"] == refunds == requests
    with Session(engine) as s:
        records = [r.transaction_id for r in s.exec(select(TransactionRecord)).all()]
        settled = [r.transaction_id for r in s.exec(select(SettledTransaction)).all()]
    assert records == ["young-txn"] == settled


@pytest.mark.rule("C1")
async def test_worker_start_creates_the_purge_schedule(local_env: WorkflowEnvironment) -> None:
    policy = load_policy("default")
    await ensure_retention_schedule(local_env.client, policy, "retention-tq")
    await ensure_retention_schedule(local_env.client, policy, "retention-tq")  # idempotent
    handle = local_env.client.get_schedule_handle(RETENTION_SCHEDULE_ID)
    desc = await handle.describe()
    assert desc.schedule.spec.intervals[0].every == timedelta(days=1)
    await handle.delete()
