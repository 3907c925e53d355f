"""Disputes' replay scenarios (C1–C6): provider events through the intake, already
normalized.

Each recorder runs one case to its end and returns its case ID (`tests/replay/record.py`
writes its history); the kind's registry entry names `SCENARIOS` (`replay_scenarios`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from redress.intake import open_case
from redress.kinds import KINDS
from redress.models import CaseAction
from redress.models.dispute import KIND, DisputeEvent
from redress.policy import load_policy


class DisputeCase:
    def __init__(self, env: WorkflowEnvironment, engine: Engine, name: str, version: str) -> None:
        self.env, self.engine = env, engine
        self.dispute_id = f"dp_REC-{name}-{version}"
        self.case_id = ""
        self.n = 0

    async def event(self, type_: str, **fields: Any) -> None:
        self.n += 1
        now = await self.env.get_current_time()
        data: dict[str, Any] = {
            "event_id": f"evt_{self.dispute_id}_{self.n}",
            "type": type_,
            "provider": "stripe",
            "dispute_id": self.dispute_id,
            "occurred_at": now,
            "merchant_id": "M100",
            "amount": Decimal("120.00"),
            "currency": "USD",
            "reason": "product_not_received",
            "category": "product_not_received",
            "charge": f"ch_{self.n}",
            **fields,
        }
        kind = KINDS[KIND]
        opened = await open_case(
            self.env.client,
            self.engine,
            "record",
            load_policy("default"),
            kind,
            data["provider"],
            DisputeEvent.model_validate(data),
            now=now,
        )
        self.case_id = opened.case_id

    async def act(self, role: str, **action: Any) -> None:
        cmd = CaseAction(actor=f"{role}-1", role=role, action=action)  # type: ignore[arg-type]
        await self.env.client.get_workflow_handle(self.case_id).execute_update("act", cmd)


# A defendable chargeback, as the providers now say (patch `dispute-lifecycle`; the v6
# histories were recorded before the events carried it).
CHARGEBACK: dict[str, Any] = {"stage": "needs_response", "phase": "chargeback", "defendable": True}
EVIDENCE = [{"kind": "shipping_documentation", "ref": "file_pod", "bytes": 1000}]


async def dispute_defended_won_prearb(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """Defended and won, then pre-arbitration (round 2) that the policy submits by itself."""
    due = (await env.get_current_time()) + timedelta(days=10)
    await d.event("charge.dispute.created", due_by=due, **CHARGEBACK)
    await d.act("agent", type="add_evidence", items=EVIDENCE)
    await d.act("agent", type="submit_defense")
    await d.event("charge.dispute.funds_withdrawn", stage="under_review", funds="withdrawn")
    await d.event("charge.dispute.closed", stage="won")
    due = (await env.get_current_time()) + timedelta(days=20)
    await d.event("charge.dispute.updated", due_by=due, **CHARGEBACK)
    await d.act("agent", type="add_evidence", items=EVIDENCE)  # round 2's own packet
    await env.sleep(timedelta(days=21))
    await d.event("charge.dispute.closed", stage="lost")
    await env.sleep(timedelta(days=121))


async def dispute_auto_accepted(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """Small, and nobody acted: accepted by the policy before the due time."""
    due = (await env.get_current_time()) + timedelta(days=3)
    await d.event("charge.dispute.created", due_by=due, amount=Decimal("10.00"), **CHARGEBACK)
    await env.sleep(timedelta(days=3))
    await d.event("charge.dispute.closed", stage="lost")
    await env.sleep(timedelta(days=121))


async def dispute_appeal_round(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """Defended and lost, then Stripe's appeal_needs_response: round 2, escalated by the
    policy before its due time (never accepted), then won on appeal; money withdrawn in
    the balance's currency."""
    due = (await env.get_current_time()) + timedelta(days=10)
    await d.event("charge.dispute.created", due_by=due, **CHARGEBACK)
    await d.act("agent", type="add_evidence", items=EVIDENCE)
    await d.act("agent", type="submit_defense")
    await d.event(
        "charge.dispute.funds_withdrawn",
        stage="under_review",
        phase="chargeback",
        funds="withdrawn",
        funds_amount=Decimal("110.00"),
        fee=Decimal("15.00"),
        funds_currency="EUR",
    )
    await d.event("charge.dispute.closed", stage="lost", raw_status="lost")
    due = (await env.get_current_time()) + timedelta(days=10)
    appeal = {"phase": "appeal", "defendable": True, "raw_status": "appeal_needs_response"}
    await d.event("charge.dispute.updated", stage="needs_response", due_by=due, **appeal)
    await env.sleep(timedelta(days=9, hours=12))
    await d.event("charge.dispute.updated", stage="under_review", phase="appeal")
    await d.event("charge.dispute.closed", stage="won", raw_status="won")
    await env.sleep(timedelta(days=121))


