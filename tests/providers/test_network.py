"""The card network a dispute counts against (C5), read from the field each provider
documents for it: Stripe's `payment_method_details.card.network` (the Dispute object in
stripe/openapi `fixtures3.json` and the `stripe` gem's `Dispute::PaymentMethodDetails::Card`:
"Identifies which network this charge was processed on"), never its `brand`; Antom's
`disputeSource` ("the card scheme that handles the dispute", docs.antom.com
ac/cashierpay/dispute; the notifyDispute samples there send `Visa`, `Mastercard`,
`Shinhan`)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from redress.models.dispute import DisputeEvent
from redress.providers.antom import AntomProvider
from redress.providers.stripe import StripeProvider
from tests.providers.samples import ANTOM_CREATED, CLIENT_ID, EVENT, PATH, SECRET


def _stripe(card: dict[str, Any] | None) -> DisputeEvent:
    payload = copy.deepcopy(EVENT)
    if card is None:
        del payload["data"]["object"]["payment_method_details"]
    else:
        payload["data"]["object"]["payment_method_details"] = {"card": card, "type": "card"}
    event = StripeProvider(SECRET).parse(payload).event
    assert isinstance(event, DisputeEvent)
    return event


@pytest.mark.parametrize(
    ("card", "network"),
    [
        # Stripe's own fixture: brand and network both visa.
        ({"brand": "visa", "case_type": "inquiry", "network": "visa"}, "visa"),
        # A co-badged card: the Cartes Bancaires brand processed on the Visa network counts
        # against Visa, and a Visa-branded card processed on Cartes Bancaires does not.
        ({"brand": "cartes_bancaires", "case_type": "chargeback", "network": "visa"}, "visa"),
        (
            {"brand": "visa", "case_type": "chargeback", "network": "cartes_bancaires"},
            "cartes_bancaires",
        ),
        ({"brand": "mastercard", "case_type": "chargeback", "network": "mastercard"}, "mastercard"),
        # No network given, or Stripe's `unknown`: not known (the brand is not the network).
        ({"brand": "visa", "case_type": "chargeback"}, None),
        ({"brand": "visa", "case_type": "chargeback", "network": "unknown"}, None),
        (None, None),
    ],
)
def test_stripe_network_is_the_card_network_not_the_brand(
    card: dict[str, Any] | None, network: str | None
) -> None:
    assert _stripe(card).network == network


@pytest.mark.parametrize(
    ("source", "network"),
    [("Visa", "visa"), ("Mastercard", "mastercard"), ("Shinhan", "shinhan"), (None, None)],
)
def test_antom_network_is_the_dispute_source(source: str | None, network: str | None) -> None:
    payload = dict(ANTOM_CREATED)
    if source is None:
        del payload["disputeSource"]
    else:
        payload["disputeSource"] = source
    provider = AntomProvider("", CLIENT_ID, merchant_id="M-ACME", notify_path=PATH)
    event = provider.parse(payload).event
    assert isinstance(event, DisputeEvent)
    assert event.network == network
