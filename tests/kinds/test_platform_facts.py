"""A platform complaint's facts are fixed once given: a supplement fills what is missing,
never rewrites what the complaint says, and after acceptance never touches its amount,
currency, merchant, trade or account; compensation refunds never exceed the accepted
amount over every conclusion. On the time-skipping server, the user's events through the
intake as the webhook delivers them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from redress.intake import Undeliverable
from redress.store.tables import CaseRecord, RefundRecord
from tests.kinds.harness import types
from tests.kinds.platforms import UPHELD, Platform

OTHER = {
    "amount": "50000.00",
    "merchant_id": "M-OTHER",
    "trade_no": "T-OTHER",
    "account": "acct-other",
}


def refunds(p: Platform, case_id: str) -> list[Decimal]:
    with Session(p.engine) as s:
        rows = s.exec(select(RefundRecord).where(RefundRecord.case_id == case_id)).all()
    return [Decimal(r.amount) for r in rows]


async def refused_supplement(p: Platform, case_id: str, **complaint: object) -> str:
    with pytest.raises(Undeliverable) as info:
        await p.user(case_id, "supplemented", complaint=complaint)
    assert info.value.status == 409, info.value.message
    return info.value.message


def refusals(v: object) -> list[dict[str, object]]:
    return [e.model_extra or {} for e in v.timeline if e.type == "supplement_refused"]  # type: ignore[attr-defined]


async def test_accepted_facts_cannot_be_rewritten_nor_refunded_past(pc: Platform) -> None:  # noqa: F811
    """The issue's case: 100 accepted, a supplement said 50,000 and another merchant, and
    50,000 was refunded."""
    case_id = await pc.open(amount="100.00")
    before = await pc.view(case_id)
    assert before.status == "investigating"  # no verification at 100

    message = await refused_supplement(pc, case_id, **OTHER)
    assert all(name in message for name in OTHER)
    v = await pc.view(case_id)
    assert (v.amount, v.merchant_id, v.trade_no) == (Decimal("100.00"), "M-DEMO", before.trade_no)
    assert v.details["account"] == "acct-8842"
    assert v.status == "investigating"  # not sent back through verification either
    (refusal,) = refusals(v)
    assert refusal["fields"] == ["account", "merchant_id", "trade_no", "amount"]
    await pc.until(case_id, lambda v: "supplement_refused" in types(v))
    with Session(pc.engine) as s:  # the store (and so the merchant desks) never moved
        row = s.get(CaseRecord, case_id)
        assert row is not None and row.merchant_id == "M-DEMO"

    big = {**UPHELD, "compensation": {"refund": "50000.00"}}
    assert "exceeds the refundable amount 100.00" in await pc.refused(
        case_id, "agent", big, "Invalid"
    )
    assert refunds(pc, case_id) == []


async def test_refunds_over_two_conclusions_stay_within_the_accepted_amount(
    pc: Platform,  # noqa: F811
) -> None:
    """The issue's second variant: 900 refunded on 100 over a conclusion and a review."""
    case_id = await pc.open(amount="100.00")
    await pc.act(case_id, "agent", {**UPHELD, "compensation": {"refund": "100.00"}})
    await refused_supplement(pc, case_id, amount="1000.00")
    await pc.user(case_id, "objected", reason="I was charged ten times that")
    review = {**UPHELD, "compensation": {"refund": "800.00"}}
    message = await pc.refused(case_id, "supervisor", review, "Invalid")
    assert "refundable amount 0.00" in message
    v = await pc.act(case_id, "supervisor", {**UPHELD, "compensation": {"coupon": "CPN-1"}})
    assert (v.status, v.outcome, v.refunded) == ("closed", "upheld", Decimal("100.00"))
    assert sum(refunds(pc, case_id)) == Decimal("100.00")


async def test_before_acceptance_a_supplement_fills_but_never_overwrites(
    pc: Platform,  # noqa: F811
) -> None:
    case_id = await pc.open(amount="100.00", description=None)
    assert (await pc.view(case_id)).status == "awaiting_info"
    # Adding the description while raising the amount: refused as a whole.
    await refused_supplement(pc, case_id, description="charged twice", amount="50000.00")
    v = await pc.view(case_id)
    assert v.status == "awaiting_info" and v.amount == Decimal("100.00")
    assert v.details["missing"] == ["description"]
    # The same amount again is no change; the missing description is taken.
    await pc.user(
        case_id, "supplemented", complaint={"description": "charged twice", "amount": "100"}
    )
    v = await pc.view(case_id)
    assert v.status == "investigating" and v.amount == Decimal("100.00")  # P3: no check at 100


async def test_verification_follows_the_amount_the_case_was_accepted_with(
    pc: Platform,  # noqa: F811
) -> None:
    case_id = await pc.open(amount=None, currency=None, merchant_id=None)
    await pc.user(case_id, "supplemented", complaint={"amount": "5000.00"})
    v = await pc.until(case_id, lambda v: v.status == "awaiting_verification")
    assert v.amount == Decimal("5000.00") and v.currency == "CNY"
    # Accepted: a currency or merchant the complaint lacked is not filled in now.
    await refused_supplement(pc, case_id, currency="USD")
    await refused_supplement(pc, case_id, merchant_id="M-OTHER")
    # More evidence is still taken.
    await pc.user(case_id, "supplemented", complaint={"evidence": ["bank-statement.pdf"]})
    v = await pc.view(case_id)
    assert "bank-statement.pdf" in v.details["evidence"] and v.merchant_id == ""
    assert [r["fields"] for r in refusals(v)] == [["currency"], ["merchant_id"]]
