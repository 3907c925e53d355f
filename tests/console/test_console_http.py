"""The console over plain HTTP against the real stack: sign-in and the session cookie's
flags, the redirect to sign in, CSRF refusals (403, audited), a scoped desk's 404, the
language switch, the forms a role is offered, and a double submit acting once."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, select

from redress.store.tables import AuditEntry
from tests.console.harness import (
    Desk,
    csrf_of,
    fresh_key,
    open_complaint,
    open_stripe_dispute,
    seed_figures,
    signed_in,
    token,
)


def _audited(desk: Desk, action: str) -> list[AuditEntry]:
    with Session(desk.stack.engine) as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


async def test_without_a_session_the_console_sends_you_to_sign_in(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.base) as http:
        for path in ("/console", "/console/overview", "/console/cases/complaint-generic-X"):
            r = await http.get(path)
            assert r.status_code == 303, path
            assert r.headers["location"] == "/console/login"
        page = await http.get("/console/login")
        assert page.status_code == 200 and 'name="token"' in page.text
        # A forged cookie is no session.
        http.cookies.set("redress_console", "eyJkIjoieCJ9.00", path="/console")
        assert (await http.get("/console")).status_code == 303
    schema = (await desk.stack.http.get("/openapi.json")).json()
    assert not [p for p in schema["paths"] if p.startswith("/console")]


async def test_the_session_cookie_is_signed_http_only_and_holds_no_token(desk: Desk) -> None:
    async with httpx.AsyncClient(base_url=desk.base) as http:
        csrf = csrf_of((await http.get("/console/login")).text)
        wrong = await http.post("/console/login", data={"token": "nope", "csrf_token": csrf})
        assert wrong.status_code == 401 and "Unknown token" in wrong.text
        r = await http.post("/console/login", data={"token": token("agent"), "csrf_token": csrf})
        assert r.status_code == 303 and r.headers["location"] == "/console"
        cookie = r.headers["set-cookie"]
        flags = {part.strip().lower() for part in cookie.split(";")}
        assert {"httponly", "samesite=lax", "path=/console"} <= flags
        assert "secure" not in flags  # served over plain HTTP here
        payload = cookie.split(";")[0].split("=", 1)[1].rsplit(".", 1)[0]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert data["d"].startswith("sha256:") and token("agent") not in cookie
        assert data["c"] != csrf  # signing in starts a new session, with a new CSRF token
        assert (await http.get("/console")).status_code == 200
        # Sign-out ends it.
        page = await http.get("/console")
        out = await http.post("/console/logout", data={"csrf_token": csrf_of(page.text)})
        assert out.status_code == 303 and out.headers["location"] == "/console/login"
        assert (await http.get("/console")).status_code == 303


async def test_over_https_the_cookie_is_secure(desk: Desk) -> None:
    # uvicorn takes the scheme from a trusted proxy's X-Forwarded-Proto (127.0.0.1 here).
    async with httpx.AsyncClient(
        base_url=desk.base, headers={"X-Forwarded-Proto": "https"}
    ) as http:
        r = await http.get("/console/login")
        flags = {part.strip().lower() for part in r.headers["set-cookie"].split(";")}
        assert "secure" in flags and "httponly" in flags


async def test_a_post_without_its_sessions_csrf_token_is_refused_and_audited(desk: Desk) -> None:
    case_id = await open_complaint(desk.stack, "M-B")
    async with signed_in(desk.base, "agent") as mine, signed_in(desk.base, "supervisor") as other:
        theirs = csrf_of((await other.get("/console")).text)
        form = {"type": "reply", "f.message": "hello", "idempotency_key": "k-csrf-1"}
        missing = await mine.post(f"/console/cases/{case_id}/actions", data=form)
        assert missing.status_code == 403
        foreign = await mine.post(
            f"/console/cases/{case_id}/actions", data={**form, "csrf_token": theirs}
        )
        assert foreign.status_code == 403
        out = await mine.post("/console/logout", data={})
        assert out.status_code == 403
    refused = [e for e in _audited(desk, "csrf_refused") if e.case_id == case_id]
    assert len(refused) == 2
    assert {e.reason.split(": ")[1] for e in refused} == {
        "csrf_token missing",
        "csrf_token is not this session's",
    }
    assert all(e.status_code == 403 and not e.accepted and e.via == "console" for e in refused)
    assert all(e.role == "agent" for e in refused)
    view = (await desk.stack.read(f"/cases/{case_id}")).json()
    assert [e["type"] for e in view["timeline"]].count("message") == 0  # nothing moved


@pytest.mark.rule("C4")
async def test_a_scoped_desk_sees_only_its_merchants(desk: Desk) -> None:
    mine = await open_complaint(desk.stack, "M-A")
    other = await open_complaint(desk.stack, "M-B")
    async with signed_in(desk.base, "desk-a") as http:
        queue = (await http.get("/console")).text
        assert mine in queue and other not in queue
        r = await http.get(f"/console/cases/{other}")
        assert r.status_code == 404 and "No such case" in r.text
        page = await http.get(f"/console/cases/{mine}")
        assert page.status_code == 200
        form = {
            "csrf_token": csrf_of(page.text),
            "type": "reply",
            "f.message": "hi",
            "idempotency_key": "k-scope-1",
        }
        r = await http.post(f"/console/cases/{other}/actions", data=form)
        assert r.status_code == 404
        # The overview's figures are its merchant's alone: no other merchant's bars.
        seed_figures(desk.stack.engine, datetime.now(UTC))
        overview = (await http.get("/console/overview")).text
        assert "M-A · alipay" in overview and "M-B" not in overview
    async with signed_in(desk.base, "supervisor") as http:
        assert "M-B · card" in (await http.get("/console/overview")).text
    view = (await desk.stack.read(f"/cases/{other}")).json()
    assert view["status"] == "awaiting_response" and view["version"] == 1


async def test_the_language_follows_the_browser_and_the_switch(desk: Desk) -> None:
    async with signed_in(desk.base, "agent") as http:
        zh = await http.get("/console", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
        assert "待办队列" in zh.text and 'lang="zh-CN"' in zh.text
        en = await http.get("/console", headers={"Accept-Language": "en-GB,en;q=0.8"})
        assert ">Queue<" in en.text
        # The switch is a form with its CSRF token: without it, 403 and audited.
        csrf = csrf_of(en.text)
        forged = await http.post("/console/lang", data={"lang": "zh-CN", "next": "/console"})
        assert forged.status_code == 403 and "redress_lang" not in forged.headers.get(
            "set-cookie", ""
        )
        form = {"csrf_token": csrf, "lang": "zh-CN", "next": "/console/overview"}
        r = await http.post("/console/lang", data=form)
        assert r.status_code == 303 and r.headers["location"] == "/console/overview"
        switched = await http.get("/console", headers={"Accept-Language": "en"})
        assert "待办队列" in switched.text
        assert (await http.get("/console/lang/en")).status_code in (404, 405)  # no GET switch
        away = await http.post(
            "/console/lang", data={**form, "lang": "en", "next": "https://evil.example/"}
        )
        assert away.headers["location"] == "/console"  # never a redirect off the console


async def test_forms_follow_the_role_and_a_double_submit_acts_once(desk: Desk) -> None:
    case_id = await open_complaint(desk.stack, "M-B", age=timedelta(hours=1))
    async with signed_in(desk.base, "agent") as agent, signed_in(desk.base, "platform") as platform:
        page = (await agent.get(f"/console/cases/{case_id}")).text
        for action in ("reply", "refund", "refuse_refund"):
            assert f'data-action="{action}"' in page
        assert 'data-action="platform_verdict"' not in page
        assert 'data-action="escalate"' not in page  # not in awaiting_response
        assert "/namespaces/default/workflows/" + case_id in page
        # On a zh-CN page the forms speak Chinese too: no English title, label or help.
        zh = await agent.get(f"/console/cases/{case_id}", headers={"Accept-Language": "zh-CN"})
        assert "拒绝退款" in zh.text and "每行一项" in zh.text and "说明" in zh.text
        assert "Refuse refund" in page and "Refuse refund" not in zh.text
        actions = zh.text.split("<h2>操作</h2>")[1].split("</section>")[0]
        prose = re.findall(r">\s*([A-Za-z]+ [A-Za-z]+[^<]*)<", actions)
        assert prose == [], prose  # (the timeline and notices show what the case holds)
        seen = (await platform.get(f"/console/cases/{case_id}")).text
        assert 'data-action="reply"' in seen and 'data-action="refund"' not in seen
        form = {
            "csrf_token": csrf_of(page),
            "type": "reply",
            "f.message": "We are looking into it",
            "f.to": "user",
            "idempotency_key": "k-double-1",
        }
        first = await agent.post(f"/console/cases/{case_id}/actions", data=form)
        again = await agent.post(f"/console/cases/{case_id}/actions", data=form)
        assert first.status_code == again.status_code == 303
        shown = (await agent.get(first.headers["location"])).text
        assert "We are looking into it" in shown
    view = (await desk.stack.read(f"/cases/{case_id}")).json()
    assert [e["type"] for e in view["timeline"]].count("message") == 1
    taken = [e for e in _audited(desk, "reply") if e.case_id == case_id]
    assert {e.via for e in taken} == {"console"} and all(e.accepted for e in taken)


async def test_evidence_is_added_through_the_case_page(desk: Desk) -> None:
    case_id = await open_stripe_dispute(desk.stack, "M-D")
    async with signed_in(desk.base, "agent") as agent:
        page = (await agent.get(f"/console/cases/{case_id}")).text
        assert 'name="f.items.0.kind"' in page and 'name="f.items.2.text"' in page
        assert 'data-action="submit_defense"' in page
        assert "appeal.card" not in page  # not in Stripe's appeal stage: not offered
        form = {
            "csrf_token": csrf_of(page),
            "type": "add_evidence",
            "idempotency_key": fresh_key(),
            "f.items.0.kind": "product_description",
            "f.items.0.text": "Blue widget, shipped 3 December",
            "f.items.1.kind": "receipt",
            "f.items.1.ref": "file_receipt_1",
            "f.items.1.bytes": "2048",
        }
        r = await agent.post(f"/console/cases/{case_id}/actions", data=form)
        assert r.status_code == 303, r.text
        view = await desk.stack.wait_for(
            case_id, lambda c: any(e["type"] == "evidence_added" for e in c["timeline"])
        )
        (added,) = [e for e in view["timeline"] if e["type"] == "evidence_added"]
        assert added["kinds"] == ["product_description", "receipt"] and added["bytes"] == 2048
        shown = (await agent.get(r.headers["location"])).text
        evidence = shown.split('id="evidence"')[1].split("</section>")[0]
        assert '<dl class="nested">' in evidence
        assert "{" not in evidence and "None" not in evidence
        # A text in a file field: refused, and the page says why.
        form |= {
            "idempotency_key": fresh_key(),
            "f.items.0.kind": "shipping_documentation",
            "f.items.0.text": "Tracking 1Z999",
            "f.items.1.kind": "",
            "f.items.1.ref": "",
            "f.items.1.bytes": "",
        }
        refused = await agent.post(f"/console/cases/{case_id}/actions", data=form)
        assert refused.status_code == 422, refused.text
        alert = refused.text.split('id="refusal"')[1].split("</p>")[0]
        assert "shipping_documentation" in alert and "file field" in alert
        zh = await agent.get(f"/console/cases/{case_id}", headers={"Accept-Language": "zh-CN"})
        actions = zh.text.split("<h2>操作</h2>")[1].split("</section>")[0]
        assert "补充证据" in actions and "证据项" in actions
        prose = re.findall(r">\s*([A-Za-z]+ [A-Za-z]+[^<]*)<", actions)
        assert prose == [], prose
        assert not re.search(r">[a-z_]+\.[a-z_.]+", actions)  # no dotted codes as labels
        facts = zh.text.split('class="facts"')[1].split("</dl>\n</section>")[0]
        assert "<dt>证据包</dt>" in facts and "<dt>缺少的证据</dt>" in facts
        assert "+00:00" not in zh.text and "None" not in facts


async def test_the_overview_draws_its_charts(desk: Desk) -> None:
    await open_complaint(desk.stack, "M-A", category="wrong_item")
    await open_stripe_dispute(desk.stack, "M-NOSALES")  # no settled transaction this month
    async with signed_in(desk.base, "supervisor") as http:
        r = await http.get("/console/overview")
    # Its ratios are null, not 0 %: the chart says so in its slot and under it.
    assert 'class="no-value">no settled transactions this month<' in r.text
    assert "no settled transactions this month: " in r.text and "M-NOSALES" in r.text
    assert r.status_code == 200
    assert r.text.count("<svg") >= 3 and "wrong_item" in r.text
    assert "Cases by category and week" in r.text


async def test_claiming_a_case_shows_who_works_it(desk: Desk) -> None:
    case_id = await open_complaint(desk.stack, "M-A")
    async with signed_in(desk.base, "agent") as agent, signed_in(desk.base, "desk-a") as other:
        queue = await agent.get("/console", params={"merchant_id": "M-A"})
        assert 'Signed in as <b id="who">Li Lei</b>' in queue.text
        form = {"csrf_token": csrf_of(queue.text), "back": "/console?merchant_id=M-A"}
        r = await agent.post(f"/console/cases/{case_id}/claim", data=form)
        assert r.status_code == 303 and r.headers["location"] == "/console?merchant_id=M-A"
        row = (await agent.get("/console", params={"merchant_id": "M-A"})).text
        assert '<span class="assignee">Li Lei</span>' in row
        # Someone else asking for it is told who holds it; nothing changes.
        theirs = csrf_of((await other.get("/console")).text)
        taken = await other.post(f"/console/cases/{case_id}/claim", data={"csrf_token": theirs})
        assert taken.status_code == 409 and "is claimed by Li Lei" in taken.text
        released = await agent.post(
            f"/console/cases/{case_id}/claim", data={**form, "release": "1"}
        )
        assert released.status_code == 303
    claims = [e for e in _audited(desk, "claim") if e.case_id == case_id]
    assert sorted(e.status_code for e in claims) == [200, 409]
    assert [e.status_code for e in _audited(desk, "release") if e.case_id == case_id] == [200]


async def test_the_queue_pages_by_cursor_in_the_api_order(desk: Desk) -> None:
    first = await open_complaint(desk.stack, "M-P", age=timedelta(hours=2))
    second = await open_complaint(desk.stack, "M-P", age=timedelta(hours=1))
    async with signed_in(desk.base, "supervisor") as http:
        page = await http.get("/console", params={"merchant_id": "M-P", "limit": "1"})
        assert f'data-case="{first}"' in page.text and second not in page.text
        link = re.search(r'id="next-page" href="([^"]+)"', page.text)
        assert link, "no next page"
        nxt = await http.get(html.unescape(link.group(1)))
        assert f'data-case="{second}"' in nxt.text and f'data-case="{first}"' not in nxt.text
        assert 'id="next-page"' not in nxt.text
        bad = await http.get("/console", params={"kind": "bogus"})
        assert bad.status_code == 422 and "unknown kind" in bad.text
