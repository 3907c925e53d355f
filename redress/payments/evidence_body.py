"""The defence as each provider's API takes it, built from the packet's items (their texts
read back), and checked against the provider's limits on the body itself before it goes.

Stripe (`POST /v1/disputes/{id}`, form fields): each file field `evidence[<field>]` takes one
File ID (the item's `ref`; the desk's item for a field replaces the transaction records'),
each text field the item's text (several texts for one field joined by a blank line);
`evidence[appeal]` in Stripe's appeal stage;
a text held under a file field is that file's content (a notice sent to the customer) and is
not sent as text; `enhanced_evidence` as its nested form fields; `submit=true`. Antom
(`supplyDefenseDocument`): `disputeId` and `disputeEvidence`, the Base64 of the PDF rendered
from the packet (`defence_pdf.py`)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from redress.models import stripe_evidence as se
from redress.payments import defence_pdf


def stripe_body(
    items: Sequence[Any],
    enhanced: dict[str, Any] | None,
    limits: dict[str, Any],
    appeal: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], str | None]:
    """The form fields, and what Stripe would refuse in them (None: nothing)."""
    body: dict[str, Any] = {}
    for kind, files in se.file_choice(items).items():
        if files:
            body[f"evidence[{kind}]"] = files[0].ref
    for i in items:
        if i.kind in se.TEXT_FIELDS and i.text:
            key = f"evidence[{i.kind}]"
            body[key] = f"{body[key]}{se.JOIN}{i.text}" if key in body else i.text
    if enhanced:
        body.update(se.form("evidence[enhanced_evidence]", enhanced))
    if appeal:
        body.update(se.form("evidence[appeal]", appeal))
    body["submit"] = "true"
    found = se.problems(items, limits)
    return body, "; ".join(found) if found else None


def antom_body(
    dispute_id: str, items: Sequence[Any], heading: dict[str, str], limits: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """`supplyDefenseDocument`'s body, and by how much its document exceeds Antom's
    `base64_chars` (None: it fits)."""
    document = base64.b64encode(defence_pdf.render(heading, items)).decode("ascii")
    body = {"disputeId": dispute_id, "disputeEvidence": document}
    chars = limits.get("base64_chars")
    if chars and len(document) > chars:
        over = len(document) - chars
        return body, (
            f"the defence document is {len(document):,} Base64 characters, {over:,} over "
            f"Antom's {chars:,}-character limit (disputeEvidence)"
        )
    return body, None


def defense_body(
    provider: str,
    dispute_id: str,
    items: Sequence[Any],
    limits: dict[str, Any] | None = None,
    enhanced: dict[str, Any] | None = None,
    heading: dict[str, str] | None = None,
    appeal: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], str | None]:
    """The submission as the provider's API names it, and what it would refuse."""
    if provider == "stripe":
        return stripe_body(items, enhanced, limits or {}, appeal)
    return antom_body(dispute_id, items, heading or {"Dispute": dispute_id}, limits or {})
