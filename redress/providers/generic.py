"""`generic`: redress's own event format, signed with Standard Webhooks.

Body `{"event_id", "type", …}`; `type` names the event (`complaint.created`, …) and so the
kind of case, through the registry. Headers `webhook-id`, `webhook-timestamp`,
`webhook-signature` (HMAC-SHA256 over `id.timestamp.body`, 5 min tolerance).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from redress import kinds, settlements
from redress.api.errors import validation_detail
from redress.api.signing import WebhookSigner, WebhookVerificationError
from redress.models.values import INCOMING
from redress.providers import Inbound, Rejected

SIGNED = ("webhook-id", "webhook-timestamp", "webhook-signature")


class GenericProvider:
    name = "generic"
    ack: dict[str, Any] | None = None

    def __init__(self, signer: WebhookSigner | None) -> None:
        self.signer = signer
        # A delivery verifies for the tolerance on either side of its timestamp.
        self.replay_window = timedelta(seconds=2 * (signer.tolerance_seconds if signer else 300))

    def verify(self, headers: Mapping[str, str], body: bytes) -> str | None:
        if self.signer is None:
            raise Rejected(503, "REDRESS_WEBHOOK_SECRET is not configured")
        getlist = getattr(headers, "getlist", None)
        for name in SIGNED if getlist else ():
            if len(getlist(name)) > 1:  # type: ignore[misc]
                raise Rejected(400, f"the {name} header is given more than once")
        try:
            self.signer.verify(headers, body)
        except WebhookVerificationError as err:
            raise Rejected(401, str(err)) from err
        # Verified: the ID and the timestamp as a number ("0123" is 123). The signature
        # header is not part of it: extra entries beside a valid one change nothing.
        return f"{headers['webhook-id']}.{int(headers['webhook-timestamp'].strip())}"

    def parse(self, payload: Any) -> Inbound:
        event_type = payload.get("type") if isinstance(payload, dict) else None
        if isinstance(event_type, str) and event_type in settlements.RECORDED:
            # A settled transaction or a fraud report: a row for C5's figures, no case.
            raise settlements.as_record(event_type, payload)
        kind = kinds.by_event(event_type) if isinstance(event_type, str) else None
        if kind is None:
            expected = ", ".join(repr(t) for t in kinds.event_types())
            raise Rejected(422, f"type: unsupported event type {event_type!r}; expected {expected}")
        try:
            model = kind.events[event_type]  # type: ignore[index]
            event = model.model_validate(payload, context=INCOMING)
        except ValidationError as err:
            raise Rejected(422, validation_detail(err)) from err
        return Inbound(kind=kind, event=event, event_id=str(getattr(event, "event_id", "")))
