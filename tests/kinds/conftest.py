"""Fixtures of the kinds' time-skipping tests: cases started on the test's own worker,
read back from the store, and retired when the test ends (tests/kinds/harness.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from tests.harness import running_worker
from tests.kinds.disputes import Disputes
from tests.kinds.harness import Cases, retire
from tests.kinds.platforms import Platform


@pytest.fixture
async def cases(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> AsyncIterator[Cases]:
    c = Cases(ts_env, engine, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        yield c
        for handle in c.handles:
            await retire(ts_env.client, handle)


@pytest.fixture
async def ds(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> AsyncIterator[Disputes]:
    d = Disputes(ts_env, engine, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        yield d
        for handle in d.handles:
            await retire(ts_env.client, handle)


@pytest.fixture
async def pc(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> AsyncIterator[Platform]:
    p = Platform(ts_env, engine, task_queue, [])
    async with running_worker(ts_env.client, engine, task_queue):
        yield p
        for handle in p.handles:
            await retire(ts_env.client, handle)
