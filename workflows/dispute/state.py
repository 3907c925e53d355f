"""A dispute's state (`DisputeState`, carried whole to a continued run), its alarms and
effects, and the facts an event gives the case."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from temporalio import workflow

from workflows.kernel import CaseFacts, KindState

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, BeforeValidator, Field

    from redress.models.dispute import DESK_USER, DisputeEvent
    from redress.models.evidence import EvidenceItem, HeldEvidence

CLOSING = {"won": "won", "lost": "lost", "accepted": "accepted", "withdrawn": "withdrawn"}
# Behaviour changes, each taken where the new code would first act differently (so a case
# already running takes it from its next such event, and a recorded history replays):
# a later event no longer moves the merchant, the charge, the currency, or the amount
# except by the provider's documented events; a provider date the case cannot count on
# is recorded and left out instead of raising in the workflow task.
FACTS_FIXED = "dispute-facts-fixed"
DATES_CHECKED = "dispute-dates-checked"
# Every status the providers document: response stages (`phase`: an appeal, a retrieval
# request's materials refused, an inquiry becoming a chargeback) open the next round
# whatever order they arrive in, with their own due time and packet; a dispute the
# provider allows no response to waits as `not_answerable` with no timers; the policy's
# automatic action acts only on a stage it knows to be defendable and escalates to a
# supervisor elsewhere (and on an empty packet); money moved is kept by its currency.
LIFECYCLE = "dispute-lifecycle"
# The provider's evidence model (Stripe: a text never in a file field, one file per field,
# the character limits) decides whether the packet can go, before the policy submits it
# and before the desk's submission.
EVIDENCE_CHECKED = "dispute-evidence-checked"
# A verdict stamped at the very instant the current round opened (Stripe's `created` is in
# whole seconds: the lost close and the appeal can share one) is the round before's, whatever
# order the two arrive in: the new round stays open.
ROUND_VERDICTS = "dispute-round-verdicts"
# An `evidence_added` entry gives the size of the texts added (`text_chars`, `text_bytes`)
# beside the files' `bytes`.
EVIDENCE_SIZES = "dispute-evidence-sizes"


class DisputeAlarm(StrEnum):
    RESPOND_BY = "respond_by"  # the provider's due time: no response, the case expires
    SUBMIT_BY = "submit_by"  # the due time less the safety margin: the policy acts
    REMINDER = "reminder"  # before the due time, about the round
    REOPEN_WINDOW = "reopen_window"  # a closed case's wait for a new round ends


class DisputeEffect(StrEnum):
    RECORDS = "records"  # the transaction's stored records, for the packet (C1)
    AUTO_ACCEPT = "auto_accept"  # nobody acted, below the policy's amount: accept
    AUTO_SUBMIT = "auto_submit"  # nobody acted: submit the packet as it stands


class Amount(BaseModel):
    amount: Decimal
    currency: str


def _held_or_inline(items: Any) -> Any:
    """Items are read back as they were held: a held item (its text in the case store,
    rules 2) carries `stored`, an item held inline does not."""
    if not isinstance(items, list):
        return items
    return [
        (HeldEvidence if "stored" in i else EvidenceItem).model_validate(i)
        if isinstance(i, dict)
        else i
        for i in items
    ]


HeldItems = Annotated[list[HeldEvidence | EvidenceItem], BeforeValidator(_held_or_inline)]


class DisputeState(KindState):
    """What the provider's events and the desk change as the case goes; a continued run
    reads it back from the JSON the run before handed over (the same names)."""

    round: int = 1  # a pre-arbitration or second chargeback is the next round
    due_by: datetime | None = None  # the provider's due time, to the second
    latest: datetime | None = None  # the newest provider timestamp applied
    raw_status: str | None = None
    seen: list[str] = Field(default_factory=list)  # event IDs applied (the last few hundred)
    evidence: HeldItems = Field(default_factory=list)  # the desk's (replaced, not changed)
    submitted: dict[int, str] = Field(default_factory=dict)  # round → provider's reference
    money: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "withdrawn": Decimal(0),
            "reinstated": Decimal(0),
            "fees": Decimal(0),
        }
    )
    escalated: bool = False
    reopen_until: datetime | None = None
    phase: str | None = None  # the round's response stage (`Phase`), as the provider said
    defendable: bool | None = None  # as the provider said (None: it did not say)
    round_at: datetime | None = None  # the provider's time of the event that opened the round
    round_from: int = 0  # the round's packet: the evidence from this index (and the records)
    # Money moved by currency (the balance's may not be the dispute's): currency → kind →
    # amount (withdrawn, reinstated, fees, deducted).
    moved: dict[str, dict[str, Decimal]] = Field(default_factory=dict)
    network: str | None = None
    # Stripe's enhanced evidence programmes the dispute is eligible for (type → status,
    # from `enhanced_eligibility_types` and `evidence_details.enhanced_eligibility`), and
    # the desk's `enhanced_evidence` as Stripe's API names it.
    eligibility: dict[str, str] | None = None
    enhanced: dict[str, Any] | None = None
    appeal: dict[str, Any] | None = None  # Stripe's `evidence.appeal`, as its API names it
    facts: Amount  # as the newest event that may change them left them
    amount_known: bool = True
    trade_no: str | None = None  # the charge, once an event named it


def facts_of(e: DisputeEvent, before: CaseFacts | None = None) -> CaseFacts:
    return CaseFacts(
        merchant_id=e.merchant_id,
        amount=e.amount if e.amount is not None else (before.amount if before else Decimal(0)),
        currency=e.currency or (before.currency if before else "USD"),
        created_at=before.created_at if before else e.occurred_at,
        user=DESK_USER,
        trade_no=e.charge or (before.trade_no if before else None),
        category=e.category,
    )


def representable(at: datetime) -> bool:
    """An instant that has a UTC time (year 9999 at -08:00 has none)."""
    try:
        at.astimezone(UTC)
    except OverflowError:
        return False
    return True


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None
