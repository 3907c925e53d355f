"""Card disputes and chargebacks (rules C1–C6, SPEC §2–§3; seeds/000 Antom's dispute guide,
seeds/001 POS chargebacks): one provider event as redress reads it, the reviewer actions,
the evidence packet, the requests to the provider, and how the intake opens a case.

Providers (`redress/providers/stripe.py`, `antom.py`) verify their own signatures and map
their own payloads, field names as they send them, to `DisputeEvent`: one normalized event
per provider event, with the provider's own timestamp, so the workflow can keep the newest
state whatever order the events arrive in.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from redress.models.case import (
    CaseInput,
    CaseUser,
    Contact,
    Ident,
    Note,
    Plain,
    Prose,
    Role,
)
from redress.models.intake import CaseStart, IntakeContext

KIND = "dispute"
RULES = 1

Provider = Literal["stripe", "antom"]
# Reason categories an evidence packet is assembled for (C2).
Category = Literal[
    "fraud",
    "authorization",
    "processing_error",
    "product_not_received",
    "subscription_canceled",
    "duplicate",
    "consumer_dispute",
    "general",
]
# Where the provider says the dispute stands, normalized.
Stage = Literal[
    "needs_response",  # a response is due by `due_by`
    "under_review",  # evidence submitted (or none possible): the network decides
    "won",
    "lost",
    "accepted",  # the merchant accepted liability
    "withdrawn",  # the cardholder or issuer withdrew it (or an inquiry closed)
]
CaseStatus = Literal["needs_response", "submitted", "closed"]
Outcome = Literal["won", "lost", "accepted", "expired", "withdrawn"]

ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), Plain
]


class DisputeEvent(BaseModel):
    """One provider event about one dispute, normalized (amounts in major units)."""

    event_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    type: str  # the provider's own event type: charge.dispute.created, DISPUTE_JUDGED, …
    provider: Provider
    dispute_id: Ident  # Stripe `dp_…`, Antom `disputeId`
    occurred_at: AwareDatetime  # the provider's own timestamp of this event
    merchant_id: Ident
    stage: Stage | None = None  # None: the event says nothing of the stage
    amount: Decimal | None = None  # disputed amount, major units
    currency: str | None = None  # ISO 4217, upper-case
    reason: str | None = None  # the provider's reason code (Stripe `reason`, Antom code)
    category: Category = "general"
    due_by: AwareDatetime | None = None  # the provider's instant, to the second
    charge: str | None = None  # the disputed payment: Stripe charge / Antom paymentId
    network: str | None = None  # the card network (visa, mastercard, …), when the provider says
    # Money the provider moved for this dispute (funds_withdrawn / _reinstated, fees).
    funds: Literal["withdrawn", "reinstated"] | None = None
    funds_amount: Decimal | None = None
    fee: Decimal | None = None
    # As the provider reports them.
    has_evidence: bool | None = None
    submission_count: int | None = None
    is_charge_refundable: bool | None = None
    defendable: bool | None = None
    round_hint: int | None = None  # a provider's own count of rounds, if it has one
    raw_status: str | None = None  # the provider's own status word


class DisputeCaseInput(CaseInput):
    first: DisputeEvent  # the event that opened the case (any type: they come in any order)


# --- evidence ---------------------------------------------------------------------------

# Evidence kinds: Stripe's evidence fields (its API's names); Antom takes one document.
EvidenceKind = Literal[
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
]


class EvidenceItem(BaseModel):
    kind: EvidenceKind
    ref: ShortText | None = None  # a file in the evidence store
    text: Annotated[str, StringConstraints(max_length=20_000), Prose] | None = None
    bytes: Annotated[int, Field(ge=0, le=100_000_000)] = 0  # the file's size
    source: str = "reviewer"  # reviewer | transaction (from the stored records) | notice

    @model_validator(mode="after")
    def _ref_or_text(self) -> EvidenceItem:
        if not (self.ref or self.text):
            raise ValueError(f"{self.kind}: give a file `ref` or a `text`")
        return self


class Packet(BaseModel):
    """The evidence as it would be submitted now, for the dispute's reason category."""

    category: Category
    items: list[EvidenceItem]
    required: list[str]
    missing: list[str]
    total_bytes: int
    encoded_chars: int  # the Base64 length of the files (Antom's limit counts this)
    over_limit: str | None = None  # what exceeds the provider's limits, by how much


# --- reviewer actions -------------------------------------------------------------------


class AddEvidence(BaseModel):
    type: Literal["add_evidence"] = "add_evidence"
    items: Annotated[list[EvidenceItem], Field(min_length=1, max_length=50)]


class SubmitDefense(BaseModel):
    type: Literal["submit_defense"] = "submit_defense"
    note: Note = ""


class AcceptDispute(BaseModel):
    type: Literal["accept_dispute"] = "accept_dispute"
    note: Note = ""


class ProviderEvent(BaseModel):
    """A later provider event for this case, as the intake delivers it (role `user`: it
    comes by signed webhook, never with a reviewer's token)."""

    type: Literal["provider_event"] = "provider_event"
    event: DisputeEvent


