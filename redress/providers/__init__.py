"""Webhook providers: one module per signature scheme and event format.

A provider verifies a delivery (its own signature scheme), then maps the parsed JSON to a
kind of case and that kind's event model. Everything around it (size limit, JSON parsing,
Unicode checks, validation errors, starting the case, the answer) is the shared path in
`redress.api.webhooks`, so a new provider is its verifier and its event mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from pydantic import BaseModel

from redress.kinds import CaseKind


class Rejected(Exception):
    """The delivery is refused: `status` and a message that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Inbound:
    """One verified event, mapped: the kind it belongs to and its body as that kind's model."""

    kind: CaseKind
    event: BaseModel
    event_id: str


class Provider(Protocol):
    name: str
    replay_window: timedelta  # how long a verified delivery could be sent again

    def verify(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """Raise `Rejected` unless the headers authenticate the body and are fresh; return
        the delivery's verified, normalized identity (the shared path refuses a second
        delivery with it), or None where the provider's scheme has none."""

    def parse(self, payload: Any) -> Inbound:
        """Map the JSON payload to a kind's event; `Rejected` (422) says what is wrong."""
