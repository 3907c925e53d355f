"""Stripe's dispute evidence as its API defines it (the `stripe` package's
`params/_dispute_modify_params.py` and `_dispute.py`, API `POST /v1/disputes/{id}`): which
evidence fields take a File ID (an upload with `purpose=dispute_evidence`) and which take
text (at most 20,000 characters each, 150,000 for all fields combined), and the
`enhanced_evidence` programmes (Visa Compelling Evidence 3.0, Visa and Mastercard
compliance) a dispute may be eligible for (`enhanced_eligibility_types`,
`evidence_details.enhanced_eligibility`).

The packet's checks against these (`problems`) are pure: the workflow runs them when
evidence is added and before it submits, the submission activity again on the texts
themselves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from redress.models.values import Plain, Prose

# `(ID of a file upload)` in Stripe's field descriptions: one File ID per field.
FILE_FIELDS = frozenset(
    {
        "cancellation_policy",
        "customer_communication",
        "customer_signature",
        "duplicate_charge_documentation",
        "receipt",
        "refund_policy",
        "service_documentation",
        "shipping_documentation",
        "uncategorized_file",
    }
)
# Every other evidence field takes text ("Has a maximum character count of 20,000" on the
# free-text ones; the short ones, an address or an IP, are bound by the same limit here).
TEXT_FIELDS = frozenset(
    {
        "access_activity_log",
        "billing_address",
        "cancellation_policy_disclosure",
        "cancellation_rebuttal",
        "customer_email_address",
        "customer_name",
        "customer_purchase_ip",
        "duplicate_charge_explanation",
        "duplicate_charge_id",
        "product_description",
        "refund_policy_disclosure",
        "refund_refusal_explanation",
        "service_date",
        "shipping_address",
        "shipping_carrier",
        "shipping_date",
        "shipping_tracking_number",
        "uncategorized_text",
    }
)
JOIN = "\n\n"  # several texts for one text field are sent as one, in order

Programme = Literal["visa_compelling_evidence_3", "visa_compliance", "mastercard_compliance"]
PROGRAMMES: tuple[Programme, ...] = (
    "visa_compelling_evidence_3",
    "visa_compliance",
    "mastercard_compliance",
)
# evidence_details.enhanced_eligibility.visa_compelling_evidence_3.status: `not_qualified`
# cannot take it; `requires_action` is what the evidence supplies; `qualified` has it.
NOT_QUALIFIED = "not_qualified"


# --- enhanced_evidence (exactly Stripe's field names) -----------------------------------------

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), Plain]
Described = Annotated[str, StringConstraints(max_length=20_000), Prose]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShippingAddress(_Strict):
    """ "All fields are required for Visa Compelling Evidence 3.0 evidence submission"."""

    city: Short
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2
    line1: Short
    line2: Short = ""
    postal_code: Short
    state: Short


class _Identifiers(_Strict):
    customer_account_id: Short | None = None
    # "Must be at least 20 characters" / "at least 15 characters".
    customer_device_fingerprint: (
        Annotated[str, StringConstraints(min_length=20, max_length=5000), Plain] | None
    ) = None
    customer_device_id: (
        Annotated[str, StringConstraints(min_length=15, max_length=5000), Plain] | None
    ) = None
    customer_email_address: Short | None = None
    customer_purchase_ip: Short | None = None
    product_description: Described | None = None
    shipping_address: ShippingAddress | None = None


class DisputedTransaction(_Identifiers):
    merchandise_or_services: Literal["merchandise", "services"] | None = None


class PriorUndisputedTransaction(_Identifiers):
    charge: Annotated[str, StringConstraints(pattern=r"^(ch|py)_[A-Za-z0-9]{1,250}$")]


class VisaCompellingEvidence3(_Strict):
    disputed_transaction: DisputedTransaction | None = None
    # "List of exactly two prior undisputed transaction objects".
    prior_undisputed_transactions: (
        Annotated[list[PriorUndisputedTransaction], Field(min_length=2, max_length=2)] | None
    ) = None


class FeeAcknowledged(_Strict):
    """Visa / Mastercard compliance: acknowledging the network's fee (Stripe: 500 USD,
    refunded if the dispute is won) is what lets the evidence be submitted."""

    fee_acknowledged: bool


def _one_of(*names: str) -> dict[str, Any]:
    """The schema of "at least one of these, not null" (what `_one_at_least` checks)."""
    return {"anyOf": [{"required": [n], "properties": {n: {"type": "object"}}} for n in names]}


class EnhancedEvidence(_Strict):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_one_of(*PROGRAMMES))

    visa_compelling_evidence_3: VisaCompellingEvidence3 | None = None
    visa_compliance: FeeAcknowledged | None = None
    mastercard_compliance: FeeAcknowledged | None = None

    @model_validator(mode="after")
    def _one_at_least(self) -> EnhancedEvidence:
        if not self.given():
            raise ValueError(
                "give visa_compelling_evidence_3, visa_compliance or mastercard_compliance"
            )
        return self

    def given(self) -> list[Programme]:
        return [p for p in PROGRAMMES if getattr(self, p) is not None]


FileId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_:.-]{1,256}$")]


class AppealCard(_Strict):
    reason_for_filing: Described | None = None  # "An explanation of the reason for filing"
    # "One or more document IDs returned by a file upload with a `purpose` value of
    # `dispute_evidence`".
    supporting_files: Annotated[list[FileId], Field(max_length=20)] | None = None


class Appeal(_Strict):
    """`evidence.appeal`: "Evidence to submit when appealing a dispute", taken in Stripe's
    appeal stage (`appeal_needs_response`) only."""

    card: AppealCard


APPEAL_STAGE = "appeal_needs_response"


def eligibility_refusal(
    enhanced: EnhancedEvidence, eligibility: dict[str, str] | None
) -> str | None:
    """Why the dispute cannot take this enhanced evidence, or None: each programme given
    must be among the dispute's `enhanced_eligibility_types` and not `not_qualified`."""
    known = eligibility or {}
    for programme in enhanced.given():
        if programme not in known:
            listed = ", ".join(sorted(known)) or "none"
            return (
                f"enhanced_evidence.{programme}: this dispute is not eligible for it "
                f"(Stripe's enhanced_eligibility_types: {listed})"
            )
        if known[programme] == NOT_QUALIFIED:
            return (
                f"enhanced_evidence.{programme}: Stripe reports this dispute "
                f"`{NOT_QUALIFIED}` for it (evidence_details.enhanced_eligibility)"
            )
        compliance = getattr(enhanced, programme)
        if isinstance(compliance, FeeAcknowledged) and not compliance.fee_acknowledged:
            return (
                f"enhanced_evidence.{programme}.fee_acknowledged: must be true for the "
                "compliance evidence to be submitted"
            )
    return None


