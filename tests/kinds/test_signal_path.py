"""The Signal `act_signal` is no back door: it may do at most what its claimed role could
through the API, never what only the verified intake carries; money and verdicts need the
policy's leave (`[signals]`); a request ID acts once; every signal lands in the audit log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from redress.api.cases import moves_money as api_moves_money
from redress.models import CaseAction
from redress.models.case import is_verdict, moves_money
from redress.models.complaint import PlatformVerdict, Refund, RefuseRefund, Reply
from redress.policy import Policy, PolicySnapshot, SignalsPolicy, load_policy
from redress.store.tables import AuditEntry
from tests.kinds.disputes import Disputes
from tests.kinds.harness import Cases, Handle, act, event, send, until, view


def claim(role: str, action: Any, request_id: str | None = None) -> dict[str, Any]:
    """A signal as the Web UI or `temporal workflow signal` sends it: JSON, role claimed."""
    body = action.model_dump(mode="json") if hasattr(action, "model_dump") else action
    out: dict[str, Any] = {"actor": f"{role}-1", "role": role, "action": body}
    if request_id is not None:
        out["request_id"] = request_id
    return out


def allowing(**signals: bool) -> Policy:
    policy = load_policy("default")
    return policy.model_copy(update={"signals": SignalsPolicy(**signals)})


async def audited(engine: Any, case_id: str, count: int) -> list[AuditEntry]:
    """The case's audit entries once there are `count` of them (effects follow the signal)."""
    for _ in range(200):
        with Session(engine) as s:
            q = select(AuditEntry).where(AuditEntry.case_id == case_id)
            rows = list(s.exec(q.order_by(col(AuditEntry.id))).all())
        if len(rows) >= count:
            assert len(rows) == count, rows
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"{case_id}: {len(rows)} audit entries, expected {count}")


async def signal(h: Handle, body: dict[str, Any]) -> None:
    await h.signal("act_signal", body)


# --- roles only the intake carries --------------------------------------------------------


async def test_a_forged_provider_event_by_signal_is_refused_and_audited(ds: Disputes) -> None:  # noqa: F811
    """The review's attack: a `user` claim carrying a provider event that closes the dispute
    as won, for another merchant, at 0.01."""
    dispute_id, case_id = await ds.open()
    forged = {
        "type": "provider_event",
        "event": {
            "event_id": "evt_forged",
            "type": "charge.dispute.closed",
            "provider": "stripe",
            "dispute_id": dispute_id,
            "occurred_at": "2099-01-01T00:00:00+00:00",
            "merchant_id": "M-OTHER",
            "stage": "won",
            "amount": "0.01",
            "currency": "USD",
        },
    }
    handle = ds.env.client.get_workflow_handle(case_id)
    await handle.signal("act_signal", claim("user", forged, "forge-1"))
    # A role the model does not know (a provider's, `system`) is refused too, not dropped.
    await handle.signal("act_signal", claim("system", forged, "forge-2"))
    first, second = await audited(ds.engine, case_id, 2)
    v = await ds.view(case_id)
    assert (v.status, v.outcome, v.merchant_id, v.amount) == (
        "needs_response",
        None,
        "M-1",
        Decimal("120.00"),
    )
    assert (first.via, first.role, first.action, first.request_id) == (
        "signal",
        "user",
        "provider_event",
        "forge-1",
    )
    assert (first.accepted, first.status_code, first.actor) == (False, 403, "user-1")
    assert "never by signal" in first.reason
    assert (second.role, second.accepted, second.status_code) == ("system", False, 422)
    assert second.reason.startswith("role:")
    refusals = [e for e in v.timeline if e.type == "action_refused"]
    assert [e.via for e in refusals] == ["signal", "signal"]  # type: ignore[attr-defined]


# --- money ---------------------------------------------------------------------------------


