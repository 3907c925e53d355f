"""The `[payment_failure]` policy section (rules F1–F6, seeds/002 and 001): the cause
catalogue per payment channel, the reconciliation clocks, the failure-rate alert and its
emergency plan, and the bounds of a case.

The kind's models (`redress/models/payment_failure.py`) declare it as the kind's policy
section (`SECTION`, `rules_of`); durations read with the policy's own grammar (`96h`,
`7d`, `30s`).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
    model_validator,
)


def _duration(value: Any) -> Any:
    from redress.policy import parse_duration  # at validation time: no import cycle

    return parse_duration(value)


Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    PlainSerializer(lambda td: td.total_seconds(), return_type=float),
]

CauseClass = Literal[
    "insufficient_funds",
    "timeout",
    "risk_control",
    "card_expired",
    "card_lost_or_frozen",
    "over_limit",
    "unusual_time",
    "terminal_or_network",
    "bank_maintenance",
    "unknown",
]
CAUSES: tuple[str, ...] = CauseClass.__args__  # type: ignore[attr-defined]

# What the user is told to do first (the notice words it in their language).
NextStep = Literal[
    "check_balance",
    "retry_later",
    "verify_identity",
    "use_another_card",
    "contact_bank",
    "lower_amount_or_another_method",
    "retry_in_business_hours",
    "wait_for_maintenance",
    "use_another_method",
]
# F3: what else the user may do (another card or method, a retry after maintenance,
# another channel).
Remedy = Literal[
    "another_card",
    "another_method",
    "another_channel",
    "retry_after_maintenance",
    "retry_later",
    "verify_identity",
    "contact_bank",
]
ChannelName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,31}$")]
ReturnCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ANY_CHANNEL = "*"  # the catalogue's codes for every channel


class CauseRule(BaseModel):
    """What a cause class means for the user: the next step, whether paying again is safe
    and after how long (a declined card is never invited to retry at once, seeds/001),
    whether identity verification is needed, and the remedies offered (F3)."""

    model_config = ConfigDict(extra="forbid")

    next_step: NextStep
    retry_safe: bool
    retry_after: Duration = Field(default=timedelta(0))
    needs_verification: bool = False
    remedies: list[Remedy] = Field(default_factory=list, max_length=7)


class CodeRule(BaseModel):
    """One return code of one channel: its cause class, and anything of the class's rule
    this code says otherwise."""

    model_config = ConfigDict(extra="forbid")

    cause: CauseClass
    next_step: NextStep | None = None
    retry_safe: bool | None = None
    retry_after: Duration | None = None
    needs_verification: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _class_name(cls, value: Any) -> Any:
        return {"cause": value} if isinstance(value, str) else value


class AlertPolicy(BaseModel):
    """F5: the failure rate per merchant and channel over a sliding window, from the
    attempts ledger, evaluated by a Schedule; one alert when it crosses the threshold
    (the rate and a minimum of failures), one clear when it falls back."""

    window: Duration = Field(default=timedelta(minutes=10))
    rate: Decimal = Field(default=Decimal("0.3"), gt=0, le=1)
    min_failures: int = Field(default=10, ge=1)
    # Cleared when the rate is back under this (default: the threshold itself).
    clear_rate: Decimal | None = Field(default=None, gt=0, le=1)
    evaluate_every: Duration = Field(default=timedelta(minutes=1))
    top_causes: int = Field(default=3, ge=1, le=10)
    locale: Literal["zh-CN", "en"] = "zh-CN"

    @model_validator(mode="after")
    def _positive(self) -> AlertPolicy:
        if self.window <= timedelta(0) or self.evaluate_every <= timedelta(0):
            raise ValueError("payment_failure.alert: window and evaluate_every must be positive")
        return self

    @property
    def clear_below(self) -> Decimal:
        return self.clear_rate if self.clear_rate is not None else self.rate


class EmergencyPlan(BaseModel):
    """F5: what the merchant's operations contact is handed with an alert (seeds/002 第六):
    the backup channel per channel, who to call, the first steps."""

    backup_channels: dict[str, str] = Field(default_factory=dict)
    contacts: list[Annotated[str, StringConstraints(max_length=200)]] = Field(
        default_factory=list, max_length=20
    )
    steps: list[Annotated[str, StringConstraints(max_length=500)]] = Field(
        default_factory=list, max_length=20
    )
    # The notice's address per merchant ("*": every other one); the recipient is the
    # merchant's operations desk (channel `ops`).
    ops_contacts: dict[str, str] = Field(default_factory=lambda: {"*": "ops"})

    def ops_address(self, merchant_id: str) -> str:
        found = self.ops_contacts.get(merchant_id) or self.ops_contacts.get(ANY_CHANNEL, "ops")
        return found.replace("{merchant}", merchant_id)


class PaymentFailurePolicy(BaseModel):
    """Payment failures, rules F1–F6 (seeds/002, seeds/001)."""

    # F4: nothing was taken: the case waits this long (from its arrival) for the user to
    # pay again, then closes `abandoned`.
    retry_window: Duration
    # F4: the channel cannot say what happened: asked again with backoff until this long
    # after the arrival, then escalated to the desk.
    reconcile_within: Duration
    reconcile_first_retry: Duration = Field(default=timedelta(seconds=30))
    reconcile_max_interval: Duration = Field(default=timedelta(minutes=10))
    # A capture reported after the case closed is still refunded within this window.
    late_capture_window: Duration = Field(default=timedelta(days=7))
    refund_timeout: Duration = Field(default=timedelta(minutes=2))
    # F1: the cause classes, and the return codes per channel (`*`: every channel).
    causes: dict[CauseClass, CauseRule]
    codes: dict[str, Annotated[dict[ReturnCode, CodeRule], Field(max_length=5000)]] = Field(
        default_factory=dict, max_length=200
    )
    alert: AlertPolicy = Field(default_factory=AlertPolicy)
    emergency: EmergencyPlan = Field(default_factory=EmergencyPlan)
    max_notes: int = Field(default=100, ge=1)  # reviewer notes per case
    history_limit: int = Field(default=10_000, ge=20)

    @field_validator("causes")
    @classmethod
    def _every_class(cls, value: dict[str, CauseRule]) -> dict[str, CauseRule]:
        missing = [c for c in CAUSES if c not in value]
        if missing:
            raise ValueError(f"no rule for the cause classes {missing}")
        return value

    @model_validator(mode="after")
    def _waits(self) -> PaymentFailurePolicy:
        for name in ("retry_window", "reconcile_within", "reconcile_first_retry"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"payment_failure.{name} must be positive")
        return self

    def deadline_rules(self) -> list[Any]:
        """The case's deadlines and what each counts from (`redress policy check`)."""
        from redress.deadlines import DeadlineRule  # at call time: no import cycle

        return [
            DeadlineRule("retry_by", self.retry_window, "the failure's arrival"),
            DeadlineRule("reconcile_by", self.reconcile_within, "an unknown result"),
            DeadlineRule("late_capture_window", self.late_capture_window, "closing"),
        ]

    def classify(self, channel: str, code: str) -> tuple[str, CauseRule, bool]:
        """(cause class, its rule for this code, whether the code is in the catalogue):
        the channel's own codes first, then the codes of every channel; an unknown code is
        `unknown` with that class's safe next step."""
        found = self.codes.get(channel, {}).get(code) or self.codes.get(ANY_CHANNEL, {}).get(code)
        if found is None:
            return "unknown", self.causes["unknown"], False
        overrides = ("next_step", "retry_safe", "retry_after", "needs_verification")
        changes = {k: getattr(found, k) for k in overrides if getattr(found, k) is not None}
        return found.cause, self.causes[found.cause].model_copy(update=changes), True
