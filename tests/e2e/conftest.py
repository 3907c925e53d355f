"""End-to-end fixtures: a real dev server, a worker, and the API served over real HTTP
(what they share with the tests: tests/e2e/harness.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from redress.api.app import create_app
from redress.api.deps import AppState
from redress.api.signing import WebhookSigner, generate_secret
from redress.config import Settings, parse_tokens
from redress.store.db import make_engine
from tests.e2e.harness import (
    ANTOM_CLIENT_ID,
    SCOPED,
    STRIPE_SECRET,
    TOKENS,
    Stack,
    antom_keys,
    quick_policy,
)
from tests.harness import free_port, running_worker


@pytest.fixture
async def stack(
    local_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> AsyncIterator[Stack]:
    async with serve(local_env, engine, task_queue) as served:
        yield served


@pytest.fixture(scope="module")
async def module_stack(
    local_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """One stack, with its worker, for every test of a module (their cases kept apart)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('store') / 'cases.db'}")
    task_queue = f"tq-{uuid.uuid4().hex[:12]}"
    async with (
        serve(local_env, engine, task_queue) as served,
        running_worker(local_env.client, engine, task_queue),
    ):
        yield served
    engine.dispose()


@asynccontextmanager
async def serve(env: WorkflowEnvironment, engine: Engine, task_queue: str) -> AsyncIterator[Stack]:
    """The API over real HTTP on a free port, against the dev server and `engine`."""
    secret = generate_secret()
    settings = Settings(
        task_queue=task_queue,
        webhook_secret=secret,
        stripe_webhook_secret=STRIPE_SECRET,
        antom_public_key=antom_keys()[1],
        antom_client_id=ANTOM_CLIENT_ID,
        antom_merchant_id="M-ANTOM",
        api_tokens=parse_tokens(
            ",".join([*(f"{t}:{r}" for r, t in TOKENS.items()), *SCOPED.values()])
        ),
    )
    state = AppState(
        settings=settings,
        client=env.client,
        engine=engine,
        policy=quick_policy(),
        signer=WebhookSigner(secret),
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, state), host="127.0.0.1", port=port, log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield Stack(env, engine, task_queue, http, WebhookSigner(secret), secret)
    server.should_exit = True
    await serving
