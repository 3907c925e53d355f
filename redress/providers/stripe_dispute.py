"""What a Stripe dispute object says beyond its status: the response stage it asks for
(`payment_method_details.card.case_type`), the network the charge was processed on, and the
enhanced evidence programmes it is eligible for."""

from __future__ import annotations

import re
from typing import Any

from redress.models.dispute import Phase

NAME = re.compile(r"[\x21-\x7e]{1,64}")  # printable ASCII, as Stripe's enum values are
PHASES: dict[str, Phase] = {
    "warning_needs_response": "inquiry",
    "warning_under_review": "inquiry",
    "appeal_needs_response": "appeal",
    "appeal_under_review": "appeal",
}
# needs_response / under_review: the card's `case_type` says which (absent: a chargeback);
# `block` and `resolution` are no response stage redress knows to be defendable.
CASE_TYPES: dict[str, Phase] = {
    "chargeback": "chargeback",
    "inquiry": "inquiry",
    "compliance": "compliance",
}


def eligibility(dispute: dict[str, Any], details: dict[str, Any]) -> dict[str, str] | None:
    """The enhanced evidence programmes the dispute may take: its `enhanced_eligibility_types`
    (`visa_compelling_evidence_3`, `visa_compliance`, `mastercard_compliance`), each with its
    `evidence_details.enhanced_eligibility.<type>.status` where Stripe gives one
    (`qualified`, `requires_action`, `not_qualified`, `fee_acknowledged`, …). None: the
    event says nothing of it (an older API version)."""
    types = dispute.get("enhanced_eligibility_types")
    if not isinstance(types, list):
        return None
    statuses = details.get("enhanced_eligibility")
    statuses = statuses if isinstance(statuses, dict) else {}
    out: dict[str, str] = {}
    for kind in types[:10]:
        if not (isinstance(kind, str) and NAME.fullmatch(kind)):
            continue
        entry = statuses.get(kind)
        status = entry.get("status") if isinstance(entry, dict) else None
        fine = isinstance(status, str) and NAME.fullmatch(status)
        out[kind] = status if fine else "eligible"  # type: ignore[assignment]
    return out


def network(details: Any) -> str | None:
    """The card network the disputed charge was processed on, for the monitoring figures
    (C5): the dispute's `payment_method_details.card.network` ("Identifies which network this
    charge was processed on"). Not the `brand`: Stripe documents that as the card's brand,
    which for a co-badged card (`cartes_bancaires` processed on `visa`) is not the network
    the dispute counts against; without `network` the dispute's network is unknown (shown
    apart in the figures, counted in no programme)."""
    card = details.get("card") if isinstance(details, dict) else None
    network = card.get("network") if isinstance(card, dict) else None
    if not (isinstance(network, str) and network.isascii() and network.strip()):
        return None
    name = network.strip().lower()[:32]
    return None if name == "unknown" else name


def card(details: Any) -> dict[str, Any]:
    card = details.get("card") if isinstance(details, dict) else None
    return card if isinstance(card, dict) else {}


def phase(status: Any, card: dict[str, Any]) -> Phase | None:
    """The response stage a status is about: its own (warning_*, appeal_*), else the card's
    `case_type` for needs_response / under_review (absent: a chargeback)."""
    if not isinstance(status, str):
        return None
    if status in PHASES:
        return PHASES[status]
    if status not in ("needs_response", "under_review"):
        return None
    case_type = card.get("case_type")
    if case_type is None:
        return "chargeback"
    return CASE_TYPES.get(case_type) if isinstance(case_type, str) else None
