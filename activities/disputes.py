"""Activities of a dispute: the stored transaction records its packet takes in (C1), and
the provider requests (submit a defence, accept), through an injected client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from redress.logs import get_logger
from redress.models import dispute_texts
from redress.models.effects import NoticeRequest, Recipient
from redress.models.evidence import (
    AcceptRequest,
    DefenseRequest,
    EvidenceItem,
    HeldEvidence,
    PreventionNotice,
    PreventionSent,
    ProviderReceipt,
    RecordRefs,
    RecordsFound,
    RecordsRequest,
    StoredTexts,
    StoreTexts,
)
from redress.notices.channels import NoticeChannel
from redress.notices.renderer import NoticeRenderer
from redress.payments.disputes import DisputeClient, DisputeRefused
from redress.payments.evidence_body import defense_body
from redress.store import transactions

log = get_logger()


if TYPE_CHECKING:
    from redress.kinds import WorkerParts


def for_worker(parts: WorkerParts) -> list[Callable[..., Any]]:
    """The dispute's activities (its registry entry names this), through the given
    `disputes` client (the provider's API) or the simulated one."""
    from redress.payments.disputes import SimulatedDisputeClient

    client = parts.get("disputes", lambda: SimulatedDisputeClient(parts.engine))
    acts = DisputeActivities(parts.engine, client, parts.channel, parts.renderer)
    return [
        acts.collect_records,
        acts.collect_record_refs,
        acts.store_evidence_texts,
        acts.submit_defense,
        acts.accept_dispute,
        acts.send_prevention_notice,
    ]


class DisputeActivities:
    def __init__(
        self,
        engine: Engine,
        client: DisputeClient,
        channel: NoticeChannel | None = None,
        renderer: NoticeRenderer | None = None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.channel = channel
        self.renderer = renderer

    @activity.defn(name="send_prevention_notice")
    def send_prevention_notice(self, inp: PreventionNotice) -> PreventionSent:
        """Send the notice once (by its key), then attach it to the transaction's evidence:
        the text the customer got, as Stripe's `customer_communication`."""
        assert self.channel is not None and self.renderer is not None
        n = inp.notice
        request = NoticeRequest(
            idempotency_key=inp.key,
            case_id=f"txn:{n.merchant_id}:{inp.transaction_id}"[:160],
            kind="prevention",
            template=n.type,
            locale=n.customer.locale,
            recipient=Recipient(
                kind="user", channel=n.customer.contact.channel, address=n.customer.contact.address
            ),
            context={
                "merchant_id": n.merchant_id,
                "transaction_id": inp.transaction_id,
                "item": n.item,
                "new_date": n.new_date.isoformat() if n.new_date else None,
                "effective_date": n.effective_date.isoformat() if n.effective_date else None,
                "note": n.note,
            },
        )
        receipt = self.channel.already_sent(inp.key)
        notice = self.renderer.render(n.type, n.customer.locale, request.context, kind="prevention")
        if receipt is None:
            receipt = self.channel.deliver(request, notice)
        try:
            transactions.record_transaction(
                self.engine,
                n.merchant_id,
                inp.transaction_id,
                [
                    {
                        "kind": "customer_communication",
                        "ref": f"notice:{inp.key}"[:256],
                        "text": f"{notice.subject}\n\n{notice.body}",
                        "bytes": 0,
                        "source": "notice",
                    }
                ],
                limits=inp.limits,
            )
        except transactions.RecordTooLarge as err:
            # Sent (and kept in the notice records) but the transaction's record is full:
            # said in the log, never a retry loop that can only fail again.
            log.warning(
                "prevention notice not attached", transaction_id=inp.transaction_id, reason=str(err)
            )
        log.info("prevention notice sent", transaction_id=inp.transaction_id, type=n.type)
        return PreventionSent(
            key=inp.key, delivered_at=receipt.delivered_at, duplicate=receipt.duplicate
        )

    @activity.defn(name="collect_records")
    def collect_records(self, request: RecordsRequest) -> RecordsFound:
        if not request.charge:
            return RecordsFound(items=[])
        rows = transactions.transaction_evidence(self.engine, request.merchant_id, request.charge)
        return RecordsFound(items=[EvidenceItem.model_validate(r) for r in rows])

    @activity.defn(name="collect_record_refs")
    def collect_record_refs(self, request: RecordsRequest) -> RecordRefs:
        """The transaction's records as references and sizes: the result stays small
        whatever the texts are (the record's own limits bound the count)."""
        if not request.charge:
            return RecordRefs(items=[])
        rows = dispute_texts.evidence_refs(self.engine, request.merchant_id, request.charge)
        return RecordRefs(items=[HeldEvidence.model_validate(r) for r in rows])

    @activity.defn(name="store_evidence_texts")
    def store_evidence_texts(self, request: StoreTexts) -> StoredTexts:
        return StoredTexts(
            refs=dispute_texts.store_case_texts(self.engine, request.case_id, request.texts)
        )

    def _with_body(self, request: DefenseRequest) -> tuple[DefenseRequest, str | None]:
        """The provider's body from the held references, the texts read from the store, and
        what the provider would refuse in it (its limits checked on the body itself). A
        transaction text replaced or removed since the packet was sized is left out."""
        assert request.items is not None
        held = [i.stored for i in request.items if i.stored]
        texts = {
            **dispute_texts.case_texts(self.engine, request.case_id, held),
            **dispute_texts.transaction_texts(
                self.engine, request.merchant_id or "", request.charge
            ),
        }
        items = []
        for i in request.items:
            text = i.text or (texts.get(i.stored) if i.stored else None)
            if i.ref or text:
                # Checked when it was stored (a record kept before the limits may hold a
                # longer text): built as it is, never refused here in a retry loop.
                items.append(
                    EvidenceItem.model_construct(
                        kind=i.kind, ref=i.ref, text=text, bytes=i.bytes, source=i.source
                    )
                )
        body, refused = defense_body(
            request.provider,
            request.dispute_id,
            items,
            limits=request.limits,
            enhanced=request.enhanced,
            heading=request.heading,
            appeal=request.appeal,
        )
        return request.model_copy(update={"body": body, "items": None}), refused

    @activity.defn(name="submit_defense")
    def submit_defense(self, request: DefenseRequest) -> ProviderReceipt:
        if request.items is not None:
            request, refused = self._with_body(request)
            if refused:
                # Not sent: the provider would refuse it. The case says so (escalates, or
                # the desk's submission is refused) instead of retrying what cannot pass.
                log.warning("defense not sent", case_id=request.case_id, reason=refused)
                return ProviderReceipt(
                    idempotency_key=request.idempotency_key,
                    reference="",
                    at=datetime.now(UTC),
                    duplicate=False,
                    refused=refused,
                )
        try:
            receipt = self.client.submit_defense(request)
        except DisputeRefused as err:
            raise ApplicationError(str(err), type="DisputeRefused", non_retryable=True) from err
        log.info("defense submitted", case_id=request.case_id, reference=receipt.reference)
        return receipt

    @activity.defn(name="accept_dispute")
    def accept_dispute(self, request: AcceptRequest) -> ProviderReceipt:
        try:
            receipt = self.client.accept(request)
        except DisputeRefused as err:
            raise ApplicationError(str(err), type="DisputeRefused", non_retryable=True) from err
        log.info("dispute accepted", case_id=request.case_id, reference=receipt.reference)
        return receipt
