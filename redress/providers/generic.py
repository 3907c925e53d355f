"""`generic`: redress's own event format, signed with Standard Webhooks.

Body `{"event_id", "type", …}`; `type` names the event (`complaint.created`, …) and so the
kind of case, through the registry. Headers `webhook-id`, `webhook-timestamp`,
`webhook-signature` (HMAC-SHA256 over `id.timestamp.body`, 5 min tolerance).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from redress import kinds
from redress.api.errors import validation_detail
from redress.api.replay import ReplayGuard
from redress.api.signing import WebhookSigner, WebhookVerificationError
from redress.providers import Inbound, Rejected


class GenericProvider:
    name = "generic"

    def __init__(self, signer: WebhookSigner | None, replays: ReplayGuard) -> None:
        self.signer = signer
        self.replays = replays

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        if self.signer is None:
            raise Rejected(503, "REDRESS_WEBHOOK_SECRET is not configured")
        try:
            self.signer.verify(headers, body)
        except WebhookVerificationError as err:
            raise Rejected(401, str(err)) from err
        if not self.replays.first_time(
            headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"]
        ):
            raise Rejected(401, "replayed delivery: this webhook-id and signature were seen")

    def parse(self, payload: Any) -> Inbound:
        event_type = payload.get("type") if isinstance(payload, dict) else None
        kind = kinds.by_event(event_type) if isinstance(event_type, str) else None
        if kind is None:
            expected = ", ".join(repr(t) for t in kinds.event_types())
            raise Rejected(422, f"type: unsupported event type {event_type!r}; expected {expected}")
        try:
            event = kind.events[event_type].model_validate(payload)  # type: ignore[index]
        except ValidationError as err:
            raise Rejected(422, validation_detail(err)) from err
        return Inbound(kind=kind, event=event, event_id=str(getattr(event, "event_id", "")))
