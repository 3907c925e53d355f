"""The daily digest's activity (M12): each merchant's digest computed from the case store
(`redress.digest`) and sent to its operations contact once per merchant and day.

`send_digests` is the activity's whole work as a plain function, so `redress digest --now`
runs it without a worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from temporalio import activity

from activities.notices import send_once
from redress import digest
from redress.logs import get_logger
from redress.models import NoticeReceipt, NoticeRequest, Recipient
from redress.notices.channels import NoticeChannel
from redress.notices.renderer import NoticeRenderer
from redress.policy import DigestPolicy

log = get_logger()

TEMPLATE = "digest"  # templates/digest/<locale>/digest.txt.j2


class DigestInput(BaseModel):
    policy: DigestPolicy
    # The moment the digest is as of (the workflow's clock); None: the activity's clock.
    at: datetime | None = None
    merchant_id: str | None = None  # one merchant; None: every merchant with cases


class DigestResult(BaseModel):
    merchants: int
    sent: int  # delivered by this run (a digest already sent that day is not sent again)


@dataclass(frozen=True)
class Sent:
    digest: digest.Digest
    request: NoticeRequest
    receipt: NoticeReceipt
    delivered: bool


def recipient(policy: DigestPolicy, merchant_id: str) -> Recipient:
    """The merchant's operations contact, else its desk (as its other notices)."""
    ops = digest.contact(policy, merchant_id)
    if ops is None:
        return Recipient(kind="merchant", channel="desk", address=merchant_id)
    return Recipient(kind="merchant", channel="ops", address=ops)


def send_digests(
    engine: Engine,
    channel: NoticeChannel,
    renderer: NoticeRenderer,
    inp: DigestInput,
) -> list[Sent]:
    now = inp.at or datetime.now(UTC)
    policy = inp.policy
    found = [inp.merchant_id] if inp.merchant_id else digest.merchants(engine, now)
    sent: list[Sent] = []
    for merchant_id in found:
        today = digest.compute(engine, merchant_id, now, policy)
        request = NoticeRequest(
            idempotency_key=f"digest:{merchant_id}:{today.day.isoformat()}"[:200],
            case_id=f"digest:{merchant_id}"[:160],
            template=TEMPLATE,
            locale=policy.locale,
            recipient=recipient(policy, merchant_id),
            context=digest.context(today),
            kind="digest",
        )
        receipt, delivered = send_once(channel, renderer, request)
        if delivered:
            log.info(
                "daily digest delivered",
                merchant_id=merchant_id,
                day=today.day.isoformat(),
                due=len(today.due),
                overdue=len(today.overdue),
                appeals=len(today.appeals),
            )
        sent.append(Sent(today, request, receipt, delivered))
    return sent


class DigestActivities:
    def __init__(self, engine: Engine, channel: NoticeChannel, renderer: NoticeRenderer) -> None:
        self.engine = engine
        self.channel = channel
        self.renderer = renderer

    @activity.defn(name="send_daily_digests")
    def send(self, inp: DigestInput) -> DigestResult:
        sent = send_digests(self.engine, self.channel, self.renderer, inp)
        return DigestResult(merchants=len(sent), sent=sum(s.delivered for s in sent))
