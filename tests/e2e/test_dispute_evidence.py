"""A dispute's evidence over HTTP on the dev server, against each provider's model.

Stripe: a `charge.dispute.created` as Stripe sends it (signed with the `stripe` package),
eligible for Visa Compelling Evidence 3.0 (`enhanced_eligibility_types`,
`evidence_details.enhanced_eligibility` as in `stripe/_dispute.py`); evidence Stripe would
refuse is answered 422/409 naming the field, VCE3 goes as its `evidence[enhanced_evidence]`
form fields. Antom: `notifyDispute` signed with Antom's SDK; the `supplyDefenseDocument`
body's `disputeEvidence` is the Base64 of a PDF holding the packet's texts."""

from __future__ import annotations

import base64
import copy
import io
import json
import time
import uuid
from datetime import UTC, datetime

import stripe
from pypdf import PdfReader
from sqlmodel import Session, select

from redress.models.dispute_samples import sample_event
from redress.models.dispute_tables import DisputeRequestRecord
from tests.e2e.harness import STRIPE_SECRET, Stack, antom_created, post_antom
from tests.harness import running_worker
from tests.providers.samples import ELIGIBLE


def _requests(stack: Stack, case_id: str) -> list[DisputeRequestRecord]:
    with Session(stack.engine) as s:
        q = select(DisputeRequestRecord).where(DisputeRequestRecord.case_id == case_id)
        return list(s.exec(q).all())


async def test_stripe_evidence_over_http(stack: Stack) -> None:
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        dispute_id = f"dp_{uuid.uuid4().hex[:12]}"
        event = sample_event(dispute_id, merchant_id="M-EV", trade_no=f"ch_{dispute_id}")
        event["data"]["object"].update({"reason": "fraudulent", **copy.deepcopy(ELIGIBLE)})
        # The sample's due time (ELIGIBLE's is a fixed instant of the past).
        event["data"]["object"]["evidence_details"]["due_by"] = int(time.time()) + 7 * 86400
        body = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(body, STRIPE_SECRET)
        r = await stack.http.post(
            "/webhooks/stripe",
            content=body.encode(),
            headers={"Stripe-Signature": header, "content-type": "application/json"},
        )
        assert r.status_code == 202, r.text
        case_id = r.json()["case_id"]
        case = await stack.wait_for(case_id, lambda c: c["version"] >= 1)
        assert case["details"]["enhanced_eligibility"] == {
            "visa_compelling_evidence_3": "requires_action",
            "visa_compliance": "requires_fee_acknowledgement",
        }

        chat = {"kind": "customer_communication", "text": "We spoke on the phone."}
        r = await stack.act(case_id, "agent", {"type": "add_evidence", "items": [chat]})
        assert r.status_code == 422, r.text
        assert "customer_communication: a text (22 characters) in a file field" in r.text
        receipt = {"kind": "receipt", "ref": "file_receipt", "bytes": 2_000}
        r = await stack.act(case_id, "agent", {"type": "add_evidence", "items": [receipt]})
        assert r.status_code == 200, r.text
        second = {"kind": "receipt", "ref": "file_receipt2"}
        r = await stack.act(case_id, "agent", {"type": "add_evidence", "items": [second]})
        assert r.status_code == 409 and "holds file file_receipt" in r.text, r.text

        vce3 = {
            "visa_compelling_evidence_3": {
                "disputed_transaction": {
                    "customer_purchase_ip": "203.0.113.7",
                    "merchandise_or_services": "services",
                },
                "prior_undisputed_transactions": [
                    {"charge": "ch_prior1", "customer_purchase_ip": "203.0.113.7"},
                    {"charge": "ch_prior2", "customer_purchase_ip": "203.0.113.7"},
                ],
            }
        }
        action = {"type": "add_evidence", "enhanced_evidence": vce3}
        r = await stack.act(case_id, "agent", action)
        assert r.status_code == 200, r.text
        r = await stack.act(case_id, "agent", {"type": "submit_defense"})
        assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
        [request] = _requests(stack, case_id)
        prefix = "evidence[enhanced_evidence][visa_compelling_evidence_3]"
        assert request.body[f"{prefix}[prior_undisputed_transactions][0][charge]"] == "ch_prior1"
        assert request.body["evidence[receipt]"] == "file_receipt"


async def test_antom_defence_document_over_http(stack: Stack) -> None:
    async with running_worker(stack.env.client, stack.engine, stack.task_queue):
        now = datetime.now(UTC).replace(microsecond=0)
        created = antom_created(
            now, disputeReasonMsg="Merchandise/Services Not Received", disputeSource="Visa"
        )
        dispute_id = created["disputeId"]
        r = await post_antom(stack, created)
        assert r.status_code == 200, r.text
        case_id = f"dispute-antom-{dispute_id}"
        case = await stack.wait_for(case_id, lambda c: c["version"] >= 1)
        assert case["details"]["network"] == "visa"  # disputeSource

        items = [
            {"kind": "shipping_documentation", "ref": "pod.pdf", "bytes": 50_000},
            {"kind": "shipping_tracking_number", "text": "CJ0123456789KR"},
            {
                "kind": "customer_communication",
                "text": "고객이 수령을 확인했습니다 / 客户已确认收货",
            },
        ]
        r = await stack.act(case_id, "agent", {"type": "add_evidence", "items": items})
        assert r.status_code == 200, r.text
        r = await stack.act(case_id, "agent", {"type": "submit_defense"})
        assert r.status_code == 200 and r.json()["status"] == "submitted", r.text
        [request] = _requests(stack, case_id)
        assert set(request.body) == {"disputeId", "disputeEvidence"}
        assert len(request.body["disputeEvidence"]) <= 1_000_000
        document = base64.b64decode(request.body["disputeEvidence"], validate=True)
        found = "".join(p.extract_text() for p in PdfReader(io.BytesIO(document)).pages)
        assert "CJ0123456789KR" in found and dispute_id in found
        assert "고객이 수령을 확인했습니다 / 客户已确认收货" in found
