"""Webhook providers: one module per signature scheme and event format.

A provider verifies a delivery (its own signature scheme), then maps the parsed JSON to a
kind of case and that kind's event model. Everything around it (size limit, JSON parsing,
Unicode checks, validation errors, starting the case, the answer) is the shared path in
`redress.api.webhooks`, so a new provider is its verifier and its event mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


class Unhandled(Exception):
    """A verified event of a type redress takes no action on: answered 2xx and recorded
    (by the provider's event ID), never an error the provider would retry."""

    def __init__(self, event_id: str, event_type: str) -> None:
        super().__init__(f"{event_type} is not handled")
        self.event_id = event_id
        self.event_type = event_type


class Record(Exception):
    """A verified event that opens no case but is kept as a row (a settled transaction, a
    fraud report): the shared path calls `write(engine, provider)`, idempotent by the row's
    own ID (True: it was new), and answers 200."""

    def __init__(self, event_id: str, event_type: str, write: Callable[[Any, str], bool]) -> None:
        super().__init__(f"{event_type} is recorded")
        self.event_id = event_id
        self.event_type = event_type
        self.write = write


@dataclass(frozen=True)
class Inbound:
    """One verified event, mapped: the kind it belongs to and its body as that kind's model."""

    kind: CaseKind
    event: BaseModel
    event_id: str


class Provider(Protocol):
    name: str
    replay_window: timedelta  # how long a verified delivery could be sent again
    # The body the provider requires in a 2xx answer (Antom resends otherwise); None: ours.
    ack: dict[str, Any] | None

    def verify(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """Raise `Rejected` unless the headers authenticate the body and are fresh; return
        the delivery's verified, normalized identity (the shared path refuses a second
        delivery with it), or None where the provider's scheme has none."""

    def parse(self, payload: Any) -> Inbound:
        """Map the JSON payload to a kind's event; `Rejected` (422) says what is wrong,
        `Unhandled` that it is a type redress records but does not act on."""


def single_header(headers: Mapping[str, str], name: str) -> str | None:
    """The one value of header `name` (any case), None if absent; a header given twice is
    refused: which of two signatures counts is not a question to answer."""
    getlist = getattr(headers, "getlist", None)
    if getlist is not None:  # Starlette's Headers: case-insensitive, every value
        values = list(getlist(name))
    else:
        values = [v for k, v in headers.items() if k.lower() == name]
    if len(values) > 1:
        raise Rejected(400, f"the {name} header is given more than once")
    return values[0] if values else None


def kind_for(provider: str, event_type: str) -> CaseKind | None:
    """The registered kind that takes the provider's event type (its registry entry's
    `provider_events`), looked up when a delivery is parsed; None: no kind takes it."""
    from redress import kinds

    return kinds.by_provider_event(provider, event_type)
