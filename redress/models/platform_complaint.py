"""Platform-side complaints (rules P1–P10, seeds/004): a payment platform's own complaint
desk, for complaints its users file in the app, on the web form or by hotline. The
complaint as it arrives, the user's later events, the reviewer actions and the workflow
input; how the intake takes them is `platform_intake.py`."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from redress.deadlines import DeadlineRule
from redress.models.case import CaseInput, CaseUser
from redress.models.values import (
    Amount,
    Currency,
    EvidenceRef,
    Ident,
    Plain,
    Prose,
    Text,
    in_minor_units,
    incoming,
    known_currency,
)
from redress.policy import (
    Duration,
    Policy,
    PolicySection,
    PolicySnapshot,
    Span,
)

KIND = "platform_complaint"
# The rules new cases run on. 2: internal notes and linked complaints are capped by the
# policy (count and bytes), so a case's state stays bounded whatever arrives.
RULES = 2

# P1: what a complaint must hold to be accepted. One that lacks any is accepted for review
# (`awaiting_info`) and the user is told what to add (P2), never refused at the door.
REQUIRED = ("account", "trade_no", "trade_time", "amount", "description", "evidence")
# What the case is about: once the complaint is accepted these no longer change, not even
# to fill one that was missing (the merchant's desk, the verification threshold and the
# refund cap all follow from them).
FIXED = ("amount", "currency", "merchant_id", "trade_no", "account")

Channel = Literal["app", "web", "hotline"]
Counterparty = Literal["merchant", "bank"]
Category = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Plain
]
Account = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), Plain
]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000), Prose]
EvidenceList = Annotated[list[EvidenceRef], Field(max_length=20)]

CaseStatus = Literal[
    "awaiting_info",  # P2: items missing; the user was told which
    "awaiting_acceptance",  # P2: complete, a reviewer accepts or rejects (manual policy)
    "awaiting_verification",  # P3: amount above the threshold, identity being verified
    "verification_hold",  # P3: failed or no result: a supervisor decides
    "investigating",  # P5, P6
    "awaiting_confirmation",  # P9: result sent, the user confirms or objects
    "escalated",  # the user objected: a supervisor reviews
    "closed",
]


# --- the kind's policy section ------------------------------------------------------


class PlatformClocks(BaseModel):
    """One set of clocks of a platform complaint (regular, or the shorter urgent ones)."""

    acceptance: Duration  # P2: a complete complaint's acceptance decided within (24 h)
    target: Span  # P6: the investigation's target (3 working days)
    deadline: Span  # P6: its deadline (5 working days); escalation after it
    complex: Span  # P6: a complex case's deadline (7 working days)


class AcceptancePolicy(BaseModel):
    # true: complete complaints wait for a reviewer's accept or reject (P2's initial review)
    manual: bool = False


class PlatformComplaintPolicy(BaseModel):
    """Platform-side complaints, rules P1–P10 (seeds/004)."""

    acceptance: AcceptancePolicy = Field(default_factory=AcceptancePolicy)
    supplement_wait: Duration  # P2: an incomplete complaint lapses without a supplement
    # P3: identity verification for amounts strictly above these, per currency; a currency
    # not listed is always verified.
    verification_above: dict[str, Decimal]
    verification_wait: Duration  # P3: no result by then: held for a supervisor
    verification_method: Literal["otp", "id_document"] = "otp"  # P3: what the user is asked
    urgent_categories: list[str]  # P4: handled first, on the urgent clocks
    regular: PlatformClocks
    urgent: PlatformClocks
    reminders_before: list[Duration]  # P6: to the assignee before each deadline
    confirmation_wait: Duration  # P9: the user confirms within 7 days; silence accepts
    escalation_review: Span  # an objection's review by a supervisor
    max_supplements: int = Field(default=50, ge=1)  # the user's additions per case
    max_notes: int = Field(default=200, ge=1)  # internal notes per case (422 past it)
    note_bytes: int = Field(default=8192, ge=256)  # one note's text, UTF-8 (422 over it)
    max_links: int = Field(default=50, ge=1)  # other complaints linked to one case
    history_limit: int = Field(default=10_000, ge=20)
    refund_timeout: Duration = Field(default=timedelta(minutes=2))

    def deadline_rules(self) -> list[DeadlineRule]:
        """The case's deadlines and what each counts from (`redress policy check`)."""
        rules = [
            DeadlineRule("supplement_by", self.supplement_wait, "an incomplete complaint"),
            DeadlineRule("verify_by", self.verification_wait, "a verification request"),
        ]
        for name, clocks in (("regular", self.regular), ("urgent", self.urgent)):
            rules += [
                DeadlineRule("accept_by", clocks.acceptance, f"opening ({name}, manual)"),
                DeadlineRule("target_by", clocks.target, f"acceptance ({name})"),
                DeadlineRule("investigate_by", clocks.deadline, f"acceptance ({name})"),
                DeadlineRule("investigate_by", clocks.complex, f"acceptance ({name}, complex)"),
            ]
        return [
            *rules,
            DeadlineRule("confirm_by", self.confirmation_wait, "a conclusion"),
            DeadlineRule("review_by", self.escalation_review, "an objection"),
        ]


