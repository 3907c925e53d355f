"""Fixtures of the kinds' time-skipping tests: cases started on the test's own worker,
read back from the store, and retired when the test ends (tests/kinds/harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from tests.kinds.disputes import Disputes
from tests.kinds.harness import Cases, serving
from tests.kinds.platforms import Platform


@pytest.fixture
async def cases(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> AsyncIterator[Cases]:
    async with serving(ts_env, engine, task_queue, Cases(ts_env, engine, task_queue)) as support:
        yield support


@pytest.fixture
async def ds(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> AsyncIterator[Disputes]:
    async with serving(ts_env, engine, task_queue, Disputes(ts_env, engine, task_queue)) as support:
        yield support


@pytest.fixture
async def pc(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> AsyncIterator[Platform]:
    async with serving(
        ts_env, engine, task_queue, Platform(ts_env, engine, task_queue, [])
    ) as support:
        yield support