async def dispute_not_answerable(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """Stripe's due_by 0: no response allowed, no timers; the verdict closes it."""
    await d.event(
        "charge.dispute.created",
        stage="needs_response",
        phase="chargeback",
        defendable=False,
        no_response=True,
    )
    await env.sleep(timedelta(days=30))
    await d.event("charge.dispute.closed", stage="lost", raw_status="lost")
    await env.sleep(timedelta(days=121))


async def dispute_antom_validation(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """Antom's retrieval stage: materials refused (VALIDATE_FAIL: round 2, escalated),
    supplied again, accepted (VALIDATE_SUCCESS), then judged with a deduction."""
    due = (await env.get_current_time()) + timedelta(days=7)
    antom = {"provider": "antom", "currency": "KRW", "amount": Decimal("14204")}
    await d.event("DISPUTE_CREATED", stage="needs_response", phase="retrieval", due_by=due, **antom)
    await d.act("agent", type="add_evidence", items=EVIDENCE)
    await d.act("agent", type="submit_defense")
    await d.event(
        "DISPUTE_JUDGED",
        stage="needs_response",
        phase="retrieval",
        raw_status="VALIDATE_FAIL",
        due_by=due,
        **antom,
    )
    await d.act("agent", type="add_evidence", items=EVIDENCE)
    await d.act("agent", type="submit_defense")
    judged = {"raw_status": "VALIDATE_SUCCESS", "phase": "retrieval"}
    await d.event("DISPUTE_JUDGED", stage="under_review", **judged, **antom)
    await d.event(
        "DISPUTE_JUDGED",
        stage="lost",
        raw_status="ACCEPT_BY_MERCHANT",
        funds="deducted",
        funds_amount=Decimal("14204"),
        funds_currency="KRW",
        **antom,
    )
    await env.sleep(timedelta(days=121))


async def dispute_not_defendable_expired(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """Not defendable, nobody acted: escalated before the due time, then expired."""
    due = (await env.get_current_time()) + timedelta(days=3)
    await d.event(
        "DISPUTE_CREATED",
        provider="antom",
        stage="needs_response",
        phase="chargeback",
        defendable=False,
        due_by=due,
        amount=Decimal("10.00"),
    )
    await env.sleep(timedelta(days=3, hours=1))


async def dispute_evidence_escalated(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """The transaction's records hold two texts for one Stripe text field, over its
    20,000-character limit together: at the margin the policy escalates instead of
    submitting (`dispute-evidence-checked`), and the due time passes."""
    from redress.store import transactions

    charge = f"ch_{d.dispute_id}"
    texts = [{"kind": "product_description", "text": c * 15_000} for c in "yz"]
    transactions.record_transaction(d.engine, "M100", charge, texts)
    due = (await env.get_current_time()) + timedelta(days=3)
    await d.event("charge.dispute.created", stage="needs_response", due_by=due, charge=charge)
    await env.sleep(timedelta(days=4))
    await env.sleep(timedelta(days=121))


async def dispute_inquiry_empty_packet(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """Stripe's inquiry (warning_needs_response) becomes a chargeback (round 2, its own due
    time); nobody adds evidence and the transaction has none: at the margin the policy
    escalates instead of submitting an empty defence, then the due time passes."""
    due = (await env.get_current_time()) + timedelta(days=5)
    inquiry = {"phase": "inquiry", "defendable": True, "raw_status": "warning_needs_response"}
    await d.event("charge.dispute.created", stage="needs_response", due_by=due, **inquiry)
    due = (await env.get_current_time()) + timedelta(days=3)
    await d.event("charge.dispute.updated", due_by=due, raw_status="needs_response", **CHARGEBACK)
    await env.sleep(timedelta(days=3, hours=1))
    await env.sleep(timedelta(days=121))


async def dispute_appeal_before_close(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """Defended; Stripe's appeal_needs_response arrives before the (older) lost close: the
    appeal is round 2 from the submitted round, the close is stale; the appeal is
    submitted at Stripe (appeal_under_review) and won."""
    start = await env.get_current_time()
    due = start + timedelta(days=10)
    await d.event("charge.dispute.created", due_by=due, **CHARGEBACK)
    await d.act("agent", type="add_evidence", items=EVIDENCE)
    await d.act("agent", type="submit_defense")
    await env.sleep(timedelta(hours=1))
    appeal = {"phase": "appeal", "defendable": True, "raw_status": "appeal_needs_response"}
    due = start + timedelta(days=20)
    await d.event("charge.dispute.updated", stage="needs_response", due_by=due, **appeal)
    lost_at = start + timedelta(minutes=30)
    await d.event("charge.dispute.closed", stage="lost", raw_status="lost", occurred_at=lost_at)
    await d.act("agent", type="add_evidence", items=EVIDENCE)  # the appeal's own packet
    await d.act("agent", type="submit_defense")
    review = {"phase": "appeal", "raw_status": "appeal_under_review"}
    await d.event("charge.dispute.updated", stage="under_review", **review)
    await d.event("charge.dispute.closed", stage="won", raw_status="won")
    await env.sleep(timedelta(days=121))


async def dispute_appeal_review_only(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """Defended and lost; the appeal was filed at Stripe and only appeal_under_review
    arrives: round 2, submitted; then lost again."""
    due = (await env.get_current_time()) + timedelta(days=10)
    await d.event("charge.dispute.created", due_by=due, **CHARGEBACK)
    await d.act("agent", type="add_evidence", items=EVIDENCE)
    await d.act("agent", type="submit_defense")
    await d.event("charge.dispute.closed", stage="lost", raw_status="lost")
    review = {"phase": "appeal", "raw_status": "appeal_under_review"}
    await d.event("charge.dispute.updated", stage="under_review", **review)
    await d.event("charge.dispute.closed", stage="lost", raw_status="lost")
    await env.sleep(timedelta(days=121))


async def dispute_appeal_same_second(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """Defended; the appeal and the lost close carry the same second and the appeal comes
    first: the close is the round before's (`dispute-round-verdicts`), round 2 stays open,
    the policy escalates before its due time, then the appeal is won."""
    due = (await env.get_current_time()) + timedelta(days=10)
    await d.event("charge.dispute.created", due_by=due, **CHARGEBACK)
    await d.act("agent", type="add_evidence", items=EVIDENCE)
    await d.act("agent", type="submit_defense")
    at = (await env.get_current_time()).replace(microsecond=0) + timedelta(seconds=1)
    appeal = {"phase": "appeal", "defendable": True, "raw_status": "appeal_needs_response"}
    due = at + timedelta(days=10)
    await d.event(
        "charge.dispute.updated", stage="needs_response", due_by=due, occurred_at=at, **appeal
    )
    await d.event("charge.dispute.closed", stage="lost", raw_status="lost", occurred_at=at)
    await env.sleep(timedelta(days=9, hours=12))
    await d.event("charge.dispute.closed", stage="won", raw_status="won")
    await env.sleep(timedelta(days=121))


async def dispute_text_evidence(env: WorkflowEnvironment, d: DisputeCase) -> None:
    """A text added as evidence: its `evidence_added` entry gives its size
    (`dispute-evidence-sizes`); defended and won."""
    due = (await env.get_current_time()) + timedelta(days=10)
    await d.event("charge.dispute.created", due_by=due, **CHARGEBACK)
    text = {"kind": "uncategorized_text", "text": "The parcel was signed for. 签收。"}
    await d.act("agent", type="add_evidence", items=[*EVIDENCE, text])
    await d.act("agent", type="submit_defense")
    await d.event("charge.dispute.closed", stage="won")
    await env.sleep(timedelta(days=121))


STEPS: dict[str, Callable[[WorkflowEnvironment, DisputeCase], Awaitable[None]]] = {
    "dispute_defended_won_prearb": dispute_defended_won_prearb,
    "dispute_auto_accepted": dispute_auto_accepted,
    "dispute_appeal_round": dispute_appeal_round,
    "dispute_not_answerable": dispute_not_answerable,
    "dispute_antom_validation": dispute_antom_validation,
    "dispute_not_defendable_expired": dispute_not_defendable_expired,
    "dispute_evidence_escalated": dispute_evidence_escalated,
    "dispute_inquiry_empty_packet": dispute_inquiry_empty_packet,
    "dispute_appeal_before_close": dispute_appeal_before_close,
    "dispute_appeal_review_only": dispute_appeal_review_only,
    "dispute_appeal_same_second": dispute_appeal_same_second,
    "dispute_text_evidence": dispute_text_evidence,
}


def _recorder(
    steps: Callable[[WorkflowEnvironment, DisputeCase], Awaitable[None]],
) -> Callable[[WorkflowEnvironment, Engine, str, str], Awaitable[str]]:
    async def record(env: WorkflowEnvironment, engine: Engine, name: str, version: str) -> str:
        d = DisputeCase(env, engine, name, version)
        await steps(env, d)
        await env.client.get_workflow_handle(d.case_id).result()
        return d.case_id

    return record


SCENARIOS = {name: _recorder(steps) for name, steps in STEPS.items()}
