"""Activities of a dispute: the stored transaction records its packet takes in (C1), and
the provider requests (submit a defence, accept), through an injected client."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from redress.logs import get_logger
from redress.models.dispute import (
    AcceptRequest,
    DefenseRequest,
    EvidenceItem,
    ProviderReceipt,
    RecordsFound,
    RecordsRequest,
)
from redress.payments.disputes import DisputeClient, DisputeRefused
from redress.store import crud

log = get_logger()


class DisputeActivities:
    def __init__(self, engine: Engine, client: DisputeClient) -> None:
        self.engine = engine
        self.client = client

    @activity.defn(name="collect_records")
    def collect_records(self, request: RecordsRequest) -> RecordsFound:
        if not request.charge:
            return RecordsFound(items=[])
        rows = crud.transaction_evidence(self.engine, request.merchant_id, request.charge)
        return RecordsFound(items=[EvidenceItem.model_validate(r) for r in rows])

    @activity.defn(name="submit_defense")
    def submit_defense(self, request: DefenseRequest) -> ProviderReceipt:
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
