"""Card disputes and chargebacks (rules C1–C6, SPEC §2–§3; seeds/000 Antom's dispute guide,
seeds/001 POS chargebacks): one provider event as redress reads it, the reviewer actions,
the workflow input, and how the intake opens a case (the evidence and the requests to the
provider: `evidence.py`).

Providers (`redress/providers/stripe.py`, `antom.py`) verify their own signatures and map
their own payloads, field names as they send them, to `DisputeEvent`: one normalized event
per provider event, with the provider's own timestamp, so the workflow can keep the newest
state whatever order the events arrive in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    PrivateAttr,
    StringConstraints,
    TypeAdapter,
)

from redress.deadlines import DeadlineRule
from redress.models.case import CaseInput, CaseUser, Contact, Role
from redress.models.evidence import Category, Provider
from redress.models.evidence_action import EvidenceGiven
from redress.models.intake import CaseStart, IntakeContext, IntakeRefused
from redress.models.values import Ident, Note
from redress.policy import (
    Duration,
    MonitoringPolicy,
    Policy,
    PolicySection,
    PolicySnapshot,
    format_duration,
)

KIND = "dispute"
# The due time less the safety margin: the policy submits (or accepts) when it comes, so it
# is never a deadline the case missed (`CaseKind.automatic_deadlines`).
SUBMIT_BY = "submit_by"
# The rules new cases run on. 2: evidence texts and the transaction's records are held in
# the case store, the workflow keeps references and sizes (bounded whatever arrives).
RULES = 2

Stage = Literal[
    "needs_response",  # a response is due by `due_by`
    "under_review",  # evidence submitted (or none possible): the network decides
    "won",
    "lost",
    "accepted",  # the merchant accepted liability
    "withdrawn",  # the cardholder or issuer withdrew it (or an inquiry closed)
]
# not_answerable: the provider says no response is possible (Stripe `evidence_details.due_by`
# 0, or none while the status asks for one: "the bank does not allow a response"); the case
# has no timers and waits for the provider's verdict.
CaseStatus = Literal["needs_response", "submitted", "not_answerable", "closed"]
# Which response stage an event is about (`DisputeEvent.phase`). A round whose phase ranks
# higher than the current one's is the next round (an appeal after a chargeback, a
# chargeback after an inquiry or a retrieval request); the policy's automatic action acts
# only on `AUTO_PHASES`, anywhere else it escalates to a supervisor.
Phase = Literal["inquiry", "retrieval", "chargeback", "compliance", "appeal"]
PHASE_RANK: dict[str, int] = {
    "inquiry": 0,
    "retrieval": 0,
    "chargeback": 1,
    "compliance": 1,
    "appeal": 2,
}
AUTO_PHASES = frozenset({"inquiry", "chargeback"})
Outcome = Literal["won", "lost", "accepted", "expired", "withdrawn"]


# --- the kind's policy section ------------------------------------------------------


class ProviderLimits(BaseModel):
    """What a provider accepts in one submission (C2's packet must fit), checked when
    evidence is added and again on the body before it goes."""

    per_file_bytes: int | None = Field(default=None, ge=1)
    combined_bytes: int | None = Field(default=None, ge=1)
    base64_chars: int | None = Field(default=None, ge=1)  # the encoded document's length
    text_chars_per_field: int | None = Field(default=None, ge=1)  # Stripe: one text field
    text_chars_combined: int | None = Field(default=None, ge=1)  # Stripe: all fields together


class DisputePolicy(BaseModel):
    """Chargebacks and card disputes, rules C1–C6 (seeds/000, seeds/001). The due time
    itself is the provider's; these are what redress does around it."""

    reminders_before: list[Duration]  # early warnings to the merchant desk before due_by
    safety_margin: Duration  # a defence must be in by due_by minus this
    # Nobody acted by the margin: below these amounts (per currency) accept, otherwise
    # submit the packet as it stands and escalate to a supervisor.
    auto_accept_below: dict[str, Decimal] = Field(default_factory=dict)
    # submit_defense above these amounts is a supervisor's (per currency; unlisted: none).
    supervisor_above: dict[str, Decimal] = Field(default_factory=dict)
    reopen_window: Duration  # a closed case waits this long for a new round (pre-arbitration)
    # C2: evidence kinds each reason category needs.
    required: dict[str, list[str]] = Field(default_factory=dict)
    limits: dict[str, ProviderLimits] = Field(default_factory=dict)  # by provider
    monitoring: MonitoringPolicy = Field(default_factory=MonitoringPolicy)
    max_evidence_items: int = Field(default=200, ge=1)
    # The reviewers' evidence text per case, UTF-8 in all (kept in the case store; the
    # workflow holds references and sizes).
    max_evidence_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    history_limit: int = Field(default=10_000, ge=20)
    # The provider's due time, against the event's own time: networks give days to weeks
    # to respond, so a due time further ahead is a broken field (year 9999), not a deadline.
    due_within: Duration = Field(default=timedelta(days=120))
    # A closed or money event may come months after its due time passed; one due further
    # back than this is a broken field (year 1).
    due_past_within: Duration = Field(default=timedelta(days=365))

    def deadline_rules(self) -> list[DeadlineRule]:
        """The case's deadlines and what each counts from (`redress policy check`)."""
        margin = format_duration(self.safety_margin)
        return [
            DeadlineRule("respond_by", None, "the provider's event", "the provider's due time"),
            DeadlineRule(SUBMIT_BY, None, "the provider's event", f"due time - {margin}"),
            DeadlineRule("reopen_window", self.reopen_window, "closing"),
        ]

    def sample_due_in(self) -> timedelta:
        """How far ahead a sample dispute is due: past the safety margin by the earliest
        reminder's lead, so every reminder and the margin are still ahead of it."""
        return self.safety_margin + max(self.reminders_before, default=self.safety_margin)


SECTION = PolicySection("dispute", DisputePolicy)

# The providers' own event types this kind takes (its registry entry's `provider_events`):
# the providers ask the registry; any other verified event is recorded and not acted on.
PROVIDER_EVENTS: dict[str, frozenset[str]] = {
    "stripe": frozenset(
        {
            "charge.dispute.created",
            "charge.dispute.updated",
            "charge.dispute.closed",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.funds_reinstated",
        }
    ),
    "antom": frozenset(
        {
            "DISPUTE_CREATED",
            "DEFENSE_SUPPLIED",
            "DISPUTE_JUDGED",
            "DISPUTE_CANCELLED",
            "DISPUTE_ACCEPTED",
            "RDR_RESOLVED",
            "DEFENSE_DUE_ALERT",
        }
    ),
}


def rules_of(policy: Policy | PolicySnapshot) -> DisputePolicy:
    """The policy's (or a case's snapshot's) `[dispute]` section."""
    return policy.section(SECTION.name, DisputePolicy)


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
    # Money the provider moved for this dispute (funds_withdrawn / _reinstated, fees; Antom's
    # disputeJudgedAmount: deducted), in `funds_currency` (None: the dispute's currency).
    funds: Literal["withdrawn", "reinstated", "deducted"] | None = None
    funds_amount: Decimal | None = None
    fee: Decimal | None = None
    funds_currency: str | None = None
    phase: Phase | None = None  # the response stage it is about; None: the event does not say
    no_response: bool = False  # the provider says no response is possible (Stripe due_by 0)
    # As the provider reports them.
    has_evidence: bool | None = None
    submission_count: int | None = None
    is_charge_refundable: bool | None = None
    defendable: bool | None = None
    # Stripe's enhanced evidence programmes this dispute may take, type → eligibility status
    # (`enhanced_eligibility_types`, `evidence_details.enhanced_eligibility.<type>.status`).
    enhanced_eligibility: dict[str, str] | None = None
    round_hint: int | None = None  # a provider's own count of rounds, if it has one
    raw_status: str | None = None  # the provider's own status word
    # The provider's own name of each field, for a refusal at the webhook to name it
    # (`created`, `defenseDueTime`); never part of the case's input.
    _sources: dict[str, str] = PrivateAttr(default_factory=dict)

    def named(self, sources: dict[str, str]) -> DisputeEvent:
        self._sources = sources
        return self

    def source_name(self, field: str) -> str:
        return self._sources.get(field, field)


# The events whose `amount` may move the disputed amount, by provider (any other event
# naming another amount is a conflict, recorded). Stripe documents that a dispute's amount
# can differ from the charge's and keeps one dispute when the issuer corrects it: the
# dispute's own created/updated events carry it; funds and close events only restate it.
# Antom's disputeAmount is "returned when a dispute occurs" (DISPUTE_CREATED); a judged
# notification's disputeJudgedAmount is what was deducted, not what is disputed. No
# provider documents a dispute changing currency: the first event's currency stays.
AMOUNT_EVENTS: dict[str, frozenset[str]] = {
    "stripe": frozenset({"charge.dispute.created", "charge.dispute.updated"}),
    "antom": frozenset({"DISPUTE_CREATED"}),
}


class DisputeCaseInput(CaseInput):
    first: DisputeEvent  # the event that opened the case (any type: they come in any order)


# --- reviewer actions -------------------------------------------------------------------


class AddEvidence(EvidenceGiven):
    type: Literal["add_evidence"] = "add_evidence"


class SubmitDefense(BaseModel):
    type: Literal["submit_defense"] = "submit_defense"
    note: Note = ""


class AcceptDispute(BaseModel):
    type: Literal["accept_dispute"] = "accept_dispute"
    note: Note = ""

    def moves_money(self) -> bool:
        # The merchant concedes: the disputed funds go to the cardholder for good.
        return True


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


# --- intake -----------------------------------------------------------------------------


def case_id_of(provider: str, dispute_id: str) -> str:
    """One case per provider dispute: `dispute-<provider>-<dispute id>`."""
    return f"dispute-{provider}-{dispute_id}"


def open_case(event: DisputeEvent, ctx: IntakeContext) -> CaseStart:
    """Any first event opens the case (they come in any order); later ones are delivered to
    it as `provider_event` (`CaseStart.existing_action`)."""
    check_dates(event, ctx, rules_of(ctx.policy))
    case_id = case_id_of(event.provider, event.dispute_id)
    amount = f"{event.amount} {event.currency}" if event.amount is not None else "amount n/a"
    return CaseStart(
        case_id=case_id,
        merchant_id=event.merchant_id,
        # The provider allows no answer (Stripe due_by 0): shown so from the start.
        status="not_answerable" if event.no_response else "needs_response",
        next_deadline=event.due_by,
        summary=(
            f"Dispute {event.dispute_id} · {event.provider} · merchant {event.merchant_id} · "
            f"{amount} · {event.category}"
        ),
        input=DisputeCaseInput(
            case_id=case_id,
            source=event.provider,
            first=event,
            policy=ctx.policy.snapshot(ctx.now, sections=(SECTION.name,)),
            received_at=ctx.now,
            event_id=event.event_id,
            rules=RULES,
        ),
        existing_action=ProviderEvent(event=event).model_dump(mode="json"),
    )


def check_dates(event: DisputeEvent, ctx: IntakeContext, rules: DisputePolicy) -> None:
    """The provider's dates, before anything starts: the event's own time like any
    intake's (`intake.max_age` / `max_ahead`), the due time within the dispute policy's
    window around it; `IntakeRefused` (422) names the provider's field."""
    ctx.created_at(event.occurred_at, event.source_name("occurred_at"))
    if event.due_by is None:
        return
    field = event.source_name("due_by")
    early, late = due_window(event.occurred_at, rules)
    if late is not None and event.due_by > late:
        span = format_duration(rules.due_within)
        raise IntakeRefused(
            field, f"more than {span} after the event's own time (policy dispute.due_within)"
        )
    if early is not None and event.due_by < early:
        span = format_duration(rules.due_past_within)
        raise IntakeRefused(
            field,
            f"more than {span} before the event's own time (policy dispute.due_past_within)",
        )
    if late is None or early is None:  # the event's time itself is at the calendar's edge
        raise IntakeRefused(field, "outside the dates a deadline can be counted on")


def due_window(at: datetime, rules: DisputePolicy) -> tuple[datetime | None, datetime | None]:
    """The earliest and latest due time an event at `at` may give (None: not a date)."""
    try:
        early: datetime | None = at - rules.due_past_within
    except OverflowError:
        early = None
    try:
        late: datetime | None = at + rules.due_within
    except OverflowError:
        late = None
    return early, late


# Disputes have no end user to notify: notices go to the merchant's desk. The envelope's
# user is the merchant desk itself.
DESK_USER = CaseUser(id="desk", locale="en", contact=Contact(channel="app", address="desk"))
