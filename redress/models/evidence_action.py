"""What `add_evidence` carries: evidence items (Stripe's fields: a file `ref` for a file
field, a `text` for a text field), and/or Stripe's `enhanced_evidence` (VCE3, compliance)
where the dispute is eligible, and/or its `appeal` evidence in the appeal stage. The
workflow checks them against the provider's model (`stripe_evidence.py`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from redress.models.evidence import EvidenceItem
from redress.models.stripe_evidence import Appeal, EnhancedEvidence


class EvidenceGiven(BaseModel):
    # The schema says what `_something` checks.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["items"], "properties": {"items": {"minItems": 1}}},
                {
                    "required": ["enhanced_evidence"],
                    "properties": {"enhanced_evidence": {"type": "object"}},
                },
                {"required": ["appeal"], "properties": {"appeal": {"type": "object"}}},
            ]
        }
    )

    items: Annotated[list[EvidenceItem], Field(max_length=50)] = Field(default_factory=list)
    enhanced_evidence: EnhancedEvidence | None = None
    appeal: Appeal | None = None  # Stripe's `evidence.appeal`, in its appeal stage

    @model_validator(mode="after")
    def _something(self) -> EvidenceGiven:
        if not self.items and self.enhanced_evidence is None and self.appeal is None:
            raise ValueError("items: give at least one item, enhanced_evidence or appeal")
        return self
