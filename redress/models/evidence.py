"""Evidence that wins disputes (C1, C2): the kinds (Stripe's evidence fields), the packet
for a reason category and the providers' limits, the requests to the provider with its own
field names, and a transaction's records and prevention notices kept before any dispute."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from redress.models import stripe_evidence
from redress.models.case import CaseUser
from redress.models.values import Ident, Note, Plain, Prose
from redress.policy import LimitsPolicy

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
    "check_returned",  # Stripe `check_returned`: a returned check or bank debit
    "noncompliant",  # Stripe `noncompliant`: the payment broke a network rule (compliance)
    "general",
]
# Where the provider says the dispute stands, normalized.
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), Plain
]


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


def _json_integer(value: object) -> object:
    # A JSON integer, as documented (5 or 5.0), not what pydantic would also read as one.
    if isinstance(value, bool | str):
        raise ValueError("expected an integer")
    return value


# An evidence text's absolute bound in characters: three times Stripe's per-field limit, and
# within the API's default body bound (`api_body_bytes`, 64 KiB), so a longer one is a 422.
TEXT_CHARS_BOUND = 60_000


class EvidenceItem(BaseModel):
    # The schema says what `_ref_or_text` checks, so a client's generator makes no item the
    # API refuses.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["ref"], "properties": {"ref": {"type": "string"}}},
                {"required": ["text"], "properties": {"text": {"type": "string", "minLength": 1}}},
            ]
        }
    )

    kind: EvidenceKind
    ref: ShortText | None = None  # a file in the evidence store
    # Only an absolute bound here (the request's body is bounded in bytes too): what a
    # provider takes per field is its policy's limit (Stripe `text_chars_per_field`), which
    # the packet's check names with the field and by how much.
    text: Annotated[str, StringConstraints(max_length=TEXT_CHARS_BOUND), Prose] | None = None
    bytes: Annotated[int, Field(ge=0, le=100_000_000), BeforeValidator(_json_integer)] = 0
    source: str = "reviewer"  # reviewer | transaction (from the stored records) | notice

    @model_validator(mode="after")
    def _ref_or_text(self) -> EvidenceItem:
        if not (self.ref or self.text):
            raise ValueError(f"{self.kind}: give a file `ref` or a `text`")
        return self


class HeldEvidence(EvidenceItem):
    """An evidence item as a dispute's workflow holds it: its text kept in the case store
    (`stored`: `case:<digest>` for a reviewer's, `txn:<digest>` for the transaction's
    records) and only its size here, so what a case holds stays small whatever arrives.
    Items held before (with `text` inline) read back as they were."""

    stored: str | None = None
    text_bytes: int | None = None
    text_chars: int | None = None  # Stripe counts characters (None: held before it was kept)

    @model_validator(mode="after")
    def _ref_or_text(self) -> HeldEvidence:
        if not (self.ref or self.text or self.stored):
            raise ValueError(f"{self.kind}: give a file `ref` or a `text`")
        return self


def text_size(item: EvidenceItem) -> int:
    """An item's text in bytes (UTF-8), whether held inline or in the store."""
    held = getattr(item, "text_bytes", None)
    return held if held is not None else len((item.text or "").encode())


class Packet(BaseModel):
    """The evidence as it would be submitted now, for the dispute's reason category."""

    category: Category
    items: list[HeldEvidence | EvidenceItem]  # as the case holds them (by reference or inline)
    required: list[str]
    missing: list[str]
    total_bytes: int
    encoded_chars: int  # the Base64 length of the files (Antom's limit counts this)
    over_limit: str | None = None  # what exceeds the provider's limits, by how much
    # Stripe: the characters of all evidence fields as sent, and what its model refuses (a
    # text in a file field, two files for one field, a field or all of them over the
    # character limits), each naming the field and by how much.
    text_chars: int = 0
    problems: list[str] = Field(default_factory=list)


# --- requests to the provider (exactly its field names) ---------------------------------