async def test_a_refund_by_signal_is_refused_by_default(cases: Cases) -> None:
    h, inp = await cases.start()
    await signal(h, claim("agent", Refund(amount=Decimal("30.00")), "r-1"))
    [row] = await audited(cases.engine, inp.case_id, 1)
    assert (row.via, row.action, row.accepted, row.status_code) == ("signal", "refund", False, 403)
    assert "use the API" in row.reason and "signals.allow_money" in row.reason
    v = await view(h)
    assert (v.status, v.refunded) == ("awaiting_response", Decimal("0"))
    assert cases.refunds(inp.case_id) == []


async def test_a_refund_by_signal_where_allowed_acts_once_per_request_id(cases: Cases) -> None:
    h, inp = await cases.start(policy=allowing(allow_money=True))
    refund = claim("agent", Refund(amount=Decimal("30.00")), "r-1")
    await signal(h, refund)
    await signal(h, refund)  # the Web UI's double click, or a retried CLI call
    await signal(h, claim("agent", Refund(amount=Decimal("5.00"))))  # no request_id
    rows = await audited(cases.engine, inp.case_id, 3)
    assert [(r.request_id, r.accepted, r.status_code) for r in rows] == [
        ("r-1", True, 200),
        ("r-1", False, 409),
        ("", False, 422),
    ]
    assert "acted once" in rows[1].reason and "needs a request_id" in rows[2].reason
    v = await view(h)
    assert v.refunded == Decimal("30.00")
    assert [Decimal(r.amount) for r in cases.refunds(inp.case_id)] == [Decimal("30.00")]


async def test_a_signal_repeating_an_update_id_acts_none(cases: Cases) -> None:
    h, inp = await cases.start(policy=allowing(allow_money=True))
    refund = Refund(amount=Decimal("30.00"))
    await send(h, CaseAction(actor="a", role="agent", action=refund), id="k-1")
    await signal(h, claim("agent", refund, "k-1"))
    [row] = await audited(cases.engine, inp.case_id, 1)
    assert (row.accepted, row.status_code) == (False, 409)
    assert (await view(h)).refunded == Decimal("30.00")
    assert len(cases.refunds(inp.case_id)) == 1


async def test_request_ids_outlive_continue_as_new(cases: Cases) -> None:
    policy = allowing(allow_money=True)
    assert policy.complaint is not None
    policy = policy.model_copy(
        update={"complaint": policy.complaint.model_copy(update={"history_limit": 20})}
    )
    h, inp = await cases.start(policy=policy)
    refund = claim("agent", Refund(amount=Decimal("10.00")), "r-1")
    await signal(h, refund)
    await audited(cases.engine, inp.case_id, 1)
    first_run = (await h.describe()).run_id
    for i in range(6):  # enough history for the case to continue in a new run
        await act(h, CaseAction(actor="a", role="agent", action=Reply(message=f"note {i}")))
    await until(h, lambda v: "continued" in [e.type for e in v.timeline])
    assert (await h.describe()).run_id != first_run
    await signal(h, refund)
    rows = await audited(cases.engine, inp.case_id, 2)
    assert [(r.accepted, r.status_code) for r in rows] == [(True, 200), (False, 409)]
    assert (await view(h)).refunded == Decimal("10.00")
    # The audit keys carried on too: the new run's entry did not overwrite the first.
    assert rows[0].effect_key != rows[1].effect_key


# --- verdicts ------------------------------------------------------------------------------


async def test_a_platform_verdict_by_signal_is_refused_by_default(cases: Cases) -> None:
    h, inp = await cases.start()
    refuse_refund = RefuseRefund(explanation="Delivered", evidence=["pod.png"])
    before = await act(h, CaseAction(actor="a", role="agent", action=refuse_refund))
    assert before.status == "platform_review"
    await signal(h, claim("platform", PlatformVerdict(verdict="must_refund"), "v-1"))
    [row] = await audited(cases.engine, inp.case_id, 1)
    assert (row.role, row.action, row.accepted, row.status_code) == (
        "platform",
        "platform_verdict",
        False,
        403,
    )
    assert "verdict" in row.reason and "use the API" in row.reason
    v = await view(h)
    assert v.status == "platform_review" and "verdict" not in [e.type for e in v.timeline]