SECTION = PolicySection("platform_complaint", PlatformComplaintPolicy)


def rules_of(policy: Policy | PolicySnapshot) -> PlatformComplaintPolicy:
    """The policy's (or a case's snapshot's) `[platform_complaint]` section."""
    return policy.section(SECTION.name, PlatformComplaintPolicy)


class ComplaintDetails(BaseModel):
    """The fields a complaint carries and a supplement may add."""

    model_config = ConfigDict(extra="ignore")

    account: Account | None = None
    merchant_id: Ident | None = None  # the merchant involved, if any
    trade_no: Ident | None = None
    trade_time: AwareDatetime | None = None
    amount: Amount | None = None
    currency: Currency | None = None
    category: Category | None = None
    description: Description | None = None
    evidence: EvidenceList = Field(default_factory=list)

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        return None if value is None else known_currency(value)

    @model_validator(mode="after")
    def _amount_in_minor_units(self, info: ValidationInfo) -> ComplaintDetails:
        if incoming(info) and self.amount is not None:
            try:
                self.amount = in_minor_units(self.amount, self.currency or "CNY")
            except ValueError as err:
                raise ValueError(f"amount: {err}") from None
        return self


class PlatformComplaint(ComplaintDetails):
    id: Ident
    channel: Channel
    created_at: AwareDatetime
    user: CaseUser

    def missing(self) -> list[str]:
        """P1 items the complaint lacks, by field name."""
        return [name for name in REQUIRED if not getattr(self, name)]

    def overwrites(self, added: ComplaintDetails, accepted: bool) -> list[str]:
        """The fields a supplement may not take: any the complaint already gives (to
        another value: the same again is no change), and after acceptance the `FIXED` ones
        even where missing. Evidence only adds up."""
        refused = []
        given = added.model_dump(exclude_unset=True, exclude={"evidence", "id"})
        for name, value in given.items():
            if value in (None, ""):
                continue
            have = getattr(self, name, None)
            if name == "currency" and have is None and self.amount is not None:
                have = "CNY"  # an amount without a currency is in the platform's own
            if have in (None, ""):
                if accepted and name in FIXED:
                    refused.append(name)
            elif have != value:
                refused.append(name)
        return refused

    def merged(self, added: ComplaintDetails) -> PlatformComplaint:
        """The complaint with a supplement's fields; evidence adds up, the rest fills in."""
        # `id` names the complaint it came for (a linked one's, too), never a new number.
        fields = added.model_dump(exclude_unset=True, exclude={"evidence", "id"})
        fields = {k: v for k, v in fields.items() if v not in (None, "")}
        evidence = [*self.evidence, *(e for e in added.evidence if e not in self.evidence)]
        return self.model_copy(update={**fields, "evidence": evidence[:100]})


class ComplaintRef(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Ident


class Supplement(ComplaintDetails):
    id: Ident


class EventId(BaseModel):
    event_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class PlatformComplaintCreated(EventId):
    """The webhook body that opens a platform complaint (P1)."""

    type: Literal["platform_complaint.created"]
    complaint: PlatformComplaint


class PlatformComplaintSupplemented(EventId):
    """The user added what was missing, or more evidence (P2, P5)."""

    type: Literal["platform_complaint.supplemented"]
    complaint: Supplement


class PlatformComplaintConfirmed(EventId):
    """The user accepts the result (P9)."""

    type: Literal["platform_complaint.confirmed"]
    complaint: ComplaintRef


class PlatformComplaintObjected(EventId):
    """The user does not accept the result (P9): a supervisor reviews it."""

    type: Literal["platform_complaint.objected"]
    complaint: ComplaintRef
    reason: Text


class PlatformComplaintCaseInput(CaseInput):
    complaint: PlatformComplaint