Action = Annotated[
    AddEvidence | SubmitDefense | AcceptDispute | ProviderEvent, Field(discriminator="type")
]
ACTIONS: TypeAdapter[Action] = TypeAdapter(Action)

_DESK = frozenset({"add_evidence", "submit_defense", "accept_dispute"})
ROLE_ACTIONS: dict[Role, frozenset[str]] = {
    "agent": _DESK,
    "supervisor": _DESK,
    "user": frozenset({"provider_event"}),
}
SUPERVISORS: frozenset[Role] = frozenset({"supervisor"})


# --- requests to the provider (exactly its field names) ---------------------------------


class DefenseRequest(BaseModel):
    idempotency_key: str
    case_id: str
    provider: Provider
    dispute_id: str
    # Stripe: `POST /v1/disputes/{id}` form fields (`evidence[...]`, `submit`); Antom:
    # `supplyDefenseDocument` body (`disputeId`, `disputeEvidence`, `disputeEvidenceFormat`).
    body: dict[str, Any]


class AcceptRequest(BaseModel):
    idempotency_key: str
    case_id: str
    provider: Provider
    dispute_id: str
    body: dict[str, Any]  # Stripe: `POST /v1/disputes/{id}/close` (empty); Antom `acceptDispute`


class ProviderReceipt(BaseModel):
    idempotency_key: str
    reference: str
    at: datetime
    duplicate: bool


# --- intake -----------------------------------------------------------------------------


def case_id_of(provider: str, dispute_id: str) -> str:
    """One case per provider dispute: `dispute-<provider>-<dispute id>`."""
    return f"dispute-{provider}-{dispute_id}"


def open_case(event: DisputeEvent, ctx: IntakeContext) -> CaseStart:
    """Any first event opens the case (they come in any order); later ones are delivered to
    it as `provider_event` (`CaseStart.existing_action`)."""
    rules = ctx.policy.dispute
    if rules is None:
        raise ValueError(f"policy {ctx.policy.name!r} has no [dispute] section")
    case_id = case_id_of(event.provider, event.dispute_id)
    amount = f"{event.amount} {event.currency}" if event.amount is not None else "amount n/a"
    return CaseStart(
        case_id=case_id,
        merchant_id=event.merchant_id,
        status="needs_response",
        next_deadline=event.due_by,
        summary=(
            f"Dispute {event.dispute_id} · {event.provider} · merchant {event.merchant_id} · "
            f"{amount} · {event.category}"
        ),
        input=DisputeCaseInput(
            case_id=case_id,
            source=event.provider,
            first=event,
            policy=ctx.policy.snapshot(ctx.now, sections=("dispute",)),
            received_at=ctx.now,
            event_id=event.event_id,
            rules=RULES,
        ),
        existing_action=ProviderEvent(event=event).model_dump(mode="json"),
    )


# Disputes have no end user to notify: notices go to the merchant's desk. The envelope's
# user is the merchant desk itself.
DESK_USER = CaseUser(id="desk", locale="en", contact=Contact(channel="app", address="desk"))


def sample_event(
    dispute_id: str,
    locale: str = "en",
    merchant_id: str = "M-DEMO",
    created_at: datetime | None = None,
    trade_no: str | None = None,
    due_in: timedelta = timedelta(minutes=3),
) -> dict[str, Any]:
    """A Stripe `charge.dispute.created` event body (unsigned) to try the stack with; due a
    few minutes ahead, so on the fast policy every clock runs while one watches."""
    now = created_at or datetime.now(UTC)
    due = now + due_in
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(now.timestamp()),
        "type": "charge.dispute.created",
        "livemode": False,
        "pending_webhooks": 1,
        "data": {
            "object": {
                "id": dispute_id if dispute_id.startswith("dp_") else f"dp_{dispute_id}",
                "object": "dispute",
                "amount": 4999,
                "currency": "usd",
                "charge": trade_no or f"ch_{int(time.time())}",
                "payment_intent": f"pi_{uuid.uuid4().hex[:24]}",
                "reason": "product_not_received",
                "status": "needs_response",
                "created": int(now.timestamp()),
                "evidence_details": {
                    "due_by": int(due.timestamp()),
                    "has_evidence": False,
                    "past_due": False,
                    "submission_count": 0,
                },
                "is_charge_refundable": True,
                "balance_transactions": [],
                "livemode": False,
                "metadata": {"merchant_id": merchant_id},
            }
        },
    }


# --- the packet: pure, so the workflow computes it deterministically ---------------------

PROVIDER_NAMES = {"stripe": "Stripe", "antom": "Antom"}


