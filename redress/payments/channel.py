"""The payment channel as a failure case asks it (F4): did it take this payment's money?

`PaymentChannel` is what a real channel client fills (Alipay `alipay.trade.query`,
WeChat Pay `orderquery`, an acquirer's transaction inquiry). `SimulatedPaymentChannel`
answers from the `payment.captured` events redress has recorded in the attempts ledger,
and can be made silent (`REDRESS_SIMULATED_CHANNEL=silent`) to exercise the case's path
for a channel that cannot say.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel
from sqlalchemy.engine import Engine

from redress.payments import attempts

ENV = "REDRESS_SIMULATED_CHANNEL"
MODES = ("answer", "silent")


class ChannelUnavailable(Exception):
    """The channel did not answer (down, timed out, does not know the payment yet)."""


class ChannelAnswer(BaseModel):
    state: Literal["captured", "not_captured"]
    captured_at: datetime | None = None


class PaymentChannel(Protocol):
    def query(self, source: str, channel: str, payment_id: str) -> ChannelAnswer: ...


class SimulatedPaymentChannel:
    """Answers from the captures recorded in the attempts ledger; `silent` never answers.
    Replace with a real channel client."""

    def __init__(self, engine: Engine, silent: bool = False) -> None:
        self.engine = engine
        self.silent = silent

    def query(self, source: str, channel: str, payment_id: str) -> ChannelAnswer:
        if self.silent:
            raise ChannelUnavailable(f"the simulated {channel} channel is silent ({ENV})")
        at = attempts.captured_at(self.engine, source, payment_id)
        return ChannelAnswer(state="captured" if at else "not_captured", captured_at=at)


def channel_from_env(engine: Engine, env: dict[str, str] | None = None) -> SimulatedPaymentChannel:
    mode = (os.environ if env is None else env).get(ENV, "answer").strip().lower() or "answer"
    if mode not in MODES:
        raise ValueError(f"{ENV} must be one of {', '.join(MODES)}, not {mode!r}")
    return SimulatedPaymentChannel(engine, silent=mode == "silent")
