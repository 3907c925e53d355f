"""Notice channels: where a rendered notice goes.

`RecordingChannel` keeps every delivery in the case store (the desk reads them there);
SMTP, SMS or webhook channels implement the same `deliver`, keyed by the same
idempotency key so a retried activity never sends twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from redress.models import NoticeReceipt, NoticeRequest
from redress.notices.renderer import RenderedNotice
from redress.store.tables import NoticeRecord


class NoticeChannel(Protocol):
    def already_sent(self, idempotency_key: str) -> NoticeReceipt | None: ...

    def deliver(self, request: NoticeRequest, notice: RenderedNotice) -> NoticeReceipt: ...


class RecordingChannel:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def already_sent(self, idempotency_key: str) -> NoticeReceipt | None:
        with Session(self.engine) as session:
            row = session.get(NoticeRecord, idempotency_key)
            return self._receipt(row, duplicate=True) if row else None

    def deliver(self, request: NoticeRequest, notice: RenderedNotice) -> NoticeReceipt:
        record = NoticeRecord(
            idempotency_key=request.idempotency_key,
            case_id=request.case_id,
            template=request.template,
            locale=notice.locale,
            recipient_kind=request.recipient.kind,
            channel=request.recipient.channel,
            address=request.recipient.address,
            subject=notice.subject,
            body=notice.body,
            delivered_at=datetime.now(UTC),
        )
        with Session(self.engine) as session:
            session.add(record)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                receipt = self.already_sent(request.idempotency_key)
                assert receipt is not None
                return receipt
            return self._receipt(record, duplicate=False)

    @staticmethod
    def _receipt(row: NoticeRecord, duplicate: bool) -> NoticeReceipt:
        at = row.delivered_at
        return NoticeReceipt(
            idempotency_key=row.idempotency_key,
            delivered_at=at if at.tzinfo else at.replace(tzinfo=UTC),
            duplicate=duplicate,
        )