class DefenseRequest(BaseModel):
    idempotency_key: str
    case_id: str
    provider: Provider
    dispute_id: str
    # Stripe: `POST /v1/disputes/{id}` form fields (`evidence[...]`, `submit`); Antom:
    # `supplyDefenseDocument` body (`disputeId`, `disputeEvidence`: the Base64 PDF).
    body: dict[str, Any]
    # Set by cases that keep their evidence in the store: the activity builds `body` from
    # these references (reading the texts there), so the workflow never sends the texts.
    items: list[HeldEvidence] | None = None
    merchant_id: str | None = None
    charge: str | None = None  # the transaction whose records `txn:` refs name
    # The provider's limits (the policy's `dispute.limits.<provider>`), checked on the body
    # itself before it goes; Stripe's `enhanced_evidence` as its API names it; what the
    # defence document's heading states (dispute, reason, amount).
    limits: dict[str, Any] | None = None
    enhanced: dict[str, Any] | None = None
    appeal: dict[str, Any] | None = None  # Stripe's `evidence.appeal`
    heading: dict[str, str] | None = None


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
    # Not sent: the body as built from the texts exceeds the provider's limits (by how
    # much); the case escalates or the desk's submission is refused.
    refused: str | None = None


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
    have = {i.kind for i in items if i.ref or i.text or getattr(i, "stored", None)}
    total = sum(i.bytes for i in items)
    text = sum(text_size(i) for i in items)
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
    if provider == "stripe":
        chars, problems = (
            stripe_evidence.combined_chars(items),
            stripe_evidence.problems(items, limits),
        )
    else:
        chars, problems = sum(stripe_evidence.text_chars(i) for i in items), []
    return Packet(
        category=category,
        items=items,
        required=needed,
        missing=[k for k in needed if k not in have],
        total_bytes=total,
        encoded_chars=encoded,
        over_limit=over,
        text_chars=chars,
        problems=problems,
    )


def accept_body(provider: str, dispute_id: str) -> dict[str, Any]:
    """Stripe: `POST /v1/disputes/{id}/close` (no fields); Antom: `acceptDispute`."""
    return {} if provider == "stripe" else {"disputeId": dispute_id}


class RecordsRequest(BaseModel):
    merchant_id: str
    charge: str | None


class RecordsFound(BaseModel):
    items: list[EvidenceItem]


class RecordRefs(BaseModel):
    """The transaction's records as a dispute holds them: references and sizes, bounded
    by `limits.transaction_items` (plus the record's own two fields), never the texts."""

    items: list[HeldEvidence]


class StoreTexts(BaseModel):
    case_id: str
    texts: list[str]


class StoredTexts(BaseModel):
    refs: list[str]  # `case:<digest>`, one per text, in order


# --- transaction records and prevention notices (C1, C2) --------------------------------


def _not_a_number(value: object) -> object:
    # The API documents an RFC 3339 string; pydantic alone would read 0 as 1970-01-01.
    if isinstance(value, int | float):
        raise ValueError("expected an RFC 3339 date-time string, not a number")
    return value


# An aware instant as the API documents it: a date-time string (or a datetime in code).
Instant = Annotated[AwareDatetime, BeforeValidator(_not_a_number)]


class TransactionRecordIn(BaseModel):
    """`PUT /transactions/{transaction_id}`: a transaction's records, kept as defence material."""

    merchant_id: Ident
    order_id: Ident | None = None
    authorization: ShortText | None = None  # the authorization result (approved, code)
    captured_at: Instant | None = None
    shipped_at: Instant | None = None
    evidence: Annotated[list[EvidenceItem], Field(max_length=100)] = Field(default_factory=list)
    # true: `evidence` replaces what the record holds (an empty list clears it); false:
    # the items are added to it.
    replace: StrictBool = False


PreventionType = Literal["delivery_delayed", "out_of_stock", "subscription_canceled"]


class PreventionNoticeIn(BaseModel):
    """`POST /transactions/{transaction_id}/notices` (C2): the written notice that later wins
    the dispute, sent to the customer and attached to the transaction's evidence."""

    # The schema says what `_dates` checks: each type with the date it states.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"properties": {"type": {"const": "out_of_stock"}}},
                {
                    "properties": {
                        "type": {"const": "delivery_delayed"},
                        "new_date": {"type": "string"},
                    },
                    "required": ["new_date"],
                },
                {
                    "properties": {
                        "type": {"const": "subscription_canceled"},
                        "effective_date": {"type": "string"},
                    },
                    "required": ["effective_date"],
                },
            ]
        }
    )

    merchant_id: Ident
    type: PreventionType
    customer: CaseUser
    item: ShortText | None = None
    new_date: Instant | None = None  # delivery_delayed: the new delivery date
    effective_date: Instant | None = None  # subscription_canceled: when it takes effect
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
    # The record's limits as the API checked them (None: notices started before).
    limits: LimitsPolicy | None = None


class PreventionSent(BaseModel):
    key: str
    delivered_at: datetime
    duplicate: bool