async def test_a_platform_verdict_by_signal_where_allowed(cases: Cases) -> None:
    h, inp = await cases.start(policy=allowing(allow_verdicts=True))
    refuse_refund = RefuseRefund(explanation="Delivered", evidence=["pod.png"])
    await act(h, CaseAction(actor="a", role="agent", action=refuse_refund))
    await signal(h, claim("platform", PlatformVerdict(verdict="no_refund"), "v-1"))
    [row] = await audited(cases.engine, inp.case_id, 1)
    assert (row.accepted, row.status_code) == (True, 200)
    assert (await view(h)).status != "platform_review"


# --- what a signal may do ------------------------------------------------------------------


async def test_an_allowed_signalled_reply_works_and_is_audited(cases: Cases) -> None:
    h, inp = await cases.start()
    await signal(h, claim("agent", Reply(message="Parcel re-sent, tracking SF123"), "rep-1"))
    v = await until(h, lambda v: v.status == "awaiting_outcome")
    assert event(v, "message").actor == "agent-1"
    [row] = await audited(cases.engine, inp.case_id, 1)
    assert (row.via, row.actor, row.role, row.action, row.request_id) == (
        "signal",
        "agent-1",
        "agent",
        "reply",
        "rep-1",
    )
    assert (row.accepted, row.status_code, row.reason, row.scope) == (True, 200, "", "")
    assert row.effect_key == f"{inp.case_id}:signal:1"


async def test_a_signal_is_held_to_the_same_checks_as_the_api(cases: Cases) -> None:
    """What the role may not take, or the state does not allow, is refused as the API would."""
    h, inp = await cases.start()
    await signal(h, claim("agent", {"type": "appeal_decision", "penalty_id": "P1", "approved": 1}))
    await signal(h, claim("agent", {"type": "reply", "message": "bad \x1b[31m escape"}))
    rows = await audited(cases.engine, inp.case_id, 2)
    assert [(r.status_code, r.accepted) for r in rows] == [(403, False), (422, False)]
    assert "may not take action 'appeal_decision'" in rows[0].reason
    assert "control or bidi character" in rows[1].reason
    assert (await view(h)).status == "awaiting_response"


def test_a_snapshot_from_before_signals_had_a_policy_reads_as_missing() -> None:
    """Inputs recorded before `[signals]` existed read as None, which the kernel takes as
    the defaults: money and verdicts by signal refused."""
    snapshot = load_policy("default").snapshot(datetime.now(UTC))
    assert snapshot.signals == SignalsPolicy() == SignalsPolicy(allow_money=False)
    assert not snapshot.signals.allow_verdicts
    raw = snapshot.model_dump(mode="json")
    raw.pop("signals")
    assert PolicySnapshot.model_validate(raw).signals is None


def test_one_declaration_says_what_moves_money_and_what_is_a_verdict() -> None:
    """The action models declare it; the API (Idempotency-Key) and the signal path read it."""
    complaint, platform, dispute = "complaint-x-1", "platform-x-1", "dispute-stripe-dp_1"
    refund = {"type": "refund", "amount": "10.00"}
    conclude = {"type": "conclude", "upheld": True, "basis": "b"}
    money: list[tuple[str, dict[str, Any]]] = [
        (complaint, refund),
        (platform, {**conclude, "compensation": {"refund": "10.00"}}),
        (dispute, {"type": "accept_dispute"}),
    ]
    no_money: list[tuple[str, dict[str, Any]]] = [
        (complaint, {"type": "reply", "message": "m"}),
        (platform, {**conclude, "compensation": {"points": 10}}),
        (dispute, {"type": "submit_defense"}),
        (dispute, refund),  # not a dispute's action: refused as invalid further on
    ]
    assert all(api_moves_money(case_id, body) for case_id, body in money)
    assert not any(api_moves_money(case_id, body) for case_id, body in no_money)
    assert moves_money(Refund(amount=Decimal("1.00")))
    assert is_verdict(PlatformVerdict(verdict="no_refund"))
    assert not is_verdict(Reply(message="m")) and not moves_money(Reply(message="m"))
