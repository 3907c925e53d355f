"""The providers' evidence models, without a workflow: Stripe's file and text fields as the
`stripe` package defines them (`params/_dispute_modify_params.py`, read from the installed
package's own source), the dispute's enhanced evidence eligibility as Stripe sends it
(`_dispute.py`; the Dispute in stripe/openapi `fixtures3.json`), the bodies built for each
provider and the submission activity's check on them; Antom's defence document (the PDF
`supplyDefenseDocument`'s `disputeEvidence` carries, Base64) read back with pypdf."""

from __future__ import annotations

import ast
import base64
import copy
import inspect
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe
from pypdf import PdfReader
from sqlalchemy.engine import Engine

from activities.disputes import DisputeActivities
from redress.models import stripe_evidence
from redress.models.dispute import DisputeEvent
from redress.models.evidence import (
    AcceptRequest,
    DefenseRequest,
    EvidenceItem,
    HeldEvidence,
    ProviderReceipt,
)
from redress.payments import defence_pdf
from redress.payments.evidence_body import antom_body, stripe_body
from redress.policy import load_policy
from redress.providers.stripe import StripeProvider
from tests.harness import section
from tests.providers.samples import ELIGIBLE, EVENT, SECRET

LIMITS = section(load_policy("default"), "dispute").limits
STRIPE = LIMITS["stripe"].model_dump(exclude_none=True)
ANTOM = LIMITS["antom"].model_dump(exclude_none=True)


def _stripe_fields() -> dict[str, str]:
    """Each evidence field of `DisputeModifyParamsEvidence` → its docstring, from the
    installed `stripe` package's source."""
    from stripe.params import _dispute_modify_params as params

    tree = ast.parse(inspect.getsource(params))
    cls = next(
        n
        for n in tree.body
        if isinstance(n, ast.ClassDef) and n.name == "DisputeModifyParamsEvidence"
    )
    out: dict[str, str] = {}
    body = cls.body
    for node, after in zip(body, [*body[1:], None], strict=True):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            value = after.value if isinstance(after, ast.Expr) else None
            doc = value.value if isinstance(value, ast.Constant) else ""
            out[node.target.id] = str(doc)
    return out


def test_file_and_text_fields_are_stripes_own() -> None:
    fields = _stripe_fields()
    nested = {"enhanced_evidence", "appeal"}  # objects, not one value
    files = {f for f, doc in fields.items() if "(ID of a [file upload]" in doc}
    texts = set(fields) - files - nested
    assert files == stripe_evidence.FILE_FIELDS
    assert texts == stripe_evidence.TEXT_FIELDS
    limited = {f for f, doc in fields.items() if "maximum character count of 20,000" in doc}
    assert limited <= stripe_evidence.TEXT_FIELDS
    assert STRIPE["text_chars_per_field"] == 20_000
    assert STRIPE["text_chars_combined"] == 150_000  # "limited to 150,000" (evidence)


def _signed_event(dispute: dict[str, Any]) -> DisputeEvent:
    payload = copy.deepcopy(EVENT)
    payload["data"]["object"].update(dispute)
    body = json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    provider = StripeProvider(SECRET)
    provider.verify({"Stripe-Signature": header}, body.encode())
    event = provider.parse(json.loads(body)).event
    assert isinstance(event, DisputeEvent)
    return event


@pytest.mark.parametrize(
    ("dispute", "eligibility"),
    [
        # fixtures3.json: the type listed, `enhanced_eligibility` empty.
        (
            {
                "enhanced_eligibility_types": ["visa_compelling_evidence_3"],
                "evidence_details": {"due_by": 1_700_863_999, "enhanced_eligibility": {}},
            },
            {"visa_compelling_evidence_3": "eligible"},
        ),
        # `_dispute.py`: a status per type, VCE3 with its required actions.
        (
            ELIGIBLE,
            {
                "visa_compelling_evidence_3": "requires_action",
                "visa_compliance": "requires_fee_acknowledgement",
            },
        ),
        ({"enhanced_eligibility_types": []}, {}),
    ],
)
def test_enhanced_eligibility_as_stripe_sends_it(
    dispute: dict[str, Any], eligibility: dict[str, str]
) -> None:
    assert _signed_event(dispute).enhanced_eligibility == eligibility


def test_no_eligibility_field_says_nothing() -> None:
    payload = copy.deepcopy(EVENT)
    del payload["data"]["object"]["enhanced_eligibility_types"]
    event = StripeProvider(SECRET).parse(payload).event
    assert isinstance(event, DisputeEvent) and event.enhanced_eligibility is None


def _item(kind: Any, **fields: Any) -> EvidenceItem:
    return EvidenceItem.model_construct(
        kind=kind,
        ref=fields.get("ref"),
        text=fields.get("text"),
        bytes=fields.get("bytes", 0),
        source=fields.get("source", "reviewer"),
    )


