"""Provider dates and amounts are checked at the webhook, before anything starts.

Each delivery is signed with the provider's own package (`stripe`, Antom's SDK), posted to
the real API app, and must be refused with a 4xx that names the provider's field. The
Temporal client behind the app is a stand-in that records any use: a refused delivery
never reaches it, and the intake ledger stays empty. A sound delivery does reach it
(answered 503 here), so the refusals are the checks', not the stand-in's.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
import stripe
from com.alipay.ams.api.tools import signature_tool
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from redress.api.app import create_app
from redress.api.deps import AppState
from redress.config import Settings
from redress.policy import load_policy
from redress.store.tables import DeliveryRecord, IntakeEvent, IntakeRecord
from tests.providers.samples import ANTOM_CREATED, CLIENT_ID, PATH, SECRET
from tests.providers.samples import EVENT as STRIPE_EVENT

POLICY = load_policy("default")
DAY = 86_400


class Engine404:
    """Stands in for the Temporal client: every use is recorded and fails as an outage."""

    def __init__(self) -> None:
        self.used: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.used.append(name)

        async def unreachable(*args: Any, **kwargs: Any) -> Any:
            raise RPCError("test: no Temporal here", RPCStatusCode.UNAVAILABLE, b"")

        return unreachable


@pytest.fixture(scope="module")
def antom_keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class Api:
    def __init__(self, http: httpx.AsyncClient, temporal: Engine404, engine: Engine) -> None:
        self.http, self.temporal, self.engine = http, temporal, engine

    def ledger(self) -> list[Any]:
        """What the intake recorded: cases, provider events, deliveries."""
        with Session(self.engine) as s:
            tables = (IntakeRecord, IntakeEvent, DeliveryRecord)
            return [row for t in tables for row in s.exec(select(t)).all()]


@pytest.fixture
async def api(engine: Engine, antom_keys: tuple[str, str]) -> AsyncIterator[Api]:
    settings = Settings(
        stripe_webhook_secret=SECRET,
        stripe_merchant_id="M-PLATFORM",
        antom_public_key=antom_keys[1],
        antom_client_id=CLIENT_ID,
        antom_merchant_id="M-ACME",
        antom_notify_path=PATH,
    )
    temporal = Engine404()
    app = create_app(settings)
    app.state.redress = AppState(
        settings=settings,
        client=cast(Client, temporal),  # a stand-in that must never be called
        engine=engine,
        policy=POLICY,
        signer=None,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield Api(http, temporal, engine)


# --- Stripe -------------------------------------------------------------------------------


def stripe_event(created: int | None = None, **dispute: Any) -> dict[str, Any]:
    now = int(time.time())
    body = copy.deepcopy(STRIPE_EVENT)
    body["id"] = f"evt_{now}{len(json.dumps(dispute))}"
    body["created"] = now if created is None else created
    body["data"]["object"]["evidence_details"]["due_by"] = now + 7 * DAY
    body["data"]["object"].update(dispute)
    return body


async def post_stripe(api: Api, payload: dict[str, Any]) -> httpx.Response:
    body = json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET, timestamp=None)
    return await api.http.post(
        "/webhooks/stripe",
        content=body.encode(),
        headers={"Stripe-Signature": header, "content-type": "application/json"},
    )


def evidence_due(due_by: int) -> dict[str, Any]:
    return {
        "evidence_details": {
            "due_by": due_by,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        }
    }


CENTURY = 100 * 365 * DAY
YEAR_1 = int(datetime(1, 1, 1, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"amount": 0}, "data.object.amount", "positive"),
        ({"amount": -4999}, "data.object.amount", "positive"),
        ({"created": "century"}, "created", "policy intake.max_ahead"),
        ({"created": "old"}, "created", "policy intake.max_age"),
        (evidence_due(YEAR_1), "data.object.evidence_details.due_by", "dispute.due_past_within"),
        ({"due": 200 * DAY}, "data.object.evidence_details.due_by", "dispute.due_within"),
    ],
)
async def test_stripe_out_of_range_refused_before_anything_starts(
    api: Api, change: dict[str, Any], field: str, says: str
) -> None:
    change = dict(change)
    now = int(time.time())
    created = {"century": now + CENTURY, "old": now - 40 * DAY}.get(change.pop("created", ""))
    payload = stripe_event(created, **change)
    if "due" in change:
        payload["data"]["object"].pop("due")
        payload["data"]["object"]["evidence_details"]["due_by"] = now + change["due"]
    r = await post_stripe(api, payload)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"{field}:") and says in r.json()["detail"]
    assert api.temporal.used == [] and api.ledger() == []


async def test_stripe_sound_event_gets_past_the_checks(api: Api) -> None:
    r = await post_stripe(api, stripe_event())
    assert r.status_code == 503  # reached the (absent) Temporal: nothing was refused
    assert api.temporal.used


# --- Antom --------------------------------------------------------------------------------


async def post_antom(api: Api, keys: tuple[str, str], payload: dict[str, Any]) -> httpx.Response:
    body = json.dumps(payload)
    req_time = str(int(time.time() * 1000))
    signature = signature_tool.sign("POST", PATH, CLIENT_ID, req_time, body, keys[0])
    return await api.http.post(
        "/webhooks/antom",
        content=body.encode(),
        headers={
            "client-id": CLIENT_ID,
            "request-time": req_time,
            "signature": f"algorithm=RSA256,keyVersion=1,signature={signature}",
            "content-type": "application/json",
        },
    )


def antom_notice(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    body = copy.deepcopy(ANTOM_CREATED)
    body.update(
        notifyTime=now.isoformat(),
        disputeTime=now.isoformat(),
        defenseDueTime=(now + timedelta(days=7)).isoformat(),
    )
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"defenseDueTime": "9999-12-31T23:59:59-08:00"}, "defenseDueTime", "due_within"),
        ({"defenseDueTime": "0001-01-01T00:00:00+00:00"}, "defenseDueTime", "due_past_within"),
        ({"notifyTime": "2125-01-06T19:09:17-08:00"}, "notifyTime", "intake.max_ahead"),
        ({"disputeAmount": {"currency": "KRW", "value": "0"}}, "disputeAmount.value", "positive"),
    ],
)
async def test_antom_out_of_range_refused_before_anything_starts(
    api: Api, antom_keys: tuple[str, str], change: dict[str, Any], field: str, says: str
) -> None:
    r = await post_antom(api, antom_keys, antom_notice(**change))
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"{field}:") and says in r.json()["detail"]
    assert api.temporal.used == [] and api.ledger() == []


async def test_antom_sound_notice_gets_past_the_checks(
    api: Api, antom_keys: tuple[str, str]
) -> None:
    r = await post_antom(api, antom_keys, antom_notice())
    assert r.status_code == 503
    assert api.temporal.used
