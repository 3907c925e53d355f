"""What the console's tests share: the tokens of the desks that sign in, opening cases
through the webhook, signing in over plain HTTP and reading a page's CSRF token."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.harness import Stack, complaint_event

# name → the REDRESS_API_TOKENS entry (token:role[:merchants]); the token is its first part.
TOKENS = {
    "agent": "c-agent-1:agent",
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
