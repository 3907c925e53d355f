"""A platform complaint's state (`PlatformState`, carried whole to a continued run), its
clocks, statuses and effects, and the facts the complaint gives the case."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from temporalio import workflow

from workflows.kernel import CaseFacts, KindState

with workflow.unsafe.imports_passed_through():
    from pydantic import Field, field_serializer

    from redress.models.platform_complaint import CaseStatus, Counterparty, PlatformComplaint


class Clock(StrEnum):
    """The case's deadlines (each while its status lasts), and the desk's reminders before
    the watched ones (`reminder`, about the deadline it warns of)."""

    SUPPLEMENT_BY = "supplement_by"  # P2: the missing items, or the complaint lapses
    ACCEPT_BY = "accept_by"  # P2: a reviewer's acceptance, or a supervisor decides
    VERIFY_BY = "verify_by"  # P3: the verification's result, or a hold
    TARGET_BY = "target_by"  # P6: the investigation's target
    INVESTIGATE_BY = "investigate_by"  # P6: its deadline, or a supervisor
    CONFIRM_BY = "confirm_by"  # P9: the user's confirmation, or silence accepts
    REVIEW_BY = "review_by"  # P9: a supervisor's review of an objection
    REMINDER = "reminder"


OPEN: tuple[CaseStatus, ...] = (
    "awaiting_info",
    "awaiting_acceptance",
    "awaiting_verification",
    "verification_hold",
    "investigating",
    "awaiting_confirmation",
    "escalated",
)
# Pre-acceptance statuses: after them the complaint is accepted (已受理).
BEFORE_ACCEPTANCE: tuple[CaseStatus, ...] = ("awaiting_info", "awaiting_acceptance")
# A supplement fills what is missing and never rewrites what the complaint gives (nor,
# once accepted, its amount, currency, merchant, trade or account): taken from the first
# supplement that would have rewritten one, so recorded histories replay as they ran.
FACTS_FIXED = "platform-facts-fixed"

# Deadlines the desk is reminded of before they pass.
WATCHED = (Clock.ACCEPT_BY, Clock.TARGET_BY, Clock.INVESTIGATE_BY, Clock.REVIEW_BY)

# The deadline the user is shown for each status, and what happens next (P10).
NEXT_STEP: dict[CaseStatus, tuple[str, Clock | None]] = {
    "awaiting_info": ("add_missing_information", Clock.SUPPLEMENT_BY),
    "awaiting_acceptance": ("acceptance_review", Clock.ACCEPT_BY),
    "awaiting_verification": ("identity_verification", Clock.VERIFY_BY),
    "verification_hold": ("supervisor_review", None),
    "investigating": ("investigation", Clock.INVESTIGATE_BY),
    "awaiting_confirmation": ("confirm_result", Clock.CONFIRM_BY),
    "escalated": ("supervisor_review", Clock.REVIEW_BY),
    "closed": ("none", None),
}


class PlatformState(KindState):
    """What the case's rules change as it goes; a continued run reads it back from the
    JSON the run before handed over (the same names)."""

    complaint: PlatformComplaint  # as it now stands (supplements, linked evidence)
    due: dict[Clock, datetime] = Field(default_factory=dict)  # running deadlines
    estimated: set[Clock] = Field(default_factory=set)  # counted through unpublished holidays
    escalated: bool = False  # waiting on a supervisor
    complex: bool = False
    authorized: set[Counterparty] = Field(default_factory=set)  # the user let us contact
    verification: dict[str, Any] = Field(default_factory=dict)  # method, request_id, passed
    investigation_from: datetime | None = None
    result: dict[str, Any] | None = None  # upheld, basis, compensation
    supplements: int = 0
    linked: list[str] = Field(default_factory=list)  # complaint IDs of the same case
    contacts: int = 0  # counterparty inquiries sent
    notes: int = 0  # internal notes (capped by the policy, rules 2)

    @field_serializer("estimated", "authorized")
    def _sorted(self, names: set[str]) -> list[str]:
        return sorted(names)


class PlatformEffect(StrEnum):
    VERIFICATION = "verification"  # P3: ask the verifier (an activity)


def facts_of(c: PlatformComplaint) -> CaseFacts:
    return CaseFacts(
        merchant_id=c.merchant_id or "",
        amount=c.amount if c.amount is not None else Decimal(0),
        currency=c.currency or "CNY",
        created_at=c.created_at,
        user=c.user,
        trade_no=c.trade_no,
        category=c.category,
    )
