"""The console in headless Chromium (Playwright, Debian's `chromium`), against the real
stack: sign in, find the overdue case at the top of the queue, refuse a refund with
evidence and see the timeline grow, see a refused action's message, no platform verdict
form for an agent (and a forged one refused and audited), a post without its CSRF token
refused, a scoped desk's queue, sign out. The run writes docs/screenshots/*.png."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlmodel import Session, select

from redress.policy import load_policy
from redress.store.tables import AuditEntry
from tests.console.harness import Desk, open_complaint, seed_figures, token
from tests.harness import make_complaint, open_complaint_case, running_worker, section

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (make test installs Debian's package)")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox"], headless=True
        )
        yield launched
        await launched.close()


async def _overdue_case(desk: Desk) -> str:
    """A complaint whose deadline passes while no worker runs its queue: open, projected,
    and overdue in the store (a deadline passed, still open)."""
    s = desk.stack
    policy = load_policy("default")
    handle_within = section(policy, "complaint").handle_within
    complaint = make_complaint(
        merchant_id="M-A",
        created_at=datetime.now(UTC) - handle_within + timedelta(seconds=3),
        category="not_as_described",
    )
    idle_queue = f"tq-idle-{uuid.uuid4().hex[:8]}"
    async with running_worker(s.env.client, s.engine, idle_queue):
        opened = await open_complaint_case(
            s.env.client,
            idle_queue,
            policy,
            "generic",
            complaint,
            event_id=f"evt-{uuid.uuid4().hex[:8]}",
            now=datetime.now(UTC),
            engine=s.engine,
        )
        await s.wait_for(opened.case_id, lambda c: c["version"] >= 1)
    await asyncio.sleep(4)  # its deadline passes; nobody runs the case
    return opened.case_id


async def _sign_in(page: Page, desk: Desk, name: str) -> None:
    await page.goto(f"{desk.base}/console")
    await expect(page).to_have_url(f"{desk.base}/console/login")
    await page.fill('input[name="token"]', token(name))
    await page.click('form[action="/console/login"] button[type="submit"]')
    await expect(page).to_have_url(f"{desk.base}/console")


def _audit(desk: Desk, case_id: str) -> list[AuditEntry]:
    with Session(desk.stack.engine) as s:
        return list(s.exec(select(AuditEntry).where(AuditEntry.case_id == case_id)).all())


async def test_a_desk_works_the_queue_in_the_browser(desk: Desk, browser: Browser) -> None:
    s = desk.stack
    overdue = await _overdue_case(desk)
    fresh = await open_complaint(s, "M-A", category="not_received")
    other = await open_complaint(s, "M-B", category="wrong_item", age=timedelta(days=1))
    SHOTS.mkdir(parents=True, exist_ok=True)

    context = await browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await _sign_in(page, desk, "agent")

    # The queue: the overdue case first, marked.
    first = page.locator("table.queue tbody tr").first
    await expect(first).to_have_attribute("data-case", overdue)
    await expect(first).to_have_class("overdue ")
    await expect(first.locator(".badge.overdue")).to_be_visible()
    await expect(page.locator(f'tr[data-case="{other}"]')).to_be_visible()
    await page.screenshot(path=str(SHOTS / "queue.png"), full_page=True)

    # A fresh complaint: refuse the refund with evidence; the timeline shows it.
    await page.click(f'a[href="/console/cases/{fresh}"]')
    await expect(page.locator("#status")).to_have_attribute("data-code", "awaiting_response")
    await expect(page.locator('form[data-action="platform_verdict"]')).to_have_count(0)
    form = page.locator('form[data-action="refuse_refund"]')
    await form.locator('[name="f.explanation"]').fill("Delivered and signed for on 3 Dec")
    await form.locator('[name="f.evidence"]').fill("courier-receipt-8812.pdf\nsigned-pod.jpg")
    await form.locator('button[type="submit"]').click()
    await expect(page.locator("#status")).to_have_attribute("data-code", "platform_review")
    refusal = page.locator('#timeline li[data-type="refund_refused"]')
    await expect(refusal).to_contain_text("courier-receipt-8812.pdf")
    await expect(refusal).to_contain_text("Li Lei")  # people, not token hashes
    await page.screenshot(path=str(SHOTS / "case.png"), full_page=True)

    # A refused action shows its message: a refund above what the case holds.
    refund = page.locator('form[data-action="refund"]')
    await refund.locator('[name="f.amount"]').fill("99999")
    await refund.locator('button[type="submit"]').click()
    await expect(page.locator("#refusal")).to_be_visible()
    await expect(page.locator("#status")).to_have_attribute("data-code", "platform_review")

    # No platform verdict for an agent, and a forged one is refused (403) and audited.
    await page.goto(f"{desk.base}/console/cases/{fresh}")
    await expect(page.locator('form[data-action="platform_verdict"]')).to_have_count(0)
    csrf = await page.locator('input[name="csrf_token"]').first.get_attribute("value")
    forged = await page.request.post(
        f"{desk.base}/console/cases/{fresh}/actions",
        form={
            "csrf_token": csrf or "",
            "type": "platform_verdict",
            "f.verdict": "no_refund",
            "idempotency_key": "k-forged-1",
        },
    )
    assert forged.status == 403
    assert (
        "role &#39;agent&#39; may not take action &#39;platform_verdict&#39;" in await forged.text()
    )
    verdicts = [e for e in _audit(desk, fresh) if e.action == "platform_verdict"]
    assert [(e.status_code, e.accepted, e.role) for e in verdicts] == [(403, False, "agent")]

    # A post without the CSRF token: 403, audited, nothing moves.
    bare = await page.request.post(
        f"{desk.base}/console/cases/{fresh}/actions",
        form={"type": "reply", "f.message": "no token"},
    )
    assert bare.status == 403
    assert any(e.action == "csrf_refused" for e in _audit(desk, fresh))

    # The overview, with weeks of complaints and the kinds' figures behind it.
    for days, category in ((8, "wrong_item"), (15, "not_received"), (22, "not_as_described")):
        await open_complaint(s, "M-B", age=timedelta(days=days), category=category)
    seed_figures(s.engine, datetime.now(UTC))
    await page.goto(f"{desk.base}/console/overview")
    await expect(page.locator("figure svg")).to_have_count(5)
    await expect(page.locator("figure").nth(3)).to_contain_text("Dispute ratios")
    await expect(page.locator("figure").nth(4)).to_contain_text("M-A · alipay")
    await page.screenshot(path=str(SHOTS / "overview.png"), full_page=True)

    # Sign out: back at sign-in, and the console asks for it again.
    await page.click("#sign-out")
    await expect(page).to_have_url(f"{desk.base}/console/login")
    await page.goto(f"{desk.base}/console")
    await expect(page).to_have_url(f"{desk.base}/console/login")
    await context.close()

    # A desk scoped to merchant M-A sees its merchant's cases only.
    scoped = await browser.new_context(locale="zh-CN")
    page = await scoped.new_page()
    await _sign_in(page, desk, "desk-a")
    await expect(page.locator("h1")).to_have_text("待办队列")
    merchants = await page.locator("table.queue tbody tr td:nth-child(4)").all_inner_texts()
    assert merchants and set(merchants) == {"M-A"}
    await expect(page.locator(f'tr[data-case="{other}"]')).to_have_count(0)
    # The language switch (a form with its CSRF token): back on the same page, in English.
    await page.click("#language button")
    await expect(page.locator("h1")).to_have_text("Queue")
    await scoped.close()
