"""Notice channels: where a rendered notice goes.

`RecordingChannel` keeps every delivery in the case store (the desk reads them there);
SMTP, SMS or webhook channels implement the same `deliver`, keyed by the same
idempotency key so a retried activity never sends twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.engine import Engine

from redress.models import NoticeReceipt, NoticeRequest
from redress.notices.renderer import RenderedNotice
from redress.store.db import INSERT_BY_DIALECT
from redress.store.tables import NoticeRecord

_TABLE: Any = NoticeRecord.__table__  # type: ignore[attr-defined]


class NoticeChannel(Protocol):
    def already_sent(self, idempotency_key: str) -> NoticeReceipt | None: ...

    def deliver(self, request: NoticeRequest, notice: RenderedNotice) -> NoticeReceipt: ...


class RecordingChannel:
    """Core statements, not the ORM: a notice costs one keyed read and one insert, and
    nothing is read back after the commit."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert: Any = INSERT_BY_DIALECT[engine.dialect.name]

    def already_sent(self, idempotency_key: str) -> NoticeReceipt | None:
        stmt = select(_TABLE.c.delivered_at).where(_TABLE.c.idempotency_key == idempotency_key)
        with self.engine.connect() as conn:
            at = conn.execute(stmt).scalar()
        return None if at is None else self._receipt(idempotency_key, at, duplicate=True)

    def deliver(self, request: NoticeRequest, notice: RenderedNotice) -> NoticeReceipt:
        at = datetime.now(UTC)
        stmt = (
            self._insert(_TABLE)
            .values(
                idempotency_key=request.idempotency_key,
                case_id=request.case_id,
                template=request.template,
                locale=notice.locale,
                recipient_kind=request.recipient.kind,
                channel=request.recipient.channel,
                address=request.recipient.address,
                subject=notice.subject,
                body=notice.body,
                delivered_at=at,
            )
            .on_conflict_do_nothing(index_elements=[_TABLE.c.idempotency_key])
            .returning(_TABLE.c.idempotency_key)  # a row back only when this call wrote it
        )
        with self.engine.begin() as conn:
            written = conn.execute(stmt).first() is not None
        if written:
            return self._receipt(request.idempotency_key, at, duplicate=False)
        receipt = self.already_sent(request.idempotency_key)  # a concurrent attempt won
        assert receipt is not None
        return receipt

    @staticmethod
    def _receipt(idempotency_key: str, at: datetime, duplicate: bool) -> NoticeReceipt:
        return NoticeReceipt(
            idempotency_key=idempotency_key,
            delivered_at=at if at.tzinfo else at.replace(tzinfo=UTC),
            duplicate=duplicate,
        )
