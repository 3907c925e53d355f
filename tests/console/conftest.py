"""The console's fixtures: one real stack for a test module (dev server, worker, the API
served over HTTP), on the default policy, with cases of several merchants opened through
the webhook. What the tests share besides fixtures is in tests/console/harness.py."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from redress.api.app import create_app
from redress.api.deps import AppState
from redress.api.signing import WebhookSigner, generate_secret
from redress.config import Settings, parse_tokens
from redress.policy import load_policy
from redress.store.db import make_engine
from tests.console.harness import TOKENS, Desk
from tests.e2e.harness import STRIPE_SECRET, Stack
from tests.e2e.harness import TOKENS as API_TOKENS
from tests.harness import free_port, running_worker


@pytest.fixture(scope="module")
async def desk(
    local_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Desk]:
    """The stack, a worker on its own queue, and the base URL the browser opens."""
    tmp: Path = tmp_path_factory.mktemp("console")
    engine = make_engine(f"sqlite:///{tmp / 'cases.db'}")
    task_queue = f"tq-console-{uuid.uuid4().hex[:8]}"
    secret = generate_secret()
    settings = Settings(
        task_queue=task_queue,
        webhook_secret=secret,
        stripe_webhook_secret=STRIPE_SECRET,
        # The console's desks, and the e2e harness' role tokens (`Stack.read`, `Stack.act`).
        api_tokens=parse_tokens(
            ",".join([*TOKENS.values(), *(f"{t}:{r}" for r, t in API_TOKENS.items())])
        ),
        ui_url="http://127.0.0.1:8233",
    )
    state = AppState(
        settings=settings,
        client=local_env.client,
        engine=engine,
        policy=load_policy("default"),
        signer=WebhookSigner(secret),
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, state), host="127.0.0.1", port=port, log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    async with (
        running_worker(local_env.client, engine, task_queue),
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        stack = Stack(local_env, engine, task_queue, http, WebhookSigner(secret))
        yield Desk(stack, base)
    server.should_exit = True
    await serving
    engine.dispose()
