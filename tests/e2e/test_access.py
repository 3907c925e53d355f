"""Who may read and move which cases: every read needs a token, and a token scoped to
merchants sees and moves only their cases; any other case answers 404, as if absent."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from redress.store.tables import AuditEntry
from tests.e2e.harness import Stack, complaint_event
from tests.harness import running_worker

REPLY = {"type": "reply", "message": "On its way"}


async def _open(stack: Stack, merchant: str) -> str:
    r = await stack.post_webhook(complaint_event(merchant_id=merchant))
    assert r.status_code == 202, r.text
    case_id: str = r.json()["case_id"]
    await stack.wait_for(case_id, lambda c: c["version"] >= 1)
    return case_id


async def test_reads_need_a_token(stack: Stack) -> None:
    for path in ("/cases", "/cases/complaint-generic-X1"):
        r = await stack.http.get(path)
        assert r.status_code == 401, path
        assert r.json()["detail"] == "missing bearer token"
        r = await stack.http.get(path, headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401, path
    assert (await stack.http.get("/openapi.json")).status_code == 200


@pytest.mark.rule("C4")
async def test_a_scoped_desk_sees_and_moves_only_its_merchants(stack: Stack) -> None:
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        a, b, c = [await _open(stack, m) for m in ("M-A", "M:B", "M-C")]

        listed = (await stack.read("/cases", "desk-a", params={"limit": 500})).json()
        assert {i["merchant_id"] for i in listed["items"]} == {"M-A"}
        assert a in {i["case_id"] for i in listed["items"]}
        both = (await stack.read("/cases", "desk-ab", params={"limit": 500})).json()
        assert {i["merchant_id"] for i in both["items"]} == {"M-A", "M:B"}
        # Asking for another merchant by name finds nothing, not an error that confirms it.
        other = (await stack.read("/cases", "desk-a", params={"merchant_id": "M-C"})).json()
        assert other == {"total": 0, "items": [], "next_cursor": None}

        assert (await stack.read(f"/cases/{a}", "desk-a")).status_code == 200
        assert (await stack.read(f"/cases/{b}", "desk-ab")).status_code == 200
        for case_id in (b, c):
            r = await stack.read(f"/cases/{case_id}", "desk-a")
            assert r.status_code == 404 and r.json()["detail"] == f"no case {case_id!r}"
            # Moving it: the same 404 as for a case that does not exist, and nothing moves.
            r = await stack.act(case_id, "desk-a", REPLY)
            assert r.status_code == 404, r.text
        missing = "complaint-generic-NOPE"
        assert (await stack.act(missing, "desk-a", REPLY)).json() == {
            "detail": f"no case {missing!r}"
        }
        untouched = (await stack.read(f"/cases/{c}")).json()
        assert untouched["status"] == "awaiting_response"

        r = await stack.act(a, "desk-a", REPLY)
        assert r.status_code == 200 and r.json()["status"] == "awaiting_outcome"
        with Session(stack.engine) as s:
            rows = s.exec(select(AuditEntry)).all()
        scopes = {(row.case_id, row.status_code, row.scope) for row in rows}
        assert (a, 200, "M-A") in scopes and (c, 404, "M-A") in scopes


async def test_a_scoped_token_may_not_use_the_codec(stack: Stack) -> None:
    token = "scoped-a"
    r = await stack.http.post(
        "/codec/decode", json={"payloads": []}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 403
    assert r.json()["detail"] == "a token scoped to merchants may not use the codec"
