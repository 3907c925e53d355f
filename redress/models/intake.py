"""What a kind's intake mapping gets (the event's context) and gives back (a case start)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redress.models.case import CaseInput
from redress.policy import Policy, format_duration


class IntakeRefused(ValueError):
    """The event is well formed but cannot open a case; `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class IntakeContext:
    source: str  # the provider the event came from: `generic`, `stripe`, …
    policy: Policy
    now: datetime
    case_id: Callable[[str], str]  # the source's own ID → case ID (= workflow ID)

    def created_at(self, value: datetime, field: str) -> datetime:
        """The source's creation time, if the policy lets a case open on it."""
        rules = self.policy.intake
        try:
            too_old, ahead = value < self.now - rules.max_age, value > self.now + rules.max_ahead
        except OverflowError:
            too_old, ahead = False, True
        if too_old:
            age = format_duration(rules.max_age)
            raise IntakeRefused(field, f"more than {age} in the past (policy intake.max_age)")
        if ahead:
            lead = format_duration(rules.max_ahead)
            raise IntakeRefused(field, f"more than {lead} in the future (policy intake.max_ahead)")
        return value


@dataclass(frozen=True)
class CaseStart:
    """One workflow start: its input and what the Web UI shows from the first moment."""

    case_id: str
    merchant_id: str
    status: str
    next_deadline: datetime | None
    summary: str  # IDs, amounts, categories: never personal data
    input: CaseInput
    search_attributes: list[Any] = field(default_factory=list)  # kind's own SearchAttributePairs
    # Complaints with the same link key (same user, same trade) while this case is open are
    # linked to it instead of opening another; None: never linked.
    link_key: str | None = None
    # What a linked complaint tells the open case (a `user` action), if one is linked.
    link_action: dict[str, Any] | None = None
    # The case exists already (a later event of the same source case): deliver this `user`
    # action to it instead of answering "duplicate".
    existing_action: dict[str, Any] | None = None
    # A row the kind keeps about the event in its own tables, `(engine, source) → None`,
    # written (idempotently) once the start is certain and before the answer, so the next
    # event the provider sends finds it (a payment's success finds its failure case).
    record: Callable[[Any, str], None] | None = None


@dataclass(frozen=True)
class CaseMessage:
    """An event about a case already open (the user's supplement, confirmation, …): the
    intake delivers `action` to it as the Update `act`, with the role `user`."""

    case_id: str
    actor: str
    action: dict[str, Any]


@dataclass(frozen=True)
class CaseNews:
    """An event that opens no case (a payment that succeeded or was captured): `record`
    writes it to the kind's own tables and returns the open cases it concerns, `(engine,
    source) → case IDs`; each is then told `action` (a `user` action) if still open.
    `case_id` is the case the event names, for the answer, open or not."""

    case_id: str
    record: Callable[[Any, str], list[str]]
    action: dict[str, Any]
