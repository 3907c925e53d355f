"""What every kind of case shares: the case envelope, the timeline, penalties, reviewer
commands, the workflow's input and result. The value types (IDs, money, currencies) are in
`values.py`, what a case asks of its activities (notices, refunds, projection) in
`effects.py`.

These pydantic models are the workflows' and activities' inputs and outputs (through
temporalio's pydantic data converter) and the API's request/response bodies, so a field
means the same thing at every hop. A kind's own models live beside this module.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from redress.models.values import Ident, Plain, incoming
from redress.policy import PolicySnapshot

Role = Literal["agent", "supervisor", "platform", "user"]
ROLES: tuple[Role, ...] = ("agent", "supervisor", "platform")
# Roles only the verified intake carries (the user's and the providers' events, delivered
# as `user`): anything else claiming one is a forgery, and the signal path refuses it.
INTAKE_ROLES: frozenset[Role] = frozenset({"user"})
# The platform's word decides a case: whatever it does counts as a verdict.
VERDICT_ROLES: frozenset[Role] = frozenset({"platform"})
Locale = Literal["zh-CN", "en"]
PenaltyState = Literal["active", "appealed", "revoked", "upheld", "final"]


_ADDRESS = {
    "sms": re.compile(r"^\+?[0-9]{6,15}$"),  # E.164 or a national mobile number
    "email": re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"),
    "app": re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"),  # the user's in-app ID
}


class Contact(BaseModel):
    channel: Literal["sms", "email", "app"]
    address: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), Plain
    ]

    @model_validator(mode="after")
    def _fits_channel(self, info: ValidationInfo) -> Contact:
        if incoming(info) and not _ADDRESS[self.channel].fullmatch(self.address):
            raise ValueError(f"address is not a valid {self.channel} address")
        return self


class CaseUser(BaseModel):
    """The person the case is about: notices reach them by `contact`, in `locale`."""

    id: Ident
    locale: Locale = "zh-CN"
    contact: Contact


# --- reviewer commands ------------------------------------------------------------------


class CaseAction(BaseModel):
    """One reviewer action, as the Update `act` or the Signal `act_signal` carries it.

    `action` is a JSON object with a `type`; each kind parses it with its own action models
    (the registry's), so one pair of handlers serves every kind."""

    actor: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    role: Role
    action: dict[str, Any]
    request_id: str | None = None
    # The actor's display name (the API token's `name=`), put on the timeline entries the
    # action makes; commands recorded before it existed carry none.
    actor_name: Annotated[str, StringConstraints(max_length=80), Plain] | None = None

    @field_validator("action", mode="before")
    @classmethod
    def _as_object(cls, value: Any) -> Any:
        # Callers in Python may hand in the action model itself.
        return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def moves_money(action: BaseModel) -> bool:
    """Whether taking `action` moves or concedes money: its model says so with a
    `moves_money()` method (a refund; a conclusion whose compensation is a refund; an
    accepted dispute). The API asks for an Idempotency-Key, the signal path for the
    policy's leave, by this one declaration."""
    check = getattr(action, "moves_money", None)
    return bool(check()) if callable(check) else False


def is_verdict(action: BaseModel) -> bool:
    """Whether `action` is a verdict on a case (its model's `VERDICT`): a platform's
    decision, an appeal's, a complaint's conclusion."""
    return bool(getattr(action, "VERDICT", False))


# --- the case as a workflow holds it ----------------------------------------------------


class AppealRecord(BaseModel):
    statement: str
    evidence: list[str]
    filed_at: datetime
    actor: str
    decided_at: datetime | None = None
    decided_by: str | None = None
    note: str = ""


class Penalty(BaseModel):
    id: str
    reason: str
    points: int
    state: PenaltyState = "active"
    imposed_at: datetime
    appeal_deadline: datetime
    review_deadline: datetime | None = None
    appeal: AppealRecord | None = None


class TimelineEvent(BaseModel):
    """One line of the negotiation history (协商历史); extra fields carry the details."""

    model_config = ConfigDict(extra="allow")

    at: datetime
    type: str
    actor: str
    # Who the actor is to people (an API token's display name), when the action named one.
    actor_name: str | None = None


class MissedDeadline(BaseModel):
    name: str
    at: datetime


class CaseView(BaseModel):
    """The case envelope: the same fields for every kind, plus `details` for what only one
    kind has. Merchant complaints also fill `trade_no`, `refunded`, `category`, `locale`."""

    case_id: str
    workflow_id: str
    kind: str
    status: str
    outcome: str | None = None
    merchant_id: str
    trade_no: str | None = None
    amount: Decimal
    refunded: Decimal = Decimal("0")
    currency: str
    category: str | None = None
    locale: Locale = "zh-CN"
    created_at: datetime
    closed_at: datetime | None = None
    policy: str
    deadlines: dict[str, datetime] = Field(default_factory=dict)
    penalties: list[Penalty] = Field(default_factory=list)
    timeline: list[TimelineEvent] = Field(default_factory=list)
    version: int = 0
    # The order of this state among everything the case's runs ever wrote: the history's
    # length (over all runs) when it was made, then `version`. A state made in a workflow
    # task that was lost (a worker killed before completing it) has a shorter history than
    # anything after it, so it can never hide the state that replaced it in the store.
    seq: int = 0
    priority: Literal["regular", "urgent"] = "regular"
    # Disputes: the round (a pre-arbitration is round 2) and the evidence packet as it
    # stands (`packet.missing`: the required evidence still lacking). None for other kinds.
    round: int | None = None
    packet: dict[str, Any] | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    # When the deadline watchdog found the case stalled (a deadline passed and nothing moved
    # it), from the case store; never set by the workflow.
    stalled_since: datetime | None = None
    # A deadline the case missed and has not moved on from (its workflow dropped it from
    # `deadlines` when it came), from the case store (redress/store/missed.py); never set
    # by the workflow.
    missed_deadline: MissedDeadline | None = None
    # Entries of the whole timeline before `timeline[0]` (a continued run holds only the
    # newest); the store's projection splices them back, so what it shows starts at 0.
    timeline_from: int = 0


class CarriedState(BaseModel):
    """A case's state handed to its next run when its history grows long (continue-as-new):
    the kernel's part and the kind's own (`kind`)."""

    status: str
    outcome: str | None
    closed_at: datetime | None
    timeline: list[TimelineEvent]
    fired: list[str]
    refunded: Decimal
    refunds: int
    version: int
    penalties: list[Penalty]
    kind: dict[str, Any] = Field(default_factory=dict)
    history_before: int = 0  # history events of every earlier run (for `CaseView.seq`)
    # Request IDs of actions taken (newest last, bounded), so a signal repeated after the
    # run changed still acts once; and how many signals the case received (audit keys).
    requests: list[str] = Field(default_factory=list)
    signals: int = 0
    # Timeline entries before `timeline[0]`: a long case hands over only its newest ones
    # (`limits.carried_timeline_bytes`); the case store keeps the whole timeline.
    timeline_from: int = 0


class CaseInput(BaseModel):
    """What every kind's workflow input carries beside the source's own record."""

    case_id: str
    source: str
    policy: PolicySnapshot
    received_at: datetime
    event_id: str | None = None
    # The kind's rules as of the case's start: inputs recorded before a rule change read
    # as 1, so running cases replay what they recorded (docs/contributing.md, "Changing a
    # workflow").
    rules: int = 1
    # Idempotency keys carry the case's first run (every case the intake opens now), so a
    # case opened again under the same ID never collides with an earlier one's keys.
    run_keys: bool = False
    carried: CarriedState | None = None  # set when a run continues an earlier one


class ActionReceipt(BaseModel):
    """What the Update `act` returns: small, since every result is kept in the history.
    The whole case is the Query `case` (or the store's projection) at this version."""

    case_id: str
    status: str
    outcome: str | None
    version: int


class CaseResult(BaseModel):
    case_id: str
    status: str
    outcome: str | None
    points: int
    refunded: Decimal
