"""Transaction records (C1) and prevention notices over the API, without a case engine:
the records' limits (checked before anything is written), replacing and removing evidence,
and a notice's Idempotency-Key bound to its body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from redress.api.app import create_app
from redress.api.deps import AppState
from redress.config import Settings, parse_tokens
from redress.policy import load_policy
from redress.store.tables import TransactionRecord

AUTH = {"Authorization": "Bearer agent-secret-1"}
TXN = "/transactions/ch_big"


class Engine_:
    """Stands in for the Temporal client: records the notices started."""

    def __init__(self) -> None:
        self.started: list[str] = []

    async def start_workflow(self, *args: Any, id: str, **kw: Any) -> None:
        self.started.append(id)


@pytest.fixture
async def api(engine: Engine) -> AsyncIterator[tuple[httpx.AsyncClient, Engine_]]:
    settings = Settings(api_tokens=parse_tokens("agent-secret-1:agent"))
    client = Engine_()
    state = AppState(
        settings=settings,
        client=client,  # type: ignore[arg-type]
        engine=engine,
        policy=load_policy("default"),
        signer=None,
    )
    app = create_app(settings, state)
    app.state.redress = state
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield http, client


def stored(engine: Engine, txn: str = "ch_big") -> TransactionRecord | None:
    with Session(engine) as s:
        return s.get(TransactionRecord, ("M-1", txn))


async def test_a_record_past_its_total_is_refused_before_it_is_stored(
    api: tuple[httpx.AsyncClient, Engine_], engine: Engine
) -> None:
    http, _ = api
    limit = load_policy("default").limits.transaction_bytes
    # The 10 MB came in five PUTs; here each is inside one item's text limit
    # (19,990 characters of a 3-byte character: about 60,000 bytes) and the record grows.
    text = "证" * 19_990
    codes = []
    for n in range(30):
        body = {"merchant_id": "M-1", "evidence": [{"kind": "receipt", "text": f"{n}{text}"}]}
        r = await http.put(TXN, json=body, headers=AUTH)
        codes.append(r.status_code)
        if r.status_code != 200:
            break
    assert codes[-1] == 422 and set(codes[:-1]) == {200}, codes
    detail = r.json()["detail"]
    assert "limits.transaction_bytes" in detail and "over the 1,048,576-byte limit" in detail
    row = stored(engine)
    assert row is not None and len(row.evidence) == len(codes) - 1  # nothing of the last
    assert sum(len(e["text"].encode()) for e in row.evidence) <= limit


async def test_item_count_and_item_text_are_refused_by_how_much(
    api: tuple[httpx.AsyncClient, Engine_], engine: Engine
) -> None:
    http, _ = api
    items = [{"kind": "receipt", "ref": f"file_{n}"} for n in range(100)]
    r = await http.put(TXN, json={"merchant_id": "M-1", "evidence": items}, headers=AUTH)
    assert r.status_code == 200
    more = {"merchant_id": "M-1", "evidence": [{"kind": "receipt", "ref": "file_101"}]}
    r = await http.put(TXN, json=more, headers=AUTH)
    assert r.status_code == 422
    assert "101 items, 1 over the 100-item limit (limits.transaction_items)" in r.json()["detail"]
    row = stored(engine)
    assert row is not None and len(row.evidence) == 100


async def test_evidence_is_replaced_and_removed(
    api: tuple[httpx.AsyncClient, Engine_], engine: Engine
) -> None:
    http, _ = api
    items = [
        {"kind": "shipping_documentation", "ref": "pod_wrong.pdf", "bytes": 9_000_000},
        {"kind": "shipping_documentation", "ref": "pod.pdf", "bytes": 90_000},
        {"kind": "receipt", "text": "order O-1"},
    ]
    r = await http.put(TXN, json={"merchant_id": "M-1", "evidence": items}, headers=AUTH)
    assert r.status_code == 200 and len(r.json()["evidence"]) == 3
    # One oversized file no longer makes every dispute on the charge unsubmittable.
    path = f"{TXN}/evidence/shipping_documentation?merchant_id=M-1&ref=pod_wrong.pdf"
    r = await http.delete(path, headers=AUTH)
    assert r.status_code == 200, r.text
    assert [e.get("ref") for e in r.json()["evidence"]] == ["pod.pdf", None]
    assert (await http.delete(path, headers=AUTH)).status_code == 404  # gone already
    r = await http.delete(f"{TXN}/evidence/receipt?merchant_id=M-1", headers=AUTH)
    assert r.status_code == 200 and len(r.json()["evidence"]) == 1
    # replace: true makes the items given the whole evidence (here: one text).
    body = {"merchant_id": "M-1", "replace": True, "evidence": [{"kind": "receipt", "text": "R"}]}
    r = await http.put(TXN, json=body, headers=AUTH)
    assert r.status_code == 200 and [e["kind"] for e in r.json()["evidence"]] == ["receipt"]
    row = stored(engine)
    assert row is not None and [e["text"] for e in row.evidence] == ["R"]
    other = await http.delete(f"{TXN}/evidence/receipt?merchant_id=M-2", headers=AUTH)
    assert other.status_code == 404  # another merchant's, or none: no such transaction


async def test_a_notice_key_is_bound_to_its_body(api: tuple[httpx.AsyncClient, Engine_]) -> None:
    http, client = api
    notice = {
        "merchant_id": "M-1",
        "type": "delivery_delayed",
        "customer": {
            "id": "U1",
            "locale": "en",
            "contact": {"channel": "email", "address": "a@b.example"},
        },
        "new_date": "2026-12-20T00:00:00+08:00",
    }
    keyed = {**AUTH, "Idempotency-Key": "delay-1"}
    r = await http.post(f"{TXN}/notices", json=notice, headers=keyed)
    assert r.status_code == 202, r.text
    r = await http.post(f"{TXN}/notices", json=notice, headers=keyed)  # a retry: same body
    assert r.status_code == 202 and len(set(client.started)) == 1  # the same notice
    later = {**notice, "new_date": "2027-01-20T00:00:00+08:00"}
    r = await http.post(f"{TXN}/notices", json=later, headers=keyed)
    assert r.status_code == 422 and "Idempotency-Key" in r.json()["detail"]
    assert len(client.started) == 2  # nothing started for it
