"""Activities of a case: project it to the store, send notices, issue refunds.

One class with injected dependencies (store engine, gateway, channel, renderer), as in
the money-transfer sample: tests and deployments swap a part without touching the rest.
Every method is idempotent by the key its request carries.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.notices import send_once
from redress.logs import get_logger
from redress.models import (
    ActionAudit,
    CaseEffects,
    CaseView,
    EffectsDone,
    NoticeReceipt,
    NoticeRequest,
    PurgeRequest,
    PurgeResult,
    RefundReceipt,
    RefundRequest,
)
from redress.notices.channels import NoticeChannel
from redress.notices.renderer import NoticeRenderer
from redress.payments.gateway import PaymentsGateway, RefundDeclined
from redress.store import crud, retention
from redress.store.tables import AuditEntry

log = get_logger()


def _log(case_id: str):  # type: ignore[no-untyped-def]
    """A logger bound to the case and the workflow running it."""
    return log.bind(case_id=case_id, workflow_id=activity.info().workflow_id)


class CaseActivities:
    def __init__(
        self,
        engine: Engine,
        gateway: PaymentsGateway,
        channel: NoticeChannel,
        renderer: NoticeRenderer,
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.channel = channel
        self.renderer = renderer

    @activity.defn(name="apply_effects")
    def apply_effects(self, effects: CaseEffects) -> EffectsDone:
        """A state change's projection, its audit entries, then its notices: one call, each
        step keyed, so a retry rewrites nothing and sends nothing twice. The projection goes
        first: the store shows the change even while a notice is held up."""
        projected = self.project_case(effects.view)
        for entry in effects.audit:
            self.record_audit(effects.view.case_id, entry)
        return EffectsDone(
            projected=projected, receipts=[self.send_notice(n) for n in effects.notices]
        )

    def project_case(self, view: CaseView) -> bool:
        written = crud.upsert_case(self.engine, view)
        _log(view.case_id).debug("case projected", version=view.version, written=written)
        return written

    def record_audit(self, case_id: str, entry: ActionAudit) -> bool:
        row = AuditEntry(
            case_id=case_id[:160],
            scope="",  # a signal claims no merchants: it carries no token
            effect_key=entry.key,
            **entry.model_dump(exclude={"key"}),
        )
        written = crud.record_audit_once(self.engine, row)
        _log(case_id).info(
            "signalled action audited",
            action=entry.action,
            role=entry.role,
            accepted=entry.accepted,
            written=written,
        )
        return written

    def send_notice(self, request: NoticeRequest) -> NoticeReceipt:
        receipt, delivered = send_once(self.channel, self.renderer, request)
        if not delivered:
            return receipt
        _log(request.case_id).info(
            "notice delivered",
            template=request.template,
            channel=request.recipient.channel,
            duplicate=receipt.duplicate,
        )
        return receipt

    @activity.defn(name="issue_refund")
    def issue_refund(self, request: RefundRequest) -> RefundReceipt:
        try:
            receipt = self.gateway.refund(request)
        except RefundDeclined as err:
            raise ApplicationError(str(err), type="RefundDeclined", non_retryable=True) from err
        _log(request.case_id).info(
            "refund issued",
            amount=str(request.amount),
            refund_id=receipt.refund_id,
            duplicate=receipt.duplicate,
        )
        return receipt

    @activity.defn(name="purge_expired")
    def purge_expired(self, request: PurgeRequest) -> PurgeResult:
        from redress.kinds import retention_tables

        counts = retention.purge_closed_before(
            self.engine, request.closed_before, retention_tables()
        )
        log.info("retention purge", closed_before=request.closed_before.isoformat(), **counts)
        return PurgeResult(**counts)
