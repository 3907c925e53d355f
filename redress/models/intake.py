"""What a kind's intake mapping gets (the event's context) and gives back (a case start)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from redress.models.case import CaseInput
from redress.policy import Policy


@dataclass(frozen=True)
class IntakeContext:
    source: str  # the provider the event came from: `generic`, `stripe`, …
    policy: Policy
    now: datetime
    case_id: Callable[[str], str]  # the source's own ID → case ID (= workflow ID)


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
