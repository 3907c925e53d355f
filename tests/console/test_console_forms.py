"""The console's forms and values without a stack: a list of objects as rows of the item's
own fields, an optional object's fields never required, the forms a dispute's case can
take (its kind's `console_offer`), times in UTC, nested values laid out, zh-CN labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from redress import kinds
from redress.console import i18n
from redress.console.case import open_actions
from redress.console.forms import action_forms, body_of
from redress.console.svg import bars
from redress.console.values import shown, stamp
from redress.models import CaseView

DISPUTE = kinds.KINDS["dispute"]


def _add_evidence() -> Any:
    (form,) = action_forms(DISPUTE.actions, ["add_evidence"])
    return form


def test_a_list_of_objects_is_rows_of_the_items_fields() -> None:
    form = _add_evidence()
    items = next(f for f in form.fields if f.name == "items")
    assert items.widget == "rows" and items.rows >= 3
    subs = {f.name: f for f in items.item}
    assert subs["kind"].widget == "select" and "uncategorized_text" in subs["kind"].choices
    assert {"ref", "text"} <= set(subs)
    posted = {
        "type": "add_evidence",
        "f.items.0.kind": "product_description",
        "f.items.0.text": "Blue widget",
        "f.items.1.kind": "",  # an empty row: left out
        "f.items.1.text": " ",
        "f.items.2.kind": "receipt",
        "f.items.2.ref": "file_123",
        "f.items.2.bytes": "2048",
    }
    body = body_of(posted, form.fields)
    assert body == {
        "type": "add_evidence",
        "items": [
            {"kind": "product_description", "text": "Blue widget"},
            {"kind": "receipt", "ref": "file_123", "bytes": 2048},
        ],
    }
    action = DISPUTE.actions.validate_python(body)
    assert [i.kind for i in action.items] == ["product_description", "receipt"]
    assert body_of({"type": "add_evidence"}, form.fields) == {"type": "add_evidence"}


def test_an_optional_objects_fields_are_not_required_and_have_their_section() -> None:
    form = _add_evidence()
    nested = [f for f in form.fields if f.name.startswith(("enhanced_evidence.", "appeal."))]
    assert nested and not any(f.required for f in nested)
    fees = [f for f in nested if f.name.endswith("fee_acknowledged")]
    assert {f.label for f in fees} == {"Fee acknowledged"}
    assert len({f.section for f in fees}) == len(fees) == 2  # told apart by their section
    assert all("." not in f.label for f in form.fields)


def _view(provider: str, status: str = "needs_response", **details: Any) -> CaseView:
    return CaseView(
        case_id="dispute-x-1",
        workflow_id="dispute-x-1",
        kind=DISPUTE.name,
        status=status,
        merchant_id="M-X",
        amount=Decimal("49.99"),
        currency="USD",
        created_at=datetime.now(UTC),
        policy="default",
        details={"provider": provider, **details},
    )


def _offered(view: CaseView) -> dict[str, set[str]]:
    return {f.type: {x.name.split(".")[0] for x in f.fields} for f in open_actions(view, "agent")}


def test_a_dispute_offers_only_what_its_case_can_take() -> None:
    antom = _offered(_view("antom", defendable=True))
    assert set(antom) == {"add_evidence", "submit_defense", "accept_dispute"}
    assert antom["add_evidence"] == {"items"}  # Stripe's enhanced_evidence, appeal: hidden
    assert "submit_defense" not in _offered(_view("antom", defendable=False))
    assert _offered(_view("stripe", status="not_answerable")) == {}
    plain = _offered(_view("stripe", enhanced_eligibility={}))
    assert plain["add_evidence"] == {"items"}
    eligible = _view(
        "stripe",
        enhanced_eligibility={"visa_compliance": "requires_action"},
        provider_status="appeal_needs_response",
    )
    (form,) = [f for f in open_actions(eligible, "agent") if f.type == "add_evidence"]
    names = {f.name for f in form.fields}
    assert "enhanced_evidence.visa_compliance.fee_acknowledged" in names
    assert not any(n.startswith("enhanced_evidence.visa_compelling") for n in names)
    assert "appeal.card.reason_for_filing" in names


def test_times_are_shown_in_utc_whatever_their_offset() -> None:
    beijing = datetime(2026, 12, 6, 22, 50, tzinfo=timezone(timedelta(hours=8)))
    assert stamp(beijing) == "2026-12-06 14:50 UTC"
    assert stamp(datetime(2026, 12, 6, 14, 50)) == "2026-12-06 14:50 UTC"  # naive: UTC
    assert stamp(None) == "—"
    # An instant a case's details hold as text (the provider's, with its offset) too.
    assert str(shown({"due_by": beijing.isoformat()})).count("2026-12-06 14:50 UTC") == 1


def test_nested_values_are_laid_out_never_repr() -> None:
    html = str(shown({"items": 0, "over_limit": None, "missing": ["receipt"], "x": {"a": 1}}))
    assert "None" not in html and "{" not in html and "[" not in html
    assert '<dl class="nested">' in html and "<dt>over_limit</dt><dd>—</dd>" in html
    table = str(shown([{"kind": "receipt", "ref": "<f>"}]))
    assert "<th>kind</th>" in table and "&lt;f&gt;" in table
    zh = str(shown({"packet": {"missing": ["receipt"]}}, i18n.key_names("zh-CN")))
    assert "<dt>证据包</dt>" in zh and "<dt>缺少的证据</dt>" in zh


def test_zh_cn_labels_are_the_fields_own_never_dotted_codes() -> None:
    (form,) = i18n.localized([_add_evidence()], "zh-CN")
    assert form.title == "补充证据"
    assert all("." not in f.label for f in form.fields)
    fee = next(f for f in form.fields if f.name.endswith("visa_compliance.fee_acknowledged"))
    assert fee.label == "已知悉费用" and fee.section == "增强证据 › Visa 合规"
    items = next(f for f in form.fields if f.name == "items")
    assert [s.label for s in items.item][:3] == ["类型", "文件", "内容"]


def test_a_label_without_a_value_says_why_instead_of_a_zero_bar() -> None:
    svg = str(bars(["M-A", "M-B"], {"r": [0.0, 1.0]}, notes=["no settled transactions", ""]))
    assert svg.count('class="no-value"') == 1 and "no settled transactions" in svg
