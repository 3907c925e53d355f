"""The console's parts without a stack: every kind's actions become forms and a filled
form becomes a body its models accept; sessions are signed, expire and never parse when
tampered with; the language follows Accept-Language."""

from __future__ import annotations

import time

import pytest
from starlette.requests import Request

from redress import kinds
from redress.console import i18n
from redress.console.forms import action_forms, body_of
from redress.console.session import MAX_AGE, Session, decode, encode
from redress.console.svg import bars


@pytest.mark.parametrize("name", list(kinds.KINDS))
def test_every_action_of_every_kind_has_a_form(name: str) -> None:
    kind = kinds.KINDS[name]
    types = sorted({t for allowed in kind.roles.values() for t in allowed})
    forms = action_forms(kind.actions, types)
    assert [f.type for f in forms] == types  # the models' schema names every one


def test_a_filled_form_is_a_body_the_model_accepts() -> None:
    kind = kinds.KINDS[next(iter(kinds.KINDS))]
    (form,) = action_forms(kind.actions, ["refuse_refund"])
    assert {f.name: f.widget for f in form.fields} == {
        "explanation": "textarea",
        "evidence": "lines",
    }
    posted = {
        "type": "refuse_refund",
        "f.explanation": "Delivered",
        "f.evidence": "a.pdf\n\n b.jpg \n",
        "csrf_token": "x",
        "idempotency_key": "k",
    }
    body = body_of(posted, form.fields)
    assert body == {
        "type": "refuse_refund",
        "explanation": "Delivered",
        "evidence": ["a.pdf", "b.jpg"],
    }
    assert kind.actions.validate_python(body).evidence == ["a.pdf", "b.jpg"]


def test_nested_and_yes_no_fields() -> None:
    kind = next(k for k in kinds.KINDS.values() if "conclude" in k.roles.get("platform", ()))
    (form,) = action_forms(kind.actions, ["conclude"])
    names = {f.name: f for f in form.fields}
    assert names["upheld"].choices == ["true", "false"]
    assert "compensation.refund" in names and "compensation.coupon" in names
    body = body_of(
        {"type": "conclude", "f.upheld": "true", "f.basis": "ok", "f.compensation.points": "50"},
        form.fields,
    )
    assert body == {
        "type": "conclude",
        "upheld": True,
        "basis": "ok",
        "compensation": {"points": 50},  # a JSON integer, as the API takes it
    }
    assert kind.actions.validate_python(body).compensation.points == 50


def test_sessions_are_signed_and_expire() -> None:
    key = b"k" * 32
    session = Session.fresh("sha256:" + "ab" * 32)
    cookie = encode(key, session)
    assert decode(key, cookie) == session
    assert decode(b"other" * 8, cookie) is None
    payload, mac = cookie.rsplit(".", 1)
    assert decode(key, payload[:-2] + "xx." + mac) is None
    assert decode(key, cookie, now=time.time() + MAX_AGE + 1) is None
    assert decode(key, "") is None and decode(key, "x" * 5000) is None


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "headers": raw, "method": "GET", "path": "/"})


def test_the_language_follows_the_browser_unless_switched() -> None:
    assert i18n.choose(_request({"Accept-Language": "zh-TW,zh;q=0.9"})) == "zh-CN"
    assert i18n.choose(_request({"Accept-Language": "fr, en;q=0.5, zh;q=0.4"})) == "en"
    assert i18n.choose(_request({"Accept-Language": "fr"})) == "en"
    switched = _request({"Accept-Language": "en", "Cookie": "redress_lang=zh-CN"})
    assert i18n.choose(switched) == "zh-CN"


def test_chart_text_is_escaped() -> None:
    svg = bars(["<script>"], {"a&b": [1.0]}, thresholds=[(0.5, "<x>")])
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "a&amp;b" in svg
