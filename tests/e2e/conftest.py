"""End-to-end fixtures: a real dev server, a worker, and the API served over real HTTP."""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from redress.api.app import create_app
from redress.api.deps import AppState
from redress.api.signing import WebhookSigner, generate_secret
from redress.config import Settings, parse_tokens
from redress.policy import Policy, load_policy

STRIPE_SECRET = "whsec_test_e2e_0123456789abcdef"
ANTOM_CLIENT_ID = "SANDBOX_E2E_CLIENT"


@functools.cache
def antom_keys() -> tuple[str, str]:
    """A key pair standing for Antom's: the private key as Antom's SDK signs with it
    (PKCS#1), the public key as redress is configured with it (PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


TOKENS = {"agent": "agent-secret-1", "supervisor": "sup-secret-1", "platform": "plat-secret-1"}
# Desks of one sub-merchant, and of two (one of them with a colon in its ID), for a PSP.
SCOPED = {"desk-a": "scoped-a:agent:M-A", "desk-ab": "scoped-ab:supervisor:M-A+M:B"}


def quick_policy() -> Policy:
    """The default policy's shape, in seconds, so a case runs in a test."""
    policy = load_policy("fast")
    rules = policy.complaint.model_copy(
        update={
            "handle_within": policy.complaint.handle_within * 0 + _s(4),
            "reminders_before": [_s(2)],
            "outcome_wait": _s(3),
            "response_appeal_window": _s(30),
            "refund_within": _s(4),
        }
    )
    return policy.model_copy(update={"complaint": rules, "name": "e2e"})


def _s(seconds: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=seconds)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    env: WorkflowEnvironment
    engine: Engine
    task_queue: str
    http: httpx.AsyncClient
    signer: WebhookSigner

    async def post_webhook(self, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = self.signer.headers(f"msg_{uuid.uuid4().hex}", body)
        headers["content-type"] = "application/json"
        headers.update(kw.pop("headers", {}))
        return await self.http.post("/webhooks/generic", content=body, headers=headers, **kw)

    async def act(
        self, case_id: str, role: str, action: dict[str, Any], key: str | None = ""
    ) -> httpx.Response:
        """POST an action; a fresh Idempotency-Key unless `key` names one (None: no key)."""
        token = TOKENS.get(role) or SCOPED[role].split(":")[0]
        headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key or f"k-{uuid.uuid4().hex}"
        return await self.http.post(
            f"/cases/{case_id}/actions",
            content=json.dumps(action),  # ASCII-escaped, so any string survives the trip
            headers=headers,
        )

    async def read(self, path: str, role: str = "agent", **kw: Any) -> httpx.Response:
        """GET with a role's (or a scoped desk's) token: every read needs one."""
        token = TOKENS.get(role) or SCOPED[role].split(":")[0]
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        return await self.http.get(path, headers=headers, **kw)

    async def wait_for(self, case_id: str, check: Any, timeout: float = 30.0) -> dict[str, Any]:
        """Poll GET /cases/{id} until `check(case)` holds."""
        deadline = asyncio.get_running_loop().time() + timeout
        last: Any = None
        while asyncio.get_running_loop().time() < deadline:
            r = await self.read(f"/cases/{case_id}")
            if r.status_code == 200:
                last = r.json()
                if check(last):
                    return dict(last)
            await asyncio.sleep(0.2)
        raise AssertionError(f"case {case_id} never reached the expected state; last: {last}")


def complaint_event(**overrides: Any) -> dict[str, Any]:
    complaint = {
        "id": f"C{uuid.uuid4().hex[:10]}",
        "merchant_id": "M200",
        "trade_no": "T2026112200042",
        "amount": "120.50",
        "currency": "CNY",
        "created_at": datetime.now(UTC).isoformat(),
        "category": "not_received",
        "description": "paid, nothing arrived",
        "user": {
            "id": "U42",
            "locale": "en",
            "contact": {"channel": "email", "address": "li.lei@example.com"},
        },
    }
    complaint.update(overrides)
    return {
        "event_id": f"evt-{uuid.uuid4().hex[:8]}",
        "type": "complaint.created",
        "complaint": complaint,
    }


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
