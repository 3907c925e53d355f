"""A dispute's evidence against each provider's model, on the time-skipping server.

Stripe (the `stripe` package's `params/_dispute_modify_params.py`: "(ID of a file upload)"
fields take one File ID, the others text, "Has a maximum character count of 20,000", "The
combined character count of all fields is limited to 150,000"; `_dispute.py`:
`enhanced_eligibility_types`, `evidence_details.enhanced_eligibility`): checked when evidence
is added (409/422 naming the field and by how much) and again before the packet goes (the
policy escalates instead of submitting, the desk's submission is refused). Antom
(`supplyDefenseDocument`: `disputeEvidence`, the Base64 defence document, at most 1,000,000
characters): a PDF rendered from the packet, read back here with pypdf."""

from __future__ import annotations

import base64
import io
import uuid
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from pypdf import PdfReader

from redress.models.evidence import TEXT_CHARS_BOUND, EvidenceItem
from redress.store import transactions
from tests.harness import with_section
from tests.kinds.disputes import DAY, DELIVERY, RULES, Disputes
from tests.kinds.harness import types as kinds_of

ADD = "add_evidence"

# Stripe's VCE3 fields (`DisputeModifyParamsEvidenceEnhancedEvidenceVisaCompellingEvidence3`).
VCE3: dict[str, Any] = {
    "visa_compelling_evidence_3": {
        "disputed_transaction": {
            "customer_account_id": "acct-778",
            "customer_device_fingerprint": "fp_0123456789abcdefghij",
            "customer_purchase_ip": "203.0.113.7",
            "merchandise_or_services": "merchandise",
            "product_description": "Trail shoes, size 42",
            "shipping_address": {
                "city": "Berlin",
                "country": "DE",
                "line1": "Hauptstr. 1",
                "postal_code": "10115",
                "state": "BE",
            },
        },
        "prior_undisputed_transactions": [
            {"charge": "ch_prior1", "customer_account_id": "acct-778"},
            {"charge": "ch_prior2", "customer_purchase_ip": "203.0.113.7"},
        ],
    }
}


def text(kind: str, chars: int, fill: str = "x") -> dict[str, Any]:
    return {"kind": kind, "text": fill * chars}


@pytest.mark.rule("C2")
async def test_a_text_never_goes_into_a_file_field_nor_a_file_into_a_text_field(
    ds: Disputes,
) -> None:
    _, case_id = await ds.open()
    chat = {"type": ADD, "items": [text("customer_communication", 30)]}
    message = await ds.refused(case_id, chat, "Invalid")
    assert "customer_communication: a text (30 characters) in a file field" in message
    pdf_as_text = {"type": ADD, "items": [{"kind": "product_description", "ref": "file_spec"}]}
    message = await ds.refused(case_id, pdf_as_text, "Invalid")
    assert "product_description: a file (file_spec) in a text field" in message
    assert (await ds.view(case_id)).packet["items"] == 0  # type: ignore[index]


@pytest.mark.rule("C2")
async def test_one_file_per_file_field(ds: Disputes) -> None:
    _, case_id = await ds.open()
    await ds.act(case_id, {"type": ADD, "items": [{"kind": "receipt", "ref": "file_r1"}]})
    second = {"type": ADD, "items": [{"kind": "receipt", "ref": "file_r2"}]}
    message = await ds.refused(case_id, second, "Conflict")
    assert "receipt: the case holds file file_r1 for it already" in message
    assert "one file per field" in message
    # The documented alternative: the second file as uncategorized_file.
    other = {"type": ADD, "items": [{"kind": "uncategorized_file", "ref": "file_r2"}]}
    await ds.act(case_id, other)
    await ds.act(case_id, {"type": ADD, "items": DELIVERY})
    await ds.act(case_id, {"type": "submit_defense"})
    [request] = ds.requests(case_id)
    body = request.body
    assert body["evidence[receipt]"] == "file_r1"
    assert body["evidence[uncategorized_file]"] == "file_r2"
    assert "evidence[uncategorized_text]" not in body  # nothing folded into it