def build_packet(
    category: Category,
    items: list[EvidenceItem],
    required: dict[str, list[str]],
    provider: str,
    limits: dict[str, Any],
) -> Packet:
    """The evidence for `category`, what it still lacks, and whether it fits the
    provider's limits (`limits`: the policy's `ProviderLimits` for the provider, dumped)."""
    needed = list(required.get(category, required.get("general", [])))
    have = {i.kind for i in items if i.ref or i.text}
    total = sum(i.bytes for i in items)
    text = sum(len((i.text or "").encode()) for i in items)
    encoded = 4 * -(-(total + text) // 3)  # Base64 of files and text in one document
    name = PROVIDER_NAMES.get(provider, provider)
    over: str | None = None
    per_file, combined, chars = (
        limits.get("per_file_bytes"),
        limits.get("combined_bytes"),
        limits.get("base64_chars"),
    )
    biggest = max(items, key=lambda i: i.bytes, default=None)
    if per_file and biggest is not None and biggest.bytes > per_file:
        over = (
            f"{biggest.kind} ({biggest.ref}) is {biggest.bytes:,} bytes, "
            f"{biggest.bytes - per_file:,} over {name}'s {per_file:,}-byte limit per file"
        )
    elif combined and total > combined:
        over = (
            f"the evidence files are {total:,} bytes in all, {total - combined:,} over "
            f"{name}'s {combined:,}-byte combined limit"
        )
    elif chars and encoded > chars:
        over = (
            f"the evidence document is {encoded:,} Base64 characters, {encoded - chars:,} "
            f"over {name}'s {chars:,}-character limit"
        )
    return Packet(
        category=category,
        items=items,
        required=needed,
        missing=[k for k in needed if k not in have],
        total_bytes=total,
        encoded_chars=encoded,
        over_limit=over,
    )


def defense_body(provider: str, dispute_id: str, items: list[EvidenceItem]) -> dict[str, Any]:
    """The submission as the provider's API names it. Stripe: `POST /v1/disputes/{id}`
    form fields `evidence[<field>]` (one file ID or text per field) and `submit`; Antom:
    `supplyDefenseDocument` with `disputeId` and `disputeEvidence` (the Base64 document;
    here the packet's manifest: a real client builds the document from the evidence
    store's files)."""
    if provider == "stripe":
        body: dict[str, Any] = {}
        extra: list[str] = []
        for i in items:
            key = f"evidence[{i.kind}]"
            value = i.ref or i.text or ""
            if key not in body:
                body[key] = value
            elif i.text and not i.ref:
                body[key] = f"{body[key]}\n\n{i.text}"
            else:  # one file per field: the others are named in the free text
                extra.append(f"{i.kind}: {i.ref}")
        if extra:
            note = "Further files: " + "; ".join(extra)
            current = body.get("evidence[uncategorized_text]")
            body["evidence[uncategorized_text]"] = f"{current}\n\n{note}" if current else note
        body["submit"] = "true"
        return body
    import base64
    import json

    manifest = [i.model_dump(exclude_none=True) for i in items]
    document = base64.b64encode(json.dumps(manifest, sort_keys=True).encode()).decode()
    return {"disputeId": dispute_id, "disputeEvidence": document}


def accept_body(provider: str, dispute_id: str) -> dict[str, Any]:
    """Stripe: `POST /v1/disputes/{id}/close` (no fields); Antom: `acceptDispute`."""
    return {} if provider == "stripe" else {"disputeId": dispute_id}


class RecordsRequest(BaseModel):
    merchant_id: str
    charge: str | None


class RecordsFound(BaseModel):
    items: list[EvidenceItem]


# --- transaction records and prevention notices (C1, C2) --------------------------------


class TransactionRecordIn(BaseModel):
    """`PUT /transactions/{transaction_id}`: a transaction's records, kept as defence material."""

    merchant_id: Ident
    order_id: Ident | None = None
    authorization: ShortText | None = None  # the authorization result (approved, code)
    captured_at: AwareDatetime | None = None
    shipped_at: AwareDatetime | None = None
    evidence: Annotated[list[EvidenceItem], Field(max_length=100)] = Field(default_factory=list)


PreventionType = Literal["delivery_delayed", "out_of_stock", "subscription_canceled"]


class PreventionNoticeIn(BaseModel):
    """`POST /transactions/{transaction_id}/notices` (C2): the written notice that later wins
    the dispute, sent to the customer and attached to the transaction's evidence."""

    merchant_id: Ident
    type: PreventionType
    customer: CaseUser
    item: ShortText | None = None
    new_date: AwareDatetime | None = None  # delivery_delayed: the new delivery date
    effective_date: AwareDatetime | None = None  # subscription_canceled: when it takes effect
    note: Note = ""

    @model_validator(mode="after")
    def _dates(self) -> PreventionNoticeIn:
        if self.type == "delivery_delayed" and self.new_date is None:
            raise ValueError("new_date: a delivery-delay notice states the new date")
        if self.type == "subscription_canceled" and self.effective_date is None:
            raise ValueError("effective_date: a cancellation notice states its effective date")
        return self


class PreventionNotice(BaseModel):
    """The workflow input of one prevention notice."""

    key: str  # idempotency key: merchant, transaction, type and the request's key
    transaction_id: str
    notice: PreventionNoticeIn


class PreventionSent(BaseModel):
    key: str
    delivered_at: datetime
    duplicate: bool
