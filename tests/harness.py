"""What tests of every layer share (after temporalio sdk-python's `tests/helpers`): the
installed Temporal binaries, a worker, sample complaints and how a case is opened, waiting
for a condition, reading the notices a case sent, the policy's kind sections, and sample
rows and payloads. Fixtures stay in the conftest.py files; everything else a test needs
from elsewhere is here (the kinds' time-skipping helpers: tests/kinds/harness.py; the
end-to-end stack: tests/e2e/harness.py), so no test module imports another."""

from __future__ import annotations

import asyncio
import functools
import shutil
import socket
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar, cast, overload

import httpx
import pytest
from google.protobuf import json_format
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.client import Client, WorkflowHandle

from redress.api.app import create_app
from redress.api.deps import AppState
from redress.config import Settings
from redress.intake import Opened, open_case
from redress.kinds import KINDS
from redress.models import CaseResult, CaseView
from redress.models.complaint import (
    RULES,
    Complaint,
    ComplaintCaseInput,
    ComplaintCreated,
    ComplaintPolicy,
)
from redress.models.dispute import DisputePolicy
from redress.models.dispute_tables import FraudReport, SettledTransaction
from redress.models.platform_complaint import PlatformComplaintPolicy
from redress.policy import Policy, PolicySnapshot, load_policy
from redress.store.db import make_engine
from redress.store.tables import CaseRecord, NoticeRecord
from worker import build_worker
from workflows.complaint import ComplaintWorkflow

T = TypeVar("T")
BIN = Path(sys.executable).parent


# --- Temporal: binaries and a worker ---------------------------------------------------


def binary(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} not installed (pip install -e '.[dev]')")
    return found


@asynccontextmanager
async def running_worker(client: Client, engine: Engine, task_queue: str) -> AsyncIterator[None]:
    async with build_worker(client, engine, task_queue):
        yield


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- waiting ---------------------------------------------------------------------------


async def eventually(
    fn: Callable[[], Awaitable[T]],
    *,
    timeout: float = 10,
    interval: float = 0.05,
    retry: tuple[type[BaseException], ...] = (AssertionError,),
) -> T:
    """`await fn()` again (real time) while it raises one of `retry`, until it returns; the
    last error once `timeout` seconds have passed."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while True:
        try:
            return await fn()
        except retry:
            if loop.time() > give_up:
                raise
        await asyncio.sleep(interval)


# --- the store -------------------------------------------------------------------------


def notices(engine: Engine, case_id: str, template: str | None = None) -> list[NoticeRecord]:
    """The notices a case sent (of one template if given), in the order they went out."""
    with Session(engine) as s:
        q = select(NoticeRecord).where(NoticeRecord.case_id == case_id)
        if template:
            q = q.where(NoticeRecord.template == template)
        return sorted(s.exec(q).all(), key=lambda n: n.delivered_at)


# --- policy ----------------------------------------------------------------------------


@overload
def section(policy: Policy | PolicySnapshot, name: Literal["complaint"]) -> ComplaintPolicy: ...
@overload
def section(
    policy: Policy | PolicySnapshot, name: Literal["platform_complaint"]
) -> PlatformComplaintPolicy: ...
@overload
def section(policy: Policy | PolicySnapshot, name: Literal["dispute"]) -> DisputePolicy: ...
def section(policy: Policy | PolicySnapshot, name: str) -> Any:
    """A kind's section of a policy (or of a case's snapshot), as the kind's model."""
    return policy.section(name, SECTIONS[name])


def with_section(policy: Policy, name: str, **changes: Any) -> Policy:
    """`policy` with its `name` section changed."""
    found = policy.section(name, SECTIONS[name])
    return policy.model_copy(update={name: found.model_copy(update=changes)})


SECTIONS: dict[str, type[BaseModel]] = {
    "complaint": ComplaintPolicy,
    "platform_complaint": PlatformComplaintPolicy,
    "dispute": DisputePolicy,
}


# --- merchant complaints ---------------------------------------------------------------


def make_complaint(**overrides: Any) -> Complaint:
    data: dict[str, Any] = {
        "id": f"C{uuid.uuid4().hex[:10]}",
        "merchant_id": "M100",
        "trade_no": "T20261122001",
        "amount": Decimal("100.00"),
        "currency": "CNY",
        "created_at": datetime.now(UTC),
        "category": "not_received",
        "description": "goods not received",
        "user": {
            "id": "U1",
            "locale": "zh-CN",
            "contact": {"channel": "sms", "address": "+8613800000000"},
        },
    }
    data.update(overrides)
    return Complaint.model_validate(data)


def case_input(complaint: Complaint, policy: Policy | None = None) -> ComplaintCaseInput:
    policy = policy or load_policy("default")
    case_id = f"complaint-test-{complaint.id}"
    return ComplaintCaseInput(
        case_id=case_id,
        source="test",
        complaint=complaint,
        policy=policy.snapshot(complaint.created_at),
        received_at=datetime.now(UTC),
        rules=RULES,
    )


