"""A dispute's merchant is the one its first event named; its amount and currency move only
by the provider's documented events; a provider date the case cannot count on is recorded
and left out, never an exception in the worker. On the time-skipping server."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from redress.intake import open_case
from redress.models import CaseAction
from redress.models.dispute import RULES as DISPUTE_RULES
from redress.models.dispute import DisputeCaseInput, DisputeEvent, ProviderEvent
from redress.providers.stripe import StripeProvider
from redress.store.tables import CaseRecord
from tests.kinds.disputes import KIND, POLICY, Disputes
from tests.kinds.harness import types as kinds_of
from tests.providers.samples import EVENT as STRIPE_EVENT
from workflows.dispute import DisputeWorkflow


def conflicts(v: Any) -> list[dict[str, Any]]:
    return [e.model_extra or {} for e in v.timeline if e.type == "fact_conflict"]


async def test_a_later_event_naming_another_merchant_changes_nothing(ds: Disputes) -> None:  # noqa: F811
    dispute_id, case_id = await ds.open()
    await ds.event(dispute_id, "charge.dispute.updated", stage="needs_response", merchant_id="M-2")
    v = await ds.until(case_id, lambda v: "fact_conflict" in kinds_of(v))
    assert v.merchant_id == "M-1"
    (conflict,) = conflicts(v)
    assert (conflict["field"], conflict["named"], conflict["kept"]) == ("merchant_id", "M-2", "M-1")
    await ds.until(case_id, lambda v: v.version >= 2)  # the update's change, projected
    with Session(ds.engine) as s:
        row = s.get(CaseRecord, case_id)
        assert row is not None and row.merchant_id == "M-1"


async def test_funds_withdrawn_without_the_connect_account_stays_on_its_desk(
    ds: Disputes,  # noqa: F811
) -> None:
    """The issue's case: Stripe's funds_withdrawn without `account` fell back to another
    merchant (the dispute's metadata, or the configured one) and moved the case there."""
    stripe = StripeProvider("whsec_test", merchant_id="M-PLATFORM")
    dispute_id = f"dp_{uuid.uuid4().hex[:10]}"
    now = await ds.env.get_current_time()

    async def deliver(event_type: str, at: datetime, account: str | None, **dispute: Any) -> str:
        body = copy.deepcopy(STRIPE_EVENT)
        body.update(id=f"evt_{uuid.uuid4().hex[:16]}", type=event_type, created=int(at.timestamp()))
        if account:
            body["account"] = account
        body["data"]["object"].update(id=dispute_id, metadata={}, **dispute)
        due = body["data"]["object"]["evidence_details"]
        due["due_by"] = int((now + timedelta(days=10)).timestamp())
        event = stripe.parse(body).event
        opened = await open_case(
            ds.env.client, ds.engine, ds.task_queue, POLICY, KIND, "stripe", event, now=now
        )
        ds.handles.append(ds.env.client.get_workflow_handle(opened.case_id))
        return opened.case_id

    case_id = await deliver("charge.dispute.created", now, "acct_SELLER")
    withdrawn = {
        "balance_transactions": [{"amount": -4999, "fee": 1500, "currency": "usd"}],
        "status": "needs_response",
    }
    await deliver("charge.dispute.funds_withdrawn", now + timedelta(seconds=1), None, **withdrawn)
    v = await ds.until(case_id, lambda v: "funds_withdrawn" in kinds_of(v))
    assert v.merchant_id == "acct_SELLER"
    (conflict,) = conflicts(v)
    assert (conflict["named"], conflict["kept"]) == ("M-PLATFORM", "acct_SELLER")
    assert v.details["money"]["withdrawn"] == "49.99"  # the money moved is still a fact


async def test_amount_moves_only_by_the_providers_documented_events(ds: Disputes) -> None:  # noqa: F811
    dispute_id, case_id = await ds.open()
    # A funds event restating another amount, another currency: conflicts, nothing moves.
    await ds.event(dispute_id, "charge.dispute.funds_withdrawn", amount=Decimal("999.00"))
    await ds.event(dispute_id, "charge.dispute.updated", currency="EUR", amount=Decimal("90.00"))
    v = await ds.until(case_id, lambda v: len(conflicts(v)) == 2)
    assert [c["field"] for c in conflicts(v)] == ["amount", "currency"]
    assert (v.amount, v.currency) == (Decimal("120.00"), "USD")
    # The dispute's own update (an issuer's corrected amount) moves it.
    await ds.event(dispute_id, "charge.dispute.updated", amount=Decimal("80.00"))
    v = await ds.until(case_id, lambda v: "amount_changed" in kinds_of(v))
    assert (v.amount, v.currency) == (Decimal("80.00"), "USD")


async def test_a_date_out_of_range_in_a_running_case_is_recorded_not_raised(
    ds: Disputes,  # noqa: F811
) -> None:
    """Taken in before the webhook checked dates: the case must still store and run."""
    now = await ds.env.get_current_time()
    dispute_id = f"dp_{uuid.uuid4().hex[:10]}"
    first = DisputeEvent(
        event_id=f"evt_{uuid.uuid4().hex[:12]}",
        type="charge.dispute.created",
        provider="stripe",
        dispute_id=dispute_id,
        occurred_at=now,
        merchant_id="M-1",
        stage="needs_response",
        amount=Decimal("120.00"),
        currency="USD",
        due_by=datetime(1, 1, 1, tzinfo=UTC),
    )
    case_id = f"dispute-stripe-{dispute_id}"
    inp = DisputeCaseInput(
        case_id=case_id,
        source="stripe",
        first=first,
        policy=POLICY.snapshot(now, sections=("dispute",)),
        received_at=now,
        event_id=first.event_id,
        rules=DISPUTE_RULES,
    )
    handle = await ds.env.client.start_workflow(
        DisputeWorkflow.run, inp, id=case_id, task_queue=ds.task_queue
    )
    ds.handles.append(handle)
    v = await ds.until(case_id, lambda v: v.version >= 1)
    assert v.status == "needs_response" and v.details["due_by"] is None
    assert "provider_date_ignored" in kinds_of(v)
    # A later event with Antom's year-9999 due time, straight to the case: left out too;
    # a sound one after it still sets the deadline.
    far = datetime.fromisoformat("9999-12-31T23:59:59-08:00")
    for due in (far, now.replace(microsecond=0) + timedelta(days=10)):
        later = first.model_copy(
            update={
                "event_id": f"evt_{uuid.uuid4().hex[:12]}",
                "type": "charge.dispute.updated",
                "occurred_at": now + timedelta(seconds=1 if due is far else 2),
                "due_by": due,
            }
        )
        action = ProviderEvent(event=later).model_dump(mode="json")
        cmd = CaseAction(actor="stripe", role="user", action=action)
        await handle.execute_update("act", cmd)
    v = await ds.view(case_id)
    assert kinds_of(v).count("provider_date_ignored") == 2
    assert v.deadlines["respond_by"] == now.replace(microsecond=0) + timedelta(days=10)
