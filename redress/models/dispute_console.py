"""What the console's case page offers of a dispute's actions (`CaseKind.console_offer`):
the forms and fields the workflow's own checks would take, so a desk is shown none it can
only be refused. Read from the case view's details, as the workflow shows them."""

from __future__ import annotations

from typing import Any

from redress.models.stripe_evidence import APPEAL_STAGE, NOT_QUALIFIED, PROGRAMMES


def offered(view: Any, action_type: str) -> frozenset[str] | None:
    """None: the action is not offered; else the fields of its form left out."""
    details: dict[str, Any] = view.details or {}
    if view.status == "not_answerable":
        return None  # the provider allows no answer
    if action_type == "submit_defense" and details.get("defendable") is False:
        return None
    if action_type != "add_evidence":
        return frozenset()
    hidden: set[str] = set()
    stripe = details.get("provider") == "stripe"
    eligible = details.get("enhanced_eligibility") or {}
    programmes = [p for p in PROGRAMMES if eligible.get(p, NOT_QUALIFIED) != NOT_QUALIFIED]
    if not stripe or not programmes:
        hidden.add("enhanced_evidence")
    else:
        hidden |= {f"enhanced_evidence.{p}" for p in PROGRAMMES if p not in programmes}
    if not stripe or details.get("provider_status") != APPEAL_STAGE:
        hidden.add("appeal")
    return frozenset(hidden)
