"""What the console's tests share: the tokens of the desks that sign in, opening cases
through the webhook, signing in over plain HTTP and reading a page's CSRF token."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import stripe
from sqlalchemy.engine import Engine

from redress.models.dispute_samples import sample_event
from redress.models.dispute_tables import SettledTransaction
from redress.models.payment_failure_tables import PaymentAttempt
from redress.policy import load_policy
from redress.store.tables import CaseRecord
from tests.e2e.harness import STRIPE_SECRET, Stack, complaint_event

# name → the REDRESS_API_TOKENS entry (token:role[:merchants]); the token is its first part.
TOKENS = {
    "agent": "c-agent-1:agent:name=Li Lei",
    "supervisor": "c-sup-1:supervisor",
    "platform": "c-plat-1:platform",
    "desk-a": "c-desk-a:agent:M-A",
}


def token(name: str) -> str:
    return TOKENS[name].split(":")[0]


@dataclass
class Desk:
    stack: Stack
    base: str


async def open_complaint(
    stack: Stack, merchant: str, age: timedelta = timedelta(0), **overrides: Any
) -> str:
    """A merchant complaint opened by the webhook, created `age` ago; its case ID once
    the case store has it."""
    created = (datetime.now(UTC) - age).isoformat()
    event = complaint_event(merchant_id=merchant, created_at=created, **overrides)
    r = await stack.post_webhook(event)
    assert r.status_code == 202, r.text
    case_id: str = r.json()["case_id"]
    await stack.wait_for(case_id, lambda c: c["version"] >= 1)
    return case_id


async def open_stripe_dispute(stack: Stack, merchant: str) -> str:
    """A Stripe dispute opened by Stripe's own event, signed with the `stripe` package; its
    case ID once the case store has it."""
    dispute_id = f"dp_{uuid.uuid4().hex[:16]}"
    event = sample_event(
        dispute_id, merchant_id=merchant, trade_no=f"ch_{dispute_id}", policy=load_policy()
    )
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        body, STRIPE_SECRET, timestamp=int(time.time())
    )
    r = await stack.http.post(
        "/webhooks/stripe",
        content=body.encode(),
        headers={"Stripe-Signature": header, "content-type": "application/json"},
    )
    assert r.status_code == 202, r.text
    case_id: str = r.json()["case_id"]
    await stack.wait_for(case_id, lambda c: c["version"] >= 1)
    return case_id


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page has no CSRF token"
    return found.group(1)


@asynccontextmanager
async def signed_in(base: str, name: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of its own (its own cookies) signed in as `name`."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        page = await http.get("/console/login")
        r = await http.post(
            "/console/login", data={"token": token(name), "csrf_token": csrf_of(page.text)}
        )
        assert r.status_code == 303, r.text
        yield http


def fresh_key() -> str:
    return f"k-{uuid.uuid4().hex}"


def seed_figures(engine: Engine, now: datetime) -> None:
    """Figures for the overview's kind charts: decided disputes of this month with the
    transactions they are counted against, and a day of payments with some failed."""
    tag = uuid.uuid4().hex[:6]
    disputes = [
        dict(
            case_id=f"dispute-seed-{tag}-{merchant}-{i}",
            workflow_id=f"dispute-seed-{tag}-{merchant}-{i}",
            kind="dispute",
            status="lost",
            outcome="lost",
            open=False,
            merchant_id=merchant,
            created_at=now - timedelta(minutes=i + 1),
            updated_at=now,
            data={"kind": "dispute", "details": {"network": network}},
        )
        for merchant, network, n in (("M-A", "visa", 6), ("M-B", "mastercard", 4))
        for i in range(n)
    ]
    settled = [
        dict(
            source="generic",
            transaction_id=f"t-{tag}-{merchant}-{month}-{i}",
            merchant_id=merchant,
            settled_at=now - timedelta(days=month * 31, minutes=i),
            amount="10.00",
            currency="USD",
            card_not_present=True,
            network=network,
        )
        for merchant, network, n in (("M-A", "visa", 250), ("M-B", "mastercard", 200))
        for month in (0, 1)
        for i in range(n)
    ]
    attempts = [
        dict(
            source="generic",
            payment_id=f"p-{tag}-{merchant}-{channel}-{i}",
            outcome="failed" if i < failed else "succeeded",
            merchant_id=merchant,
            order_no=f"o-{i}",
            channel=channel,
            at=now - timedelta(minutes=i + 1),
            amount="10.00",
            currency="CNY",
            cause="insufficient_funds" if i < failed else None,
        )
        for merchant, channel, n, failed in (("M-A", "alipay", 40, 14), ("M-B", "card", 30, 3))
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(CaseRecord.__table__.insert(), disputes)  # type: ignore[attr-defined]
        conn.execute(SettledTransaction.__table__.insert(), settled)  # type: ignore[attr-defined]
        conn.execute(PaymentAttempt.__table__.insert(), attempts)  # type: ignore[attr-defined]
