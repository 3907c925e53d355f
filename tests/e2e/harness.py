"""What the end-to-end tests share: the API's tokens and provider settings, the stack a
test drives over real HTTP (`Stack`: webhooks, actions, reads, waiting for a case), a
quick policy and sample webhook events. The fixture that serves it is in conftest.py."""

from __future__ import annotations

import functools
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from redress.api.signing import WebhookSigner
from redress.policy import Policy, load_policy
from tests.harness import eventually, section

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


async def post_antom(
    stack: Stack, body: dict[str, Any], signed_for: str = "/webhooks/antom"
) -> httpx.Response:
    """A notifyDispute body posted to `/webhooks/antom`, signed by Antom's own SDK for the
    path `signed_for` (another path: a signature the API must refuse)."""
    from com.alipay.ams.api.tools import signature_tool

    raw = json.dumps(body)
    at = str(int(time.time() * 1000))
    sig = signature_tool.sign("POST", signed_for, ANTOM_CLIENT_ID, at, raw, antom_keys()[0])
    headers = {
        "Content-Type": "application/json; charset=UTF-8",
        "Client-Id": ANTOM_CLIENT_ID,
        "Request-Time": at,
        "Signature": f"algorithm=RSA256,keyVersion=1,signature={sig}",
    }
    return await stack.http.post("/webhooks/antom", content=raw.encode(), headers=headers)


def antom_created(now: datetime, **fields: Any) -> dict[str, Any]:
    """Antom's notifyDispute `DISPUTE_CREATED` (the shape of tests/providers/samples.py
    `ANTOM_CREATED`) with a fresh dispute and payment, dated `now`, due 7 days later;
    `fields` replace or add Antom's own fields."""
    return {
        "disputeId": f"2026{uuid.uuid4().int % 10**16:016d}",
        "paymentId": f"pay{uuid.uuid4().hex[:20]}",
        "paymentRequestId": "PAY-1",
        "disputeNotificationType": "DISPUTE_CREATED",
        "disputeTime": now.isoformat(),
        "notifyTime": now.isoformat(),
        "defenseDueTime": (now + timedelta(days=7)).isoformat(),
        "disputeAmount": {"currency": "KRW", "value": "14204"},
        "disputeReasonCode": "13.1",
        "defendable": "true",
        **fields,
    }


TOKENS = {"agent": "agent-secret-1", "supervisor": "sup-secret-1", "platform": "plat-secret-1"}
# Desks of one sub-merchant, and of two (one of them with a colon in its ID), for a PSP.
SCOPED = {"desk-a": "scoped-a:agent:M-A", "desk-ab": "scoped-ab:supervisor:M-A+M:B"}


def quick_policy() -> Policy:
    """The default policy's shape, in seconds, so a case runs in a test."""
    policy = load_policy("fast")
    complaint = section(policy, "complaint")
    rules = complaint.model_copy(
        update={
            "handle_within": complaint.handle_within * 0 + _s(4),
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


@dataclass
class Stack:
    env: WorkflowEnvironment
    engine: Engine
    task_queue: str
    http: httpx.AsyncClient
    signer: WebhookSigner
    secret: str = ""  # the generic webhooks' secret (what `redress send-event` signs with)

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
        last: Any = None

        async def reached() -> dict[str, Any]:
            nonlocal last
            r = await self.read(f"/cases/{case_id}")
            if r.status_code == 200:
                last = r.json()
                if check(last):
                    return dict(last)
            raise AssertionError(f"case {case_id} never reached the expected state; last: {last}")

        return await eventually(reached, timeout=timeout, interval=0.2)


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
