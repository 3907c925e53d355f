"""C5 over HTTP: `GET /merchants/{id}/disputes/metrics` and settled transactions (and fraud
reports) taken in by the generic webhook, counted in the figures."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from redress import monitoring
from redress.policy import load_policy
from tests.e2e.harness import Stack
from tests.harness import FEB, MARCH, section, seed_disputes, seed_settled

POLICY = section(load_policy("default"), "dispute").monitoring


def settled(merchant: str, transaction_id: str, **overrides: Any) -> dict[str, Any]:
    transaction = {
        "transaction_id": transaction_id,
        "merchant_id": merchant,
        "settled_at": datetime.now(UTC).isoformat(),
        "amount": "25.00",
        "currency": "USD",
        "card_not_present": True,
        "network": "visa",
    }
    transaction.update(overrides)
    return {
        "event_id": f"evt-{uuid.uuid4().hex[:8]}",
        "type": "transaction.settled",
        "transaction": transaction,
    }


@pytest.mark.rule("C5")
async def test_metrics_of_a_month_with_the_open_alerts(stack: Stack) -> None:
    seed_settled(stack.engine, "M-A", 10_000, "mastercard", FEB)
    seed_disputes(stack.engine, "M-A", 150, "mastercard", MARCH)  # ECM: 150 at 1.5 %
    seed_disputes(stack.engine, "M-A", 3, "visa", MARCH)
    monitoring.evaluate(stack.engine, POLICY, "2026-03", MARCH)

    r = await stack.read("/merchants/M-A/disputes/metrics?month=2026-03")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["merchant_id"], body["month"]) == ("M-A", "2026-03")
    assert body["disputes"] == {"all": 153, "visa": 3, "mastercard": 150, "other": 0, "unknown": 0}
    assert body["settled_last_month"]["mastercard"] == 10_000
    assert body["vamp_ratio"] is None  # no visa transactions: no ratio
    assert body["ecm_ratio"] == "0.01500000"
    ecm = body["programmes"]["ecm"]
    assert (ecm["status"], ecm["count"], ecm["denominator"]) == ("excessive", 150, 10_000)
    assert ecm["threshold"]["ratio"] == "0.015" and ecm["threshold"]["max_count"] == "299"
    assert body["programmes"]["hecm"]["status"] == "ok"
    assert body["programmes"]["vamp"]["status"] == "ok"
    [alert] = body["alerts"]
    assert (alert["programme"], alert["level"], alert["month"]) == ("ecm", "excessive", "2026-03")

    # The desk scoped to M-A reads M-A's figures too.
    scoped = await stack.read("/merchants/M-A/disputes/metrics?month=2026-03", role="desk-a")
    assert scoped.status_code == 200 and scoped.json() == body


async def test_another_merchants_figures_read_as_no_merchant(stack: Stack) -> None:
    seed_disputes(stack.engine, "M-B", 2, "visa", MARCH)
    other = await stack.read("/merchants/M-B/disputes/metrics", role="desk-a")
    unknown = await stack.read("/merchants/M-NONE/disputes/metrics", role="agent")
    assert (other.status_code, unknown.status_code) == (404, 404)
    assert other.json() == {"detail": "no merchant 'M-B'"}
    assert unknown.json() == {"detail": "no merchant 'M-NONE'"}
    # The same merchant unknown to the scoped desk and to the unscoped agent: word for word.
    absent = await stack.read("/merchants/M-ZZZ/disputes/metrics", role="desk-a")
    assert absent.json() == {"detail": "no merchant 'M-ZZZ'"}
    assert (await stack.read("/merchants/M-B/disputes/metrics")).status_code == 200


async def test_metrics_need_a_token_and_a_month(stack: Stack) -> None:
    seed_disputes(stack.engine, "M-A", 1, "visa", MARCH)
    r = await stack.http.get("/merchants/M-A/disputes/metrics")
    assert r.status_code == 401
    for bad in ("2026-13", "March", "2026-3", "2026-03-01"):
        r = await stack.read(f"/merchants/M-A/disputes/metrics?month={bad}")
        assert r.status_code == 422, bad
        assert r.json()["detail"].startswith("month: expected a month as YYYY-MM")


@pytest.mark.rule("C5")
async def test_a_settled_transaction_webhook_counts_in_the_figures(stack: Stack) -> None:
    merchant = f"M-W{uuid.uuid4().hex[:6]}"
    event = settled(merchant, "T-1")
    r = await stack.post_webhook(event)
    assert r.status_code == 200, r.text
    assert r.json() == {"event_id": event["event_id"], "recorded": True}
    # Delivered again, or sent again as another event: the transaction counts once.
    assert (await stack.post_webhook(event)).status_code == 200
    assert (await stack.post_webhook(settled(merchant, "T-1"))).status_code == 200
    assert (await stack.post_webhook(settled(merchant, "T-2", network="Mastercard"))).is_success
    card_present = settled(merchant, "T-3", card_not_present=False)
    assert (await stack.post_webhook(card_present)).status_code == 200
    fraud = {
        "event_id": f"evt-{uuid.uuid4().hex[:8]}",
        "type": "fraud.reported",
        "report": {
            "report_id": f"FR-{merchant}",
            "merchant_id": merchant,
            "network": "visa",
            "reported_at": datetime.now(UTC).isoformat(),
        },
    }
    r = await stack.post_webhook(fraud)
    assert r.status_code == 200 and r.json()["recorded"] is True

    r = await stack.read(f"/merchants/{merchant}/disputes/metrics")  # this month by default
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["month"] == monitoring.month_of(datetime.now(UTC))
    assert body["settled_cnp"] == {"all": 2, "visa": 1, "mastercard": 1, "other": 0, "unknown": 0}
    assert body["fraud_reports"]["visa"] == 1
    vamp = body["programmes"]["vamp"]
    assert (vamp["count"], vamp["denominator"], vamp["status"]) == (1, 1, "ok")  # 1 ≤ 1,500
    assert body["alerts"] == []

    # A malformed body says which field.
    bad = settled(merchant, "T-4")
    del bad["transaction"]["settled_at"]
    r = await stack.post_webhook(bad)
    assert r.status_code == 422
    assert "transaction.settled_at" in r.json()["detail"]
    naive = settled(merchant, "T-5", settled_at="2026-03-01T10:00:00")
    r = await stack.post_webhook(naive)
    assert r.status_code == 422 and "transaction.settled_at" in r.json()["detail"]
    assert (await stack.post_webhook({**fraud, "report": {}})).status_code == 422