@pytest.mark.rule("C2")
async def test_character_limits_when_added_by_how_much(ds: Disputes) -> None:
    _, case_id = await ds.open()
    await ds.act(case_id, {"type": ADD, "items": [text("uncategorized_text", 20_000)]})
    # A second text for the field is sent joined to the first: 40,002 characters.
    more = {"type": ADD, "items": [text("uncategorized_text", 20_000)]}
    message = await ds.refused(case_id, more, "Invalid")
    assert "uncategorized_text is 40,002 characters, 20,002 over Stripe's 20,000" in message
    fields = [
        "access_activity_log",
        "cancellation_policy_disclosure",
        "cancellation_rebuttal",
        "duplicate_charge_explanation",
        "product_description",
        "refund_policy_disclosure",
    ]
    await ds.act(case_id, {"type": ADD, "items": [text(f, 20_000) for f in fields]})
    v = await ds.view(case_id)
    assert v.packet["text_chars"] == 140_000  # type: ignore[index]
    last = {"type": ADD, "items": [text("refund_refusal_explanation", 10_001)]}
    message = await ds.refused(case_id, last, "Invalid")
    assert "150,001 characters in all, 1 over Stripe's 150,000-character combined limit" in message
    await ds.act(case_id, {"type": ADD, "items": [text("refund_refusal_explanation", 10_000)]})
    await ds.act(case_id, {"type": "submit_defense"})
    [request] = ds.requests(case_id)
    assert request.body["evidence[uncategorized_text]"] == "x" * 20_000
    assert len(request.body["evidence[refund_refusal_explanation]"]) == 10_000


@pytest.mark.rule("C2")
async def test_one_over_long_text_is_named_with_stripes_limit(ds: Disputes) -> None:
    """A single text over Stripe's per-field limit is refused by the Stripe check (the
    field, the limit, by how much), not by a bound of the item's model."""
    _, case_id = await ds.open()
    over = {"type": ADD, "items": [text("uncategorized_text", 20_500)]}
    message = await ds.refused(case_id, over, "Invalid")
    assert (
        "uncategorized_text is 20,500 characters, 500 over Stripe's 20,000-character limit "
        "per field"
    ) in message
    item = {"kind": "uncategorized_text", "text": "x" * (TEXT_CHARS_BOUND + 1)}
    with pytest.raises(ValidationError):  # an absolute bound still holds
        EvidenceItem.model_validate(item)


@pytest.mark.rule("C2")
async def test_evidence_added_gives_the_texts_size(ds: Disputes) -> None:
    """A text item's `evidence_added` entry says how big the text is (characters and
    UTF-8 bytes), beside the files' `bytes`."""
    _, case_id = await ds.open()
    items = [text("uncategorized_text", 10, fill="签"), {"kind": "receipt", "ref": "file_r"}]
    v = await ds.act(case_id, {"type": ADD, "items": items})
    entry = [e for e in v.timeline if e.type == "evidence_added"][-1]
    extra = entry.model_extra or {}
    assert (extra["text_chars"], extra["text_bytes"], extra["bytes"]) == (10, 30, 0)


def _record(ds: Disputes, charge: str, items: list[dict[str, Any]]) -> None:
    transactions.record_transaction(ds.engine, "M-1", charge, items)


@pytest.mark.rule("C2")
async def test_over_the_limits_before_submission_the_policy_escalates(ds: Disputes) -> None:
    """The transaction's records (kept before the dispute) hold two texts for one field:
    joined they exceed Stripe's limit, so the policy escalates instead of submitting, and
    the desk's submission is refused, both saying by how much."""
    dispute_id = f"dp_{uuid.uuid4().hex[:10]}"
    _record(
        ds,
        f"ch_{dispute_id}",
        [
            {"kind": "product_description", "text": "y" * 15_000},
            {"kind": "product_description", "text": "z" * 15_000},
        ],
    )
    due = (await ds.env.get_current_time()).replace(microsecond=0) + 3 * DAY
    # A defendable chargeback: the only stage the policy would submit on by itself.
    opened = await ds.event(
        dispute_id, stage="needs_response", due_by=due, phase="chargeback", defendable=True
    )
    case_id = opened.case_id
    v = await ds.until(case_id, lambda v: v.packet is not None and v.packet["problems"] != [])
    assert v.packet is not None
    assert v.packet["problems"] == [
        "product_description is 30,002 characters, 10,002 over Stripe's "
        "20,000-character limit per field"
    ]
    message = await ds.refused(case_id, {"type": "submit_defense"}, "Invalid")
    assert "product_description is 30,002 characters" in message
    await ds.env.sleep(3 * DAY - RULES.safety_margin + timedelta(seconds=5))
    v = await ds.until(case_id, lambda v: "escalated" in kinds_of(v))
    entry = next(e for e in v.timeline if e.type == "escalated")
    assert entry.actor == "system" and "10,002 over" in str(entry.model_extra)
    assert v.status == "needs_response" and ds.requests(case_id) == []
    assert ds.notices(case_id, "auto_action")


