"""Antom's `disputeReasonCode`s by network, as Antom lists them by chargeback category
(docs.antom.com/ac/dispute: visa, mastercard, jcb, amex, diners, cs), to the evidence
category a packet is assembled for (C2)."""

from __future__ import annotations

import re

from redress.models.evidence import Category

MASTERCARD: dict[str, Category] = {
    **dict.fromkeys(("4837", "4840", "4849", "4863", "4870", "4871"), "fraud"),
    **dict.fromkeys(("4808", "4812"), "authorization"),
    "4834": "duplicate",
    "4855": "product_not_received",
    "4841": "subscription_canceled",
    **dict.fromkeys(("4853", "4860"), "consumer_dispute"),
}

# The other networks' reason codes as Antom lists them by chargeback category
# (docs.antom.com/ac/dispute: jcb, amex, diners, cs): JCB's three digits, Discover/Diners'
# letters, American Express's F-codes (all fraud), and "other card scheme" four digits whose
# first two give the category (20 fraud, 21 authorization, 22 processing error).
OTHER_NETWORKS: dict[str, Category] = {
    **dict.fromkeys(("548", "546", "534", "527", "526"), "fraud"),  # JCB
    **dict.fromkeys(("501", "503", "522", "547", "521", "581"), "authorization"),  # JCB
    **dict.fromkeys(("AA", "UA01", "UA02", "UA05", "UA06", "UA10", "UA11"), "fraud"),
    **dict.fromkeys(("AT", "DA", "NA"), "authorization"),  # Discover/Diners
}
SCHEME_GROUPS: dict[str, Category] = {
    "20": "fraud",
    "21": "authorization",
    "22": "processing_error",
}


def category(code: str | None) -> Category:
    """The evidence category of a Visa (`10.4`, `12.6.1`, `13.1`), Mastercard (`4837`),
    JCB (`548`), Discover/Diners (`UA02`), American Express (`F29`) or other card scheme
    (`2006`) reason code, as Antom lists them."""
    code = (code or "").strip()
    if code in MASTERCARD:
        return MASTERCARD[code]
    if code.upper() in OTHER_NETWORKS:
        return OTHER_NETWORKS[code.upper()]
    if len(code) == 4 and code.isascii() and code.isdigit() and code[:2] in SCHEME_GROUPS:
        return SCHEME_GROUPS[code[:2]]
    if re.fullmatch(r"FR?[0-9]{1,2}", code.upper()):  # American Express fraud
        return "fraud"
    parts = code.split(".")
    if len(parts) < 2 or not all(p.isascii() and p.isdigit() for p in parts):
        return "general"
    group, sub = parts[0], parts[1]
    if group == "10":
        return "fraud"
    if group == "11":
        return "authorization"
    if group == "12":
        return "duplicate" if sub == "6" else "processing_error"
    if group == "13":
        if len(parts) == 2 and sub == "1":
            return "product_not_received"
        if len(parts) == 2 and sub == "2":
            return "subscription_canceled"
        return "consumer_dispute"
    return "general"
