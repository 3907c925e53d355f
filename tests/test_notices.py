"""Notice renderer: templates, filters, locale fallback, sandboxing and caching."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import jinja2
import pytest
from jinja2.exceptions import SecurityError

from redress.notices.renderer import (
    LOCALES,
    TEMPLATES_DIR,
    NoticeRenderer,
    RenderedNotice,
    UnknownTemplate,
    get_renderer,
    money,
    resolve_locale,
    when,
)

TEMPLATES = ("acknowledgement", "deadline_reminder", "penalty", "appeal_outcome", "refund_done")
CJK = re.compile(r"[\u4e00-\u9fff]")
CST = timezone(timedelta(hours=8))
RESPOND_BY = datetime(2024, 5, 1, 18, 0, tzinfo=CST)


def full_context(**overrides: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "case_id": "CASE-001",
        "trade_no": "TRADE-42",
        "merchant_id": "M-7",
        "amount": "123.4",
        "currency": "CNY",
        "category": "not_received",
        "respond_by": RESPOND_BY,
        "remaining": "24h",
        "points": 2,
        "reason": "response_overdue",
        "appeal_deadline": "2024-05-08T18:00:00+08:00",
        "penalty_id": "PEN-9",
        "approved": True,
        "note": "",
        "refund_amount": "50",
        "refund_id": "REF-5",
    }
    ctx.update(overrides)
    return ctx


@pytest.fixture(scope="module")
def renderer() -> NoticeRenderer:
    return NoticeRenderer()


def test_template_files_exist_for_every_locale() -> None:
    for locale in LOCALES:
        for name in TEMPLATES:
            assert (TEMPLATES_DIR / "merchant_complaint" / locale / f"{name}.txt.j2").is_file()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_renders(renderer: NoticeRenderer, name: str, locale: str) -> None:
    notice = renderer.render(name, locale, full_context())
    assert isinstance(notice, RenderedNotice)
    assert (notice.template, notice.locale) == (name, locale)
    assert notice.subject and notice.body
    assert "\n" not in notice.subject
    assert notice.subject == notice.subject.strip() and notice.body == notice.body.strip()
    assert "{{" not in notice.body and "{%" not in notice.body
    if locale == "zh-CN":
        assert CJK.search(notice.subject) and CJK.search(notice.body)
    else:
        assert not CJK.search(notice.subject + notice.body)


@pytest.mark.parametrize("locale", LOCALES)
def test_deadline_is_formatted_with_offset(renderer: NoticeRenderer, locale: str) -> None:
    for name in ("acknowledgement", "deadline_reminder"):
        assert "2024-05-01 18:00 UTC+08:00" in renderer.render(name, locale, full_context()).body
    penalty = renderer.render("penalty", locale, full_context())
    assert "2024-05-08 18:00 UTC+08:00" in penalty.body


@pytest.mark.parametrize("locale", LOCALES)
def test_amounts_use_money_filter(renderer: NoticeRenderer, locale: str) -> None:
    assert "123.40 CNY" in renderer.render("acknowledgement", locale, full_context()).body
    assert "50.00 CNY" in renderer.render("refund_done", locale, full_context()).body


@pytest.mark.parametrize(
    ("locale", "reason", "phrase"),
    [
        ("zh-CN", "response_overdue", "超时未处理投诉"),
        ("zh-CN", "refund_overdue", "超时未退款"),
        ("en", "response_overdue", "not handled in time"),
        ("en", "refund_overdue", "not issued in time"),
    ],
)
def test_penalty_reason_phrase(
    renderer: NoticeRenderer, locale: str, reason: str, phrase: str
) -> None:
    notice = renderer.render("penalty", locale, full_context(reason=reason))
    assert phrase in notice.subject and phrase in notice.body
    assert reason not in notice.body
    assert "PEN-9" in notice.body


def test_penalty_unknown_reason_is_an_error(renderer: NoticeRenderer) -> None:
    with pytest.raises(jinja2.UndefinedError):
        renderer.render("penalty", "en", full_context(reason="bogus"))


def test_penalty_points_pluralised(renderer: NoticeRenderer) -> None:
    assert "1 point " in renderer.render("penalty", "en", full_context(points=1)).body
    assert "2 points" in renderer.render("penalty", "en", full_context(points=2)).body


@pytest.mark.parametrize("locale", LOCALES)
def test_appeal_outcome_branches(renderer: NoticeRenderer, locale: str) -> None:
    ok = renderer.render("appeal_outcome", locale, full_context(approved=True))
    no = renderer.render("appeal_outcome", locale, full_context(approved=False))
    assert ok.subject != no.subject and ok.body != no.body
    assert "PEN-9" in ok.subject and "PEN-9" in no.subject
    revoked, stands = ("已撤销", "维持") if locale == "zh-CN" else ("revoked", "stands")
    assert revoked in ok.body and stands not in ok.body
    assert stands in no.body and revoked not in no.body


@pytest.mark.parametrize("locale", LOCALES)
def test_appeal_note_optional(renderer: NoticeRenderer, locale: str) -> None:
    label = "审核说明" if locale == "zh-CN" else "note"
    without = renderer.render("appeal_outcome", locale, full_context(note=""))
    assert label not in without.body
    noted = renderer.render("appeal_outcome", locale, full_context(note="Proof accepted."))
    assert label in noted.body and "Proof accepted." in noted.body


@pytest.mark.parametrize("locale", LOCALES)
def test_refund_done_mentions_reference(renderer: NoticeRenderer, locale: str) -> None:
    body = renderer.render("refund_done", locale, full_context()).body
    assert "REF-5" in body and "TRADE-42" in body


def test_unknown_template_raises(renderer: NoticeRenderer) -> None:
    with pytest.raises(UnknownTemplate, match="no_such_notice"):
        renderer.render("no_such_notice", "en", full_context())
    assert issubclass(UnknownTemplate, ValueError)


@pytest.mark.parametrize("name", ["../en/penalty", "en/../../pyproject", ""])
def test_template_name_cannot_escape(renderer: NoticeRenderer, name: str) -> None:
    with pytest.raises(UnknownTemplate):
        renderer.render(name, "en", full_context())


def test_missing_context_variable_propagates(renderer: NoticeRenderer) -> None:
    ctx = full_context()
    del ctx["respond_by"]
    with pytest.raises(jinja2.UndefinedError):
        renderer.render("acknowledgement", "zh-CN", ctx)


@pytest.mark.parametrize(
    ("requested", "resolved"),
    [
        ("zh-CN", "zh-CN"),
        ("en", "en"),
        ("en-US", "en"),
        ("EN_gb", "en"),
        ("zh-TW", "zh-CN"),
        ("fr", "zh-CN"),
        ("", "zh-CN"),
        (None, "zh-CN"),
    ],
)
def test_resolve_locale(requested: str | None, resolved: str) -> None:
    assert resolve_locale(requested) == resolved


def test_unknown_locale_falls_back(renderer: NoticeRenderer) -> None:
    en = renderer.render("acknowledgement", "en-US", full_context())
    assert en == renderer.render("acknowledgement", "en", full_context())
    assert en.locale == "en"
    fr = renderer.render("acknowledgement", "fr-FR", full_context())
    assert fr.locale == "zh-CN" and CJK.search(fr.body)


def test_environment_is_sandboxed(renderer: NoticeRenderer) -> None:
    assert isinstance(renderer.env, jinja2.sandbox.SandboxedEnvironment)
    with pytest.raises(SecurityError):
        renderer.env.from_string("{{ ''.__class__.__mro__ }}").render()
    with pytest.raises(SecurityError):
        renderer.env.from_string("{{ case_id.__class__.__subclasses__() }}").render(case_id="x")


def test_environment_settings(renderer: NoticeRenderer) -> None:
    env = renderer.env
    assert env.undefined is jinja2.StrictUndefined
    assert env.autoescape is False and env.auto_reload is False
    assert env.trim_blocks and env.lstrip_blocks


def test_template_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = NoticeRenderer()
    compiled: list[str | None] = []
    original = fresh.env.compile

    def counting_compile(source: Any, name: str | None = None, *a: Any, **kw: Any) -> Any:
        compiled.append(name)
        return original(source, name, *a, **kw)

    monkeypatch.setattr(fresh.env, "compile", counting_compile)
    first = fresh.render("penalty", "zh-CN", full_context())
    second = fresh.render("penalty", "zh-CN", full_context())
    assert first == second
    assert compiled == ["merchant_complaint/zh-CN/penalty.txt.j2"]
    env = fresh.env
    name = "merchant_complaint/zh-CN/penalty.txt.j2"
    assert env.get_template(name) is env.get_template(name)


def test_get_renderer_is_singleton() -> None:
    assert get_renderer() is get_renderer()
    assert isinstance(get_renderer(), NoticeRenderer)


def test_money_filter() -> None:
    assert money("123.4", "CNY") == "123.40 CNY"
    assert money(Decimal("0.5"), "USD") == "0.50 USD"
    assert money(7, "CNY") == "7.00 CNY"


def test_when_filter_keeps_own_offset() -> None:
    assert when(RESPOND_BY) == "2024-05-01 18:00 UTC+08:00"
    assert when(datetime(2024, 5, 1, 10, 0, tzinfo=UTC)) == "2024-05-01 10:00 UTC+00:00"
    minus = timezone(-timedelta(hours=3, minutes=30))
    assert when(datetime(2024, 1, 2, 3, 4, tzinfo=minus)) == "2024-01-02 03:04 UTC-03:30"
    assert when("2024-05-01T18:00:00+08:00") == "2024-05-01 18:00 UTC+08:00"
    assert when("2024-05-01T10:00:00Z") == "2024-05-01 10:00 UTC+00:00"


def test_when_filter_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        when(datetime(2024, 5, 1, 18, 0))
