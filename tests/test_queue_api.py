"""`GET /cases` (the queue) and `POST`/`DELETE /cases/{id}/claim` over the app, on a store
the projection wrote: parameters, 422s naming what is known, scope, claims and their audit,
display names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from redress.api.app import create_app
from redress.api.deps import AppState
from redress.api.queue import KNOWN_PARAMS
from redress.config import Settings, parse_tokens
from redress.policy import load_policy
from redress.store.queue import SORTS
from redress.store.tables import AuditEntry
from tests.queue_support import KIND_NAMES, project, view

TOKENS = (
    "agent-tok:agent:name=Li Wei,"
    "other-tok:agent,"
    "super-tok:supervisor:name=Sue Supervisor,"
    "m2-tok:agent:M2:name=Desk Two"
)
H = timedelta(hours=1)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def http(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(api_tokens=parse_tokens(TOKENS))
    state = AppState(
        settings=settings,
        client=cast(Any, None),  # the queue and claims never reach the case engine
        engine=engine,
        policy=load_policy("default"),
        signer=None,
    )
    app = create_app(settings, state)
    app.state.redress = state
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://api", headers=auth("agent-tok")
    ) as client:
        now = datetime.now(UTC)  # the API's queue is as of now
        project(
            engine,
            [
                view("c1", due={"respond_by": 2 * H}, base=now),
                view("c2", due={"respond_by": -H}, priority="urgent", amount="99.00", base=now),
                view("c3", merchant="M2", kind=KIND_NAMES[-1], base=now),
                view("c4", status="closed", base=now),
            ],
        )
        yield client


async def test_the_queue_in_its_default_order_with_every_field(http: httpx.AsyncClient) -> None:
    r = await http.get("/cases")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 4 and [i["case_id"] for i in body["items"]] == [
        "c2",
        "c1",
        "c3",
        "c4",
    ]
    item = body["items"][0]
    assert item["overdue"] is True and item["amount"] == "99.00"
    for field in [
        "case_id",
        "kind",
        "status",
        "outcome",
        "merchant_id",
        "amount",
        "currency",
        "category",
        "created_at",
        "next_deadline",
        "next_deadline_name",
        "priority",
        "penalty_points",
        "assignee",
        "points",
        "stalled",
        "stalled_since",
    ]:
        assert field in item


async def test_filters_sorts_and_pages(http: httpx.AsyncClient) -> None:
    got = (await http.get("/cases?open=true&sort=-amount&limit=2")).json()
    # c1 and c3 tie on amount: the later case ID first, in the order's direction.
    assert [i["case_id"] for i in got["items"]] == ["c2", "c3"] and got["total"] == 3
    rest = (await http.get(f"/cases?open=true&sort=-amount&cursor={got['next_cursor']}")).json()
    assert [i["case_id"] for i in rest["items"]] == ["c1"] and rest["next_cursor"] is None
    overdue = (await http.get("/cases?overdue=true")).json()["items"]
    assert [i["case_id"] for i in overdue] == ["c2"]
    kinds = (await http.get(f"/cases?kind={KIND_NAMES[-1]},{KIND_NAMES[0]}")).json()
    assert kinds["total"] == 4
    for sort in SORTS:
        assert (await http.get(f"/cases?sort={sort}")).json()["total"] == 4


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("sorting=amount", ", ".join(KNOWN_PARAMS)),
        ("sort=due", ", ".join(SORTS)),
        ("kind=nope", ", ".join(KIND_NAMES)),
        ("status=open", "closed"),
        ("open=yes", "true or false"),
        ("priority=high", "regular, urgent"),
        ("cursor=bm9wZQ", "malformed cursor"),
        ("limit=501", "less than or equal to 500"),
    ],
)
async def test_unknown_parameters_and_values_are_422s(
    http: httpx.AsyncClient, query: str, names: str
) -> None:
    r = await http.get(f"/cases?{query}")
    assert r.status_code == 422
    assert names in r.json()["detail"], r.json()


async def test_a_scoped_token_sees_its_merchants_only(http: httpx.AsyncClient) -> None:
    got = (await http.get("/cases", headers=auth("m2-tok"))).json()
    assert [i["case_id"] for i in got["items"]] == ["c3"] and got["total"] == 1
    r = await http.post("/cases/c1/claim", headers=auth("m2-tok"))
    assert r.status_code == 404


async def test_claim_release_and_their_audit(http: httpx.AsyncClient, engine: Engine) -> None:
    r = await http.post("/cases/c1/claim")
    assert r.status_code == 200 and r.json()["assignee_name"] == "Li Wei"
    row = (await http.get("/cases?sort=next_deadline")).json()["items"][1]
    assert (row["case_id"], row["assignee_name"]) == ("c1", "Li Wei")
    assert row["assignee"].startswith("agent-")
    taken = await http.post("/cases/c1/claim", headers=auth("other-tok"))
    assert taken.status_code == 409 and "Li Wei" in taken.json()["detail"]
    forced = await http.post("/cases/c1/claim", json={"force": True}, headers=auth("other-tok"))
    assert forced.status_code == 403
    assert (await http.delete("/cases/c1/claim", headers=auth("other-tok"))).status_code == 403
    sup = auth("super-tok")
    assert (await http.post("/cases/c1/claim", json={"force": True}, headers=sup)).json()[
        "assignee_name"
    ] == "Sue Supervisor"
    assert (await http.delete("/cases/c1/claim", headers=sup)).json()["assignee"] is None
    assert (await http.post("/cases/c4/claim")).status_code == 409  # closed
    assert (await http.post("/cases/nope/claim")).status_code == 404
    with Session(engine) as s:
        entries = s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()  # type: ignore[arg-type]
    assert [(e.action, e.status_code, e.actor_name) for e in entries] == [
        ("claim", 200, "Li Wei"),
        ("claim", 409, None),
        ("claim", 403, None),
        ("release", 403, None),
        ("claim", 200, "Sue Supervisor"),
        ("release", 200, "Sue Supervisor"),
        ("claim", 409, "Li Wei"),
        ("claim", 404, "Li Wei"),
    ]