async def open_complaint_case(
    client: Client,
    task_queue: str,
    policy: Policy,
    source: str,
    complaint: Complaint,
    event_id: str = "evt-test",
    now: datetime | None = None,
    engine: Engine | None = None,
) -> Opened:
    """Open a merchant complaint the way the webhook does (through the registry and the
    intake ledger, in `engine` or a scratch store); `now`: the intake's clock, the
    complaint's own creation time unless given."""
    event = ComplaintCreated(event_id=event_id, type="complaint.created", complaint=complaint)
    kind = KINDS["merchant_complaint"]
    return await open_case(
        client,
        engine or _scratch_store(),
        task_queue,
        policy,
        kind,
        source,
        event,
        now=now or complaint.created_at,
    )


@functools.cache
def _scratch_store() -> Engine:
    return make_engine(f"sqlite:///{tempfile.mkdtemp(prefix='redress-intake-')}/intake.db")


def complaint_handle(client: Client, case_id: str) -> WorkflowHandle[ComplaintWorkflow, CaseResult]:
    """A merchant complaint's handle, typed (the SDK cannot infer it from `run` alone)."""
    handle: WorkflowHandle[ComplaintWorkflow, CaseResult] = client.get_workflow_handle_for(
        ComplaintWorkflow.run, case_id
    )
    return handle


def case_view(case_id: str, version: int, status: str = "awaiting_response") -> CaseView:
    """A merchant complaint's projection, as a workflow hands it to the store."""
    return CaseView(
        case_id=case_id,
        workflow_id=case_id,
        kind="merchant_complaint",
        status=status,
        merchant_id="M1",
        trade_no="T1",
        amount=Decimal("10.00"),
        currency="CNY",
        category="x",
        locale="en",
        created_at=datetime.now(UTC),
        policy="default",
        version=version,
    )


# --- monitoring (C5): rows as the projection and the intake write them -----------------

MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
FEB = datetime(2026, 2, 10, 12, 0, tzinfo=UTC)


def seed_disputes(
    engine: Engine,
    merchant: str,
    n: int,
    network: str | None,
    at: datetime,
    kind: str = "dispute",
    phase: str | None = None,
) -> None:
    """`n` dispute cases (rows of `cases`, as the projection writes them), in one insert;
    `phase` the response stage their view shows (None: a case from before stages)."""
    tag = uuid.uuid4().hex[:8]
    rows = [
        dict(
            case_id=f"{kind}-{merchant}-{tag}-{i}",
            workflow_id=f"{kind}-{merchant}-{tag}-{i}",
            kind=kind,
            status="needs_response",
            outcome=None,
            merchant_id=merchant,
            created_at=at,
            updated_at=at,
            next_deadline=None,
            priority="regular",
            points=0,
            version=1,
            data={"kind": kind, "details": {"network": network, "phase": phase}},
        )
        for i in range(n)
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(CaseRecord.__table__.insert(), rows)  # type: ignore[attr-defined]


def seed_settled(
    engine: Engine, merchant: str, n: int, network: str, at: datetime, cnp: bool = True
) -> None:
    tag = uuid.uuid4().hex[:8]
    rows = [
        dict(
            source="generic",
            transaction_id=f"t-{tag}-{i}",
            merchant_id=merchant,
            settled_at=at,
            amount="10.00",
            currency="USD",
            card_not_present=cnp,
            network=network,
        )
        for i in range(n)
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(SettledTransaction.__table__.insert(), rows)  # type: ignore[attr-defined]


def seed_fraud(engine: Engine, merchant: str, n: int, network: str, at: datetime) -> None:
    tag = uuid.uuid4().hex[:8]
    rows = [
        dict(report_id=f"fr-{tag}-{i}", merchant_id=merchant, network=network, reported_at=at)
        for i in range(n)
    ]
    if rows:
        with engine.begin() as conn:
            conn.execute(FraudReport.__table__.insert(), rows)  # type: ignore[attr-defined]


# --- payloads and the /codec endpoints -------------------------------------------------


def plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


def payloads_json(payloads: list[Payload]) -> dict[str, Any]:
    return json_format.MessageToDict(Payloads(payloads=payloads))


def payloads(body: dict[str, Any]) -> list[Payload]:
    return list(json_format.ParseDict(body, Payloads()).payloads)


async def asgi_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API in process, without Temporal or a store: enough for the codec routes."""
    app = create_app(settings)
    # ASGITransport runs no lifespan; the codec routes need only the settings.
    app.state.redress = AppState(
        settings=settings,
        client=cast(Any, None),
        engine=cast(Any, None),
        policy=cast(Any, None),
        signer=None,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield http