def test_a_notice_goes_as_its_file_and_the_desks_file_replaces_the_records() -> None:
    notice = _item(
        "customer_communication", ref="notice:k1", text="Your parcel is late", source="notice"
    )
    record_receipt = _item("receipt", ref="file_old", source="transaction")
    desk_receipt = _item("receipt", ref="file_new")
    statement = _item("uncategorized_text", text="Order O-1", source="transaction")
    desk_text = _item("uncategorized_text", text="Delivered on time")
    body, refused = stripe_body(
        [notice, record_receipt, statement, desk_receipt, desk_text], None, STRIPE
    )
    assert refused is None
    assert body == {
        "evidence[customer_communication]": "notice:k1",  # the file; its text is its content
        "evidence[receipt]": "file_new",
        "evidence[uncategorized_text]": "Order O-1\n\nDelivered on time",
        "submit": "true",
    }


def test_two_files_in_the_records_for_one_field_are_a_problem() -> None:
    items = [_item("receipt", ref="a.pdf", source="transaction"), _item("receipt", ref="b.pdf")]
    assert stripe_evidence.problems(items, STRIPE) == []  # the desk's replaces the record's
    items[1] = _item("receipt", ref="b.pdf", source="transaction")
    [problem] = stripe_evidence.problems(items, STRIPE)
    assert problem.startswith("receipt: 2 files (a.pdf, b.pdf); Stripe takes one file per field")


class Recording:
    def __init__(self) -> None:
        self.sent: list[DefenseRequest] = []

    def submit_defense(self, request: DefenseRequest) -> ProviderReceipt:
        self.sent.append(request)
        return ProviderReceipt(
            idempotency_key=request.idempotency_key,
            reference="re_1",
            at=datetime.now(UTC),
            duplicate=False,
        )

    def accept(self, request: AcceptRequest) -> ProviderReceipt:
        raise AssertionError("not used")


def _request(provider: str, items: list[HeldEvidence], limits: dict[str, Any]) -> DefenseRequest:
    return DefenseRequest(
        idempotency_key="k-1",
        case_id="dispute-x",
        provider=provider,  # type: ignore[arg-type]
        dispute_id="dp_1",
        body={},
        items=items,
        limits=limits,
    )


def test_the_activity_checks_the_body_before_it_goes(engine: Engine) -> None:
    """The texts as read back decide: 2 × 15,000 characters in one field is 30,002, over
    Stripe's 20,000, so nothing is sent and the receipt says by how much."""
    client = Recording()
    activities = DisputeActivities(engine, client)
    items = [
        HeldEvidence(kind="access_activity_log", text="a" * 15_000),
        HeldEvidence(kind="access_activity_log", text="b" * 15_000),
    ]
    receipt = activities.submit_defense(_request("stripe", items, STRIPE))
    assert receipt.refused is not None and client.sent == []
    assert "access_activity_log is 30,002 characters, 10,002 over" in receipt.refused
    receipt = activities.submit_defense(_request("stripe", items[:1], STRIPE))
    assert receipt.refused is None and receipt.reference == "re_1"
    [sent] = client.sent
    assert sent.body["evidence[access_activity_log]"] == "a" * 15_000


def test_antom_document_read_back_across_pages() -> None:
    lines = "\n".join(f"第 {n} 行：物流单号 SF{n:010d}" for n in range(1, 121))
    items = [
        _item("shipping_documentation", ref="pod.pdf", bytes=2048),
        _item("uncategorized_text", text=lines),
    ]
    heading = {"Dispute": "2025010329013101740904829052", "Reason": "2006 (fraud)"}
    body, refused = antom_body("2025010329013101740904829052", items, heading, ANTOM)
    assert refused is None
    document = base64.b64decode(body["disputeEvidence"], validate=True)
    reader = PdfReader(io.BytesIO(document))
    assert len(reader.pages) > 1
    found = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "第 1 行：物流单号 SF0000000001",
        "第 120 行：物流单号 SF0000000120",
        "pod.pdf",
        "2006 (fraud)",
    ):
        assert expected in found
    # The same packet, the same document (nothing of the time it was drawn in it).
    assert defence_pdf.render(heading, items) == document


def test_each_script_in_a_font_that_has_it() -> None:
    """Korean (Antom's Korean local cards) in reportlab's Korean CID font, kana in its
    Japanese one, Chinese and Latin in STSong-Light: each drawn, each read back."""
    text = "고객 수령 확인 / 客户已确认收货 / お客様 / SF123"
    document = defence_pdf.render({}, [_item("uncategorized_text", text=text)])
    page = PdfReader(io.BytesIO(document)).pages[0]
    assert text in page.extract_text()
    resources: Any = page["/Resources"]
    fonts = {str(f["/BaseFont"]) for f in resources["/Font"].values()}
    assert {"/STSong-Light", "/HYSMyeongJo-Medium", "/HeiseiMin-W3"} <= {
        f.split("-UniGB")[0].split("-UniKS")[0].split("-UniJIS")[0] for f in fonts
    }


def test_antom_document_over_its_limit_says_by_how_much() -> None:
    body, refused = antom_body(
        "d1", [_item("uncategorized_text", text="x")], {}, {"base64_chars": 100}
    )
    over = len(body["disputeEvidence"]) - 100
    assert refused == (
        f"the defence document is {len(body['disputeEvidence']):,} Base64 characters, "
        f"{over:,} over Antom's 100-character limit (disputeEvidence)"
    )
