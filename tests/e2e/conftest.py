"""End-to-end fixtures: a real dev server, a worker, and the API served over real HTTP
(what they share with the tests: tests/e2e/harness.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from redress.api.app import create_app
from redress.api.deps import AppState
from redress.api.signing import WebhookSigner, generate_secret
from redress.config import Settings, parse_tokens
from tests.e2e.harness import (
    ANTOM_CLIENT_ID,
    SCOPED,
    STRIPE_SECRET,
    TOKENS,
    Stack,
    antom_keys,
    quick_policy,
)
from tests.harness import free_port


@pytest.fixture
async def stack(
    local_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> AsyncIterator[Stack]:
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
        client=local_env.client,
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
        yield Stack(local_env, engine, task_queue, http, WebhookSigner(secret))
    server.should_exit = True
    await serving
