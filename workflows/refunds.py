"""A case's refunds: through the payments gateway, each keyed by the case and its count, a
decline (or, with a bound, a gateway that does not answer in time) a refusal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as ActivityTimeout

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from redress.models.effects import RefundReceipt, RefundRequest
    from redress.refusals import refuse

from workflows.outputs import CaseOutputs, human
from workflows.retry import ACTIVITY_TIMEOUT, RETRY


class CaseRefunds(CaseOutputs):
    """The kernel's refunds (`CaseWorkflow` inherits them); a kind calls `_refund`."""

    _refunds: int

    async def _refund(self, amount: Decimal) -> RefundReceipt:
        """Refund through the gateway, keyed `<case>:refund:<n>`; a decline is a refusal.
        With a bound (`_refund_timeout`), a gateway that does not answer in time is a
        refusal too, and the next refund reuses the same key: should the first attempt
        land after all, the gateway answers the retry with it instead of paying twice."""
        self._refunds += 1
        f = self.facts
        request = RefundRequest(
            idempotency_key=self._key(f"refund:{self._refunds}"),
            case_id=self._in.case_id,
            merchant_id=f.merchant_id,
            trade_no=f.trade_no or "",
            amount=amount,
            currency=f.currency,
        )
        bound = self._refund_timeout()
        try:
            receipt: RefundReceipt = await workflow.execute_activity_method(
                CaseActivities.issue_refund,
                request,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                schedule_to_close_timeout=bound,
                retry_policy=RETRY,
            )
        except ActivityError as err:
            cause = err.cause
            if bound and isinstance(cause, ActivityTimeout):
                self._refunds -= 1
                raise refuse(
                    "Unavailable",
                    f"the payments gateway did not confirm the refund within {human(bound)}; "
                    "nothing was recorded, the case goes on: try again",
                ) from err
            message = cause.message if isinstance(cause, ApplicationError) else str(err)
            raise refuse("Invalid", f"the gateway declined the refund: {message}") from err
        self._refunded += receipt.amount
        return receipt

    def _refund_timeout(self) -> timedelta | None:
        """How long a refund may take, retries included (the policy's); None: no bound."""
        return None
