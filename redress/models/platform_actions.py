"""A platform complaint's actions: the reviewers' (P2–P9) and the user's own events (role
`user`, by webhook), as the API and the workflow parse them, and which role takes which."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from redress.models.case import Role
from redress.models.platform_complaint import (
    Channel,
    Counterparty,
    EvidenceList,
    Supplement,
)
from redress.models.values import (
    Amount,
    Ident,
    Note,
    Plain,
    Text,
)


class Accept(BaseModel):
    """P2: the complaint is accepted (已受理) and registered under its case ID."""

    type: Literal["accept"] = "accept"
    note: Note = ""


class Reject(BaseModel):
    """P2: not accepted; the user is told why and what to change."""

    type: Literal["reject"] = "reject"
    reason: Text
    changes: Note = ""  # what the user should change to complain again


class RecordVerification(BaseModel):
    """P3: the identity check's result: a verdict, since a refund above the threshold
    relies on it."""

    VERDICT: ClassVar[bool] = True

    type: Literal["record_verification"] = "record_verification"
    passed: bool
    method: Literal["otp", "id_document"]
    note: Note = ""


class MarkComplex(BaseModel):
    """P6: several platforms or third parties: the deadline moves to the complex one."""

    type: Literal["mark_complex"] = "mark_complex"
    reason: Text


class RecordAuthorization(BaseModel):
    """P5: the user authorised contacting the merchant or bank."""

    type: Literal["record_authorization"] = "record_authorization"
    counterparties: Annotated[list[Counterparty], Field(min_length=1)] = ["merchant", "bank"]
    note: Note = ""


class ContactCounterparty(BaseModel):
    """P5: ask the merchant or the bank (only with the user's authorization)."""

    type: Literal["contact_counterparty"] = "contact_counterparty"
    counterparty: Literal["merchant", "bank"]
    message: Text


class Compensation(BaseModel):
    """P7: exactly one of a refund (through the payments gateway), points or a coupon."""

    model_config = ConfigDict(extra="forbid")

    refund: Amount | None = None
    points: Annotated[int, Field(gt=0, le=10_000_000)] | None = None
    coupon: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Plain]
        | None
    ) = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Compensation:
        given = [k for k in ("refund", "points", "coupon") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of refund, points or coupon")
        return self


class Conclude(BaseModel):
    """P7, P8: the result, its basis, and for an upheld complaint the compensation."""

    VERDICT: ClassVar[bool] = True

    type: Literal["conclude"] = "conclude"
    upheld: bool
    basis: Text
    compensation: Compensation | None = None

    @model_validator(mode="after")
    def _compensation_when_upheld(self) -> Conclude:
        if self.upheld and self.compensation is None:
            raise ValueError("an upheld complaint needs a compensation (refund, points or coupon)")
        if not self.upheld and self.compensation is not None:
            raise ValueError("a complaint not upheld has no compensation")
        return self

    def moves_money(self) -> bool:
        return self.compensation is not None and self.compensation.refund is not None


class AddNote(BaseModel):
    """An internal note: in the timeline for reviewers, never shown to the user."""

    type: Literal["note"] = "note"
    text: Text


# The user's own events, as the intake delivers them (role `user`).


class Supplemented(BaseModel):
    type: Literal["supplement"] = "supplement"
    event_id: str
    complaint: Supplement


class Confirm(BaseModel):
    type: Literal["confirm"] = "confirm"
    event_id: str


class Object(BaseModel):
    type: Literal["object"] = "object"
    event_id: str
    reason: Text


class Link(BaseModel):
    """Another complaint by the same user about the same trade, while this case is open."""

    type: Literal["link"] = "link"
    event_id: str
    complaint_id: Ident
    channel: Channel
    evidence: EvidenceList = Field(default_factory=list)


Action = Annotated[
    Accept
    | Reject
    | RecordVerification
    | MarkComplex
    | RecordAuthorization
    | ContactCounterparty
    | Conclude
    | AddNote
    | Supplemented
    | Confirm
    | Object
    | Link,
    Field(discriminator="type"),
]
ACTIONS: TypeAdapter[Action] = TypeAdapter(Action)


_DESK = frozenset(
    {
        "accept",
        "reject",
        "record_verification",
        "mark_complex",
        "record_authorization",
        "contact_counterparty",
        "conclude",
        "note",
    }
)
ROLE_ACTIONS: dict[Role, frozenset[str]] = {
    "agent": _DESK,
    "supervisor": _DESK,
    "platform": _DESK,
    "user": frozenset({"supplement", "confirm", "object", "link"}),
}
# Decisions only a supervisor (or the platform role) takes: an acceptance escalated after
# its clock, a verification hold, the review of an objection.
SUPERVISORS: frozenset[Role] = frozenset({"supervisor", "platform"})