def form(prefix: str, value: dict[str, Any]) -> dict[str, str]:
    """A nested object as Stripe's form fields, under `prefix`:
    `evidence[enhanced_evidence][visa_compelling_evidence_3][prior_undisputed_transactions][0][charge]`."""
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}[{key}]", inner)
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                walk(f"{prefix}[{i}]", inner)
        elif isinstance(value, bool):
            out[prefix] = "true" if value else "false"
        elif value is not None:
            out[prefix] = str(value)

    walk(prefix, value)
    return out


# --- the packet against Stripe's model --------------------------------------------------------


def text_chars(item: Any) -> int:
    """An item's text in characters (Stripe counts characters): held items know it
    (`text_chars`); held before that was kept, its UTF-8 bytes bound it from above."""
    chars = getattr(item, "text_chars", None)
    if chars is not None:
        return int(chars)
    if item.text:
        return len(item.text)
    held = getattr(item, "text_bytes", None)
    return int(held or 0)


def has_text(item: Any) -> bool:
    return bool(item.text or getattr(item, "stored", None))


def file_choice(items: Sequence[Any]) -> dict[str, list[Any]]:
    """The items whose file each file field would take: the desk's own items for a field
    replace the transaction records' for it (one file per field either way)."""
    out: dict[str, list[Any]] = {}
    for kind in sorted({i.kind for i in items if i.kind in FILE_FIELDS}):
        files = [i for i in items if i.kind == kind and i.ref]
        desk = [i for i in files if i.source == "reviewer"]
        chosen = desk or files
        refs: dict[str, Any] = {}
        for i in chosen:
            refs.setdefault(i.ref, i)
        out[kind] = list(refs.values())
    return out


def problems(items: Sequence[Any], limits: dict[str, Any]) -> list[str]:
    """What Stripe would refuse in this packet, each naming the field and by how much:
    a text in a file field, a file in a text field, two files for one field, a text field
    over `text_chars_per_field`, all fields over `text_chars_combined`."""
    found: list[str] = []
    per_field = limits.get("text_chars_per_field")
    combined_limit = limits.get("text_chars_combined")
    for kind, files in file_choice(items).items():
        if len(files) > 1:
            shown = ", ".join(str(i.ref) for i in files)
            found.append(
                f"{kind}: {len(files)} files ({shown}); Stripe takes one file per field "
                "(combine them into one, or use uncategorized_file)"
            )
    for i in items:
        if i.kind in FILE_FIELDS and not i.ref and has_text(i):
            found.append(
                f"{i.kind}: a text ({text_chars(i):,} characters) in a file field; Stripe "
                "takes a File ID there (put the text in a text field such as uncategorized_text)"
            )
        elif i.kind in TEXT_FIELDS and i.ref and not has_text(i):
            found.append(
                f"{i.kind}: a file ({i.ref}) in a text field; Stripe takes text there "
                "(use a file field such as uncategorized_file)"
            )
    for kind in sorted({i.kind for i in items if i.kind in TEXT_FIELDS}):
        chars = _field_chars(items, kind)
        if per_field and chars > per_field:
            found.append(
                f"{kind} is {chars:,} characters, {chars - per_field:,} over Stripe's "
                f"{per_field:,}-character limit per field"
            )
    total = combined_chars(items)
    if combined_limit and total > combined_limit:
        found.append(
            f"the evidence fields are {total:,} characters in all, {total - combined_limit:,} "
            f"over Stripe's {combined_limit:,}-character combined limit"
        )
    return found


def _field_chars(items: Sequence[Any], kind: str) -> int:
    texts = [text_chars(i) for i in items if i.kind == kind and has_text(i)]
    return sum(texts) + len(JOIN) * max(len(texts) - 1, 0)


def combined_chars(items: Sequence[Any]) -> int:
    """The characters Stripe counts for the packet: its text fields as sent and its
    file fields' IDs."""
    texts = sum(_field_chars(items, k) for k in {i.kind for i in items if i.kind in TEXT_FIELDS})
    return texts + sum(len(str(f[0].ref)) for f in file_choice(items).values() if f)