@pytest.mark.rule("C2")
async def test_enhanced_evidence_where_the_dispute_is_eligible(ds: Disputes) -> None:
    eligible = {
        "visa_compelling_evidence_3": "requires_action",
        "visa_compliance": "requires_fee_acknowledgement",
    }
    _, case_id = await ds.open(category="fraud", reason="fraudulent", enhanced_eligibility=eligible)
    await ds.act(case_id, {"type": ADD, "enhanced_evidence": VCE3})
    compliance = {"visa_compliance": {"fee_acknowledged": True}}
    v = await ds.act(case_id, {"type": ADD, "enhanced_evidence": compliance})
    assert v.packet["enhanced"] == ["visa_compelling_evidence_3", "visa_compliance"]  # type: ignore[index]
    await ds.act(case_id, {"type": "submit_defense"})
    [request] = ds.requests(case_id)
    prefix = "evidence[enhanced_evidence][visa_compelling_evidence_3]"
    assert request.body[f"{prefix}[prior_undisputed_transactions][1][charge]"] == "ch_prior2"
    assert request.body[f"{prefix}[disputed_transaction][shipping_address][country]"] == "DE"
    assert request.body[f"{prefix}[disputed_transaction][merchandise_or_services]"] == "merchandise"
    assert request.body["evidence[enhanced_evidence][visa_compliance][fee_acknowledged]"] == "true"


@pytest.mark.rule("C2")
async def test_enhanced_evidence_refused_where_not_eligible(ds: Disputes) -> None:
    _, case_id = await ds.open(enhanced_eligibility={})
    message = await ds.refused(case_id, {"type": ADD, "enhanced_evidence": VCE3}, "Conflict")
    assert "visa_compelling_evidence_3: this dispute is not eligible" in message
    _, case_id = await ds.open(enhanced_eligibility={"visa_compelling_evidence_3": "not_qualified"})
    message = await ds.refused(case_id, {"type": ADD, "enhanced_evidence": VCE3}, "Conflict")
    assert "`not_qualified`" in message
    _, case_id = await ds.open(provider="antom", enhanced_eligibility=None)
    message = await ds.refused(case_id, {"type": ADD, "enhanced_evidence": VCE3}, "Invalid")
    assert "antom takes one defence document" in message


@pytest.mark.rule("C2")
async def test_appeal_evidence_in_the_appeal_stage_only(ds: Disputes) -> None:
    """Stripe's `evidence.appeal.card` (`reason_for_filing`, `supporting_files`: File IDs),
    taken while the dispute is `appeal_needs_response` and refused (409) before it."""
    appeal = {
        "card": {
            "reason_for_filing": "The issuer missed the signed delivery note.",
            "supporting_files": ["file_note", "file_photo"],
        }
    }
    _, case_id = await ds.open(raw_status="needs_response")
    message = await ds.refused(case_id, {"type": ADD, "appeal": appeal}, "Conflict")
    assert "appeal_needs_response" in message and "this dispute is needs_response" in message
    _, case_id = await ds.open(raw_status="appeal_needs_response")
    v = await ds.act(case_id, {"type": ADD, "appeal": appeal, "items": DELIVERY})
    assert v.packet["appeal"] is True  # type: ignore[index]
    await ds.act(case_id, {"type": "submit_defense"})
    [request] = ds.requests(case_id)
    assert request.body["evidence[appeal][card][supporting_files][1]"] == "file_photo"
    reason = request.body["evidence[appeal][card][reason_for_filing]"]
    assert reason == "The issuer missed the signed delivery note."


@pytest.mark.rule("C2")
async def test_antom_defence_is_a_pdf_of_the_packet(ds: Disputes) -> None:
    _, case_id = await ds.open(provider="antom", reason="13.1")
    items = [
        {"kind": "shipping_documentation", "ref": "pod.pdf", "bytes": 120_000},
        {"kind": "shipping_tracking_number", "text": "SF1234567890"},
        {"kind": "customer_communication", "text": "客户已于 11 月 20 日签收包裹。"},
    ]
    await ds.act(case_id, {"type": ADD, "items": items})
    await ds.act(case_id, {"type": "submit_defense"})
    [request] = ds.requests(case_id)
    assert set(request.body) == {"disputeId", "disputeEvidence"}
    document = base64.b64decode(request.body["disputeEvidence"], validate=True)
    assert document.startswith(b"%PDF-")
    found = "".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)
    for expected in ("SF1234567890", "客户已于 11 月 20 日签收包裹。", "pod.pdf", "120,000 bytes"):
        assert expected in found
    assert request.dispute_id in found and "13.1" in found


@pytest.mark.rule("C2")
async def test_antom_document_over_its_limit_is_not_sent(ds: Disputes) -> None:
    limits = dict(RULES.limits)
    limits["antom"] = limits["antom"].model_copy(update={"base64_chars": 3_000})
    ds.policy = with_section(ds.policy, "dispute", limits=limits)
    _, case_id = await ds.open(provider="antom", reason="13.1")
    # The packet's estimate fits (a few hundred characters); the PDF itself does not.
    await ds.act(case_id, {"type": ADD, "items": [text("uncategorized_text", 50, "说明")]})
    message = await ds.refused(case_id, {"type": "submit_defense"}, "Invalid")
    assert "over Antom's 3,000-character limit (disputeEvidence)" in message
    assert ds.requests(case_id) == []
    assert (await ds.view(case_id)).status == "needs_response"
