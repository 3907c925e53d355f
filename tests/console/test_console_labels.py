"""The console's words for cases' codes without a stack: every status each kind declares
has an English and a Chinese word, and zh-CN queue and case pages show the words (the code
kept in a `title`) while the filters still submit codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from redress import kinds
from redress.console import i18n, labels
from redress.console.pages import Visit, render
from redress.models import CaseView
from redress.store.queue import QueueRow


@pytest.mark.parametrize("name", list(kinds.KINDS))
def test_every_status_and_the_kind_itself_have_words(name: str) -> None:
    kind = kinds.KINDS[name]
    codes = [name, *kind.statuses, *kind.final_statuses]
    for lang in i18n.LANGS:
        missing = [c for c in codes if labels.word(c, lang, name) == c]
        assert not missing, (lang, missing)


def test_a_code_without_a_word_shows_itself_and_a_deadline_keeps_its_subject() -> None:
    assert labels.word("no_such_code", "zh-CN") == "no_such_code"
    assert labels.word("appeal_by:P1", "zh-CN") == "申诉截止 P1"


def _visit(lang: str, path: str = "/console") -> Visit:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [(b"cookie", f"{i18n.LANG_COOKIE}={lang}".encode())],
    }
    principal: Any = SimpleNamespace(actor="agent-1", role="agent", display_name="Li Lei")
    state: Any = None
    return Visit(Request(scope), state, None, principal)


def _kind_with(status: str) -> str:
    return next(k.name for k in kinds.KINDS.values() if status in k.statuses)


def test_a_zh_cn_queue_shows_words_and_submits_codes() -> None:
    kind = _kind_with("needs_response")
    at = datetime.now(UTC)
    row = QueueRow(
        case_id="dispute-x-1",
        kind=kind,
        status="needs_response",
        outcome=None,
        open=True,
        merchant_id="M-X",
        amount=Decimal("49.99"),
        currency="USD",
        category="fraud",
        created_at=at,
        next_deadline=at + timedelta(days=2),
        next_deadline_name="submit_by",
        overdue=False,
    )
    page = bytes(
        render(
            _visit("zh-CN"),
            "queue.html",
            error="",
            rows=[(row, "2 天", False)],
            total=1,
            filters={"status": "needs_response"},
            kinds=list(kinds.KINDS),
            statuses=kinds.statuses(),
            sorts=("",),
            next_cursor=None,
            cursor=None,
            query={},
        ).body
    ).decode()
    assert '<span class="code" title="needs_response">待应诉</span>' in page
    assert '<span class="code" title="submit_by">提交截止</span>' in page
    assert '<span class="code" title="fraud">欺诈</span>' in page
    # the filter selects show words and submit codes
    assert '<option value="needs_response" title="needs_response" selected>待应诉</option>' in page
    assert '<option value="awaiting_response" title="awaiting_response" >待商户处理</option>' in (
        page
    )
    assert f'<option value="{kind}" title="{kind}" >争议/拒付</option>' in page


def test_a_zh_cn_case_page_shows_words_and_keeps_codes() -> None:
    kind = _kind_with("awaiting_response")
    at = datetime.now(UTC)
    view = CaseView.model_validate(
        {
            "case_id": "complaint-x-1",
            "workflow_id": "complaint-x-1",
            "kind": kind,
            "status": "awaiting_response",
            "merchant_id": "M-X",
            "amount": Decimal("10"),
            "currency": "CNY",
            "category": "not_received",
            "created_at": at,
            "policy": "default",
            "deadlines": {"respond_by": at + timedelta(hours=96)},
            "timeline": [{"at": at, "type": "escalated", "actor": "agent-1"}],
        }
    )
    page = bytes(
        render(
            _visit("zh-CN", "/console/cases/complaint-x-1"),
            "case.html",
            view=view,
            deadlines=[("respond_by", view.deadlines["respond_by"], "4 天", False)],
            missed=None,
            penalties=[],
            timeline=[(e, {}) for e in view.timeline],
            notices=[],
            details={},
            packet=None,
            key_names=i18n.key_names("zh-CN"),
            forms=[],
            web_ui="http://ui",
            refused="",
            done="",
        ).body
    ).decode()
    assert 'data-code="awaiting_response"' in page
    assert '<span class="code" title="awaiting_response">待商户处理</span>' in page
    assert '<span class="code" title="respond_by">处理截止</span>' in page
    assert '<span class="code" title="not_received">未收到货</span>' in page
    assert '<span class="code" title="escalated">已升级</span>' in page
    assert f'<span class="code" title="{kind}">商户投诉</span>' in page
