"""Platform-complaint notices: all 13 templates in both locales, their optional values, and
the promises each makes (labels, routes of appeal, no contact details)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from redress.notices.renderer import LOCALES, RenderedNotice, get_renderer

KIND = "platform_complaint"
INTERNAL = ("escalation", "deadline_reminder", "counterparty_inquiry")
USER = (
    "protective_steps",
    "incomplete",
    "accepted",
    "progress",
    "verification_request",
    "result",
    "review_result",
    "not_accepted",
    "closed",
    "lapsed",
)
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # a raw code such as `review_overdue`
CONFIRM_BY = "2024-05-08T18:00:00+08:00"
SECRETS = ("+8613800000000", "acct-8842", "user@example.com")
LABELS = {
    "zh-CN": {
        "account": "账户信息",
        "trade_no": "订单号",
        "trade_time": "交易时间",
        "amount": "交易金额",
        "description": "问题描述",
        "evidence": "相关证据（如截图、转账记录）",
    },
    "en": {
        "account": "account details",
        "trade_no": "order number",
        "trade_time": "transaction time",
        "amount": "amount",
        "description": "description of the problem",
        "evidence": "evidence (screenshots, transfer records)",
    },
}
REFUND = {"refund": "50", "refund_id": "REF-5"}
VARIANTS: dict[str, dict[str, Any]] = {
    "full": {},
    "no_due": {"due": None},
    "no_compensation": {"upheld": False, "compensation": None},
    "refund": {"compensation": REFUND},
    "points": {"compensation": {"points": 1}},
    "coupon": {"compensation": {"coupon": "CPN-88"}},
    "bare": {"trade_no": None, "merchant_id": "", "amount": "0", "category": None},
    "silence": {"by": "silence", "outcome": "accepted", "changes": ""},
    "id_document": {"method": "id_document", "missing": ["evidence"]},
}


def context(**overrides: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "case_id": "platform-C-001",
        "trade_no": "TRADE-42",
        "merchant_id": "M-7",
        "amount": "1268.5",
        "currency": "CNY",
        "category": "account_stolen",
        # contact details passed by mistake: no notice may show them
        "address": SECRETS[0],
        "account": SECRETS[1],
        "contact": {"channel": "email", "address": SECRETS[2]},
        "missing": list(LABELS["en"]),
        "supplement_by": "2024-05-02T18:00:00+08:00",
        "complaint_number": "platform-C-001",
        "status": "investigating",
        "next_step": "investigation",
        "due": "2024-05-06T18:00:00+08:00",
        "method": "otp",
        "reason": "objection",
        "deadline": "investigate_by",
        "remaining": "4h",
        "message": "Please confirm whether order TRADE-42 was charged twice.",
        "upheld": True,
        "basis": "Two debits were found for one order.",
        "compensation": {"points": 200},
        "confirm_by": CONFIRM_BY,
        "changes": "Attach the bank statement.",
        "outcome": "confirmed",
        "by": "confirmation",
    }
    ctx.update(overrides)
    return ctx


def render(name: str, locale: str, **overrides: Any) -> RenderedNotice:
    return get_renderer().render(name, locale, context(**overrides), kind=KIND)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", USER + INTERNAL)
def test_every_notice_renders(name: str, locale: str, variant: str) -> None:
    notice = render(name, locale, **VARIANTS[variant])
    text = notice.subject + "\n" + notice.body
    assert notice.subject and notice.body and "\n" not in notice.subject
    assert bool(CJK.search(text)) is (locale == "zh-CN")
    assert not any(s in text for s in ("None", "{{", "{%", "\n\n\n", *SECRETS))
    if name in USER:
        assert "platform-C-001" in notice.subject and "platform-C-001" in notice.body


@pytest.mark.parametrize(
    ("name", "field", "values"),
    [
        ("progress", "status", ("awaiting_acceptance", "awaiting_verification", "escalated")),
        ("progress", "status", ("verification_hold", "investigating")),
        ("progress", "next_step", ("acceptance_review", "identity_verification", "none")),
        ("progress", "next_step", ("supervisor_review", "investigation")),
        ("escalation", "reason", ("acceptance_not_decided", "investigation_overdue")),
        ("escalation", "reason", ("review_overdue", "verification_failed")),
        ("escalation", "reason", ("verification_timeout", "objection")),
        ("deadline_reminder", "deadline", ("accept_by", "target_by", "investigate_by")),
        ("deadline_reminder", "deadline", ("review_by",)),
    ],
)
@pytest.mark.parametrize("locale", LOCALES)
def test_codes_get_human_labels(
    name: str, field: str, values: tuple[str, ...], locale: str
) -> None:
    bodies = [render(name, locale, category=None, **{field: v}).body for v in values]
    assert len(set(bodies)) == len(values)  # each code says something of its own
    assert not any(CODE.search(body) for body in bodies)  # and says it in words


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", ["incomplete", "lapsed"])
def test_missing_items_are_named(name: str, locale: str) -> None:
    for item, label in LABELS[locale].items():
        body = render(name, locale, missing=[item]).body
        assert f"- {label}\n" in body + "\n"
    assert "2024-05-02 18:00 UTC+08:00" in render("incomplete", locale).body


@pytest.mark.parametrize(
    ("locale", "routes"),
    [
        ("zh-CN", ("升级投诉", "第三方仲裁")),
        ("en", ("escalated to a supervisor", "third-party arbitration")),
    ],
)
@pytest.mark.rule("P7", "P8")
def test_result_names_routes_of_appeal_and_confirm_by(locale: str, routes: tuple[str, ...]) -> None:
    body = render("result", locale).body
    assert all(route in body for route in routes)
    assert "2024-05-08 18:00 UTC+08:00" in body
    assert ("视为您已接受" if locale == "zh-CN" else "treated as accepted") in body
    final = render("review_result", locale).body
    assert routes[1] in final and routes[0] not in final


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.rule("P7")
def test_compensation_is_stated(locale: str) -> None:
    for name in ("result", "review_result"):
        refund = render(name, locale, compensation=REFUND).body
        assert "50.00 CNY" in refund and "REF-5" in refund
        assert "200" in render(name, locale, compensation={"points": 200}).body
        assert "CPN-88" in render(name, locale, compensation={"coupon": "CPN-88"}).body


@pytest.mark.parametrize("locale", LOCALES)
def test_branches_differ(locale: str) -> None:
    for name, field, a, b in [
        ("result", "upheld", True, False),
        ("review_result", "upheld", True, False),
        ("closed", "by", "confirmation", "silence"),
        ("verification_request", "method", "otp", "id_document"),
        ("not_accepted", "changes", "Attach the bank statement.", ""),
    ]:
        assert render(name, locale, **{field: a}).body != render(name, locale, **{field: b}).body
