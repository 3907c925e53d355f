"""The value types every case's models use: IDs, free text and notes (no hidden
characters), money and currencies, and the validation context of what arrives over HTTP."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo

# Characters no notice, log line or screen should carry: C0/C1 controls (ANSI escapes start
# with one), DEL, and the bidi overrides and isolates that make text read other than it is.
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_HIDDEN_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# The validation context of what arrives over HTTP (webhooks, actions, new Updates). The
# stricter checks below apply to it alone: a payload already in a running case's history
# must still read back on replay, whatever rules came later.
INCOMING: dict[str, bool] = {"incoming": True}


def incoming(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("incoming"))


def _refuse_hidden(pattern: re.Pattern[str]) -> AfterValidator:
    def check(value: str, info: ValidationInfo) -> str:
        found = pattern.search(value) if incoming(info) else None
        if found:
            raise ValueError(
                f"holds a control or bidi character (U+{ord(found.group()):04X}) "
                f"at position {found.start()}"
            )
        return value

    return AfterValidator(check)


Plain = _refuse_hidden(_HIDDEN)  # one line: no controls at all
Prose = _refuse_hidden(_HIDDEN_IN_TEXT)  # free text: tabs and line breaks allowed

# IDs become workflow IDs and URL path segments: keep them plain.
Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000), Prose
]
Note = Annotated[str, StringConstraints(max_length=1000), Prose]
EvidenceRef = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512), Plain
]
Evidence = Annotated[list[EvidenceRef], Field(min_length=1, max_length=20)]


def _plain_decimal(value: Decimal) -> Decimal:
    # "1e2" parses as Decimal("1E+2"): the same number, written as people write it.
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value  # type: ignore[operator]


# Money: positive, at most two decimals, at most 12 integer digits; how many decimals a
# currency allows is checked where the currency is known (`in_minor_units`).
Amount = Annotated[
    Decimal, Field(gt=0, max_digits=14, decimal_places=2), AfterValidator(_plain_decimal)
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

# ISO 4217 codes a case may carry; others are refused with a clear message.
CURRENCIES = frozenset(
    [
        "CNY",
        "HKD",
        "MOP",
        "TWD",
        "USD",
        "EUR",
        "GBP",
        "JPY",
        "KRW",
        "SGD",
        "AUD",
        "CAD",
        "NZD",
        "CHF",
        "SEK",
        "NOK",
        "DKK",
        "THB",
        "MYR",
        "IDR",
        "PHP",
        "VND",
        "INR",
        "AED",
        "SAR",
        "BRL",
        "MXN",
        "RUB",
        "TRY",
        "ZAR",
    ]
)


# ISO 4217 minor units of the currencies above that have none; every other one has two.
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND"})


def known_currency(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError(f"unknown currency {value!r}")
    return value


def in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """`amount` with exactly the currency's decimals; finer amounts are refused."""
    exponent = Decimal(1) if currency in ZERO_DECIMAL else Decimal("0.01")
    quantized = amount.quantize(exponent)
    if quantized != amount:
        digits = 0 if currency in ZERO_DECIMAL else 2
        raise ValueError(f"{amount} has more decimals than {currency} allows ({digits})")
    return quantized


# Reviewer roles come with API tokens; `user` is the person the case is about, whose own
# events (a supplement, a confirmation) arrive by signed webhook, never with a token.
