"""Policies: every deadline, window and threshold of a case, as data.

A policy is a TOML file. `load_policy` reads one (a bundled name or a path) and
`Policy.snapshot` freezes it, with its working-day calendar resolved, into the value
that travels in a workflow's input: editing the file later never changes a running case.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, model_validator

from redress.calendar import CalendarSnapshot, resolve_calendar

POLICIES_DIR = Path(__file__).resolve().parents[1] / "policies"

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|w|d|h|m|s)")


def parse_duration(value: Any) -> Any:
    """'96h', '7d', '1h30m', '250ms' or a number of seconds → timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if text and _PART.sub("", text) == "":
            return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in _PART.findall(text)))
        raise ValueError(f"not a duration: {value!r} (use e.g. '96h', '7d', '30s')")
    return value


def format_duration(td: timedelta) -> str:
    """The inverse of `parse_duration` for whole units: 30d, 5m, 90s."""
    seconds = int(td.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{seconds // int(_UNITS[unit])}{unit}"
    return f"{seconds}s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda td: td.total_seconds(), return_type=float),
]


class Span(BaseModel):
    """A deadline that is either a plain duration or a count of working days."""

    seconds: float | None = None
    working_days: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            m = re.fullmatch(r"\s*(\d+)\s*(wd|working[_ ]?days?)\s*", value.lower())
            if m:
                return {"working_days": int(m.group(1))}
            return {"seconds": parse_duration(value).total_seconds()}
        if isinstance(value, int | float):
            return {"seconds": float(value)}
        return value

    @model_validator(mode="after")
    def _one_of(self) -> Span:
        if (self.seconds is None) == (self.working_days is None):
            raise ValueError("give either a duration or a number of working days")
        return self

    def after(self, start: datetime, calendar: CalendarSnapshot) -> datetime:
        if self.working_days is not None:
            return calendar.add_working_days(start, self.working_days)
        return start + timedelta(seconds=self.seconds or 0)


class CalendarPolicy(BaseModel):
    kind: Literal["working_days", "24x7"] = "working_days"
    country: str = "CN"
    utc_offset_minutes: int = 480
    weekend: list[int] = Field(default_factory=lambda: [5, 6])
    extra_holidays: list[date] = Field(default_factory=list)
    extra_workdays: list[date] = Field(default_factory=list)
    # A TOML file of official holidays and make-up workdays per year (see calendar.py),
    # for a year the `holidays` package only estimates; relative to the policy file.
    official_dates: str = ""


class ComplaintPolicy(BaseModel):
    """Merchant-side trade complaints, rules M1–M8 (seeds/003)."""

    handle_within: Duration  # M1: 96 h from the complaint's creation
    reminders_before: list[Duration]  # warnings before the M1 deadline
    outcome_wait: Duration  # after handling: wait for the user's/platform's outcome
    response_overdue_points: int = Field(ge=0)  # M2
    response_appeal_window: Duration  # M3: 7 days from the penalty
    appeal_review: Span  # M4: 3 working days
    refund_within: Duration  # M6: 7 days after a "must refund" verdict
    refund_overdue_points: int = Field(ge=0)  # M7
    refund_appeal_window: Duration  # M8: 30 days from the penalty
    # Bounds that keep a case inside Temporal's history limits, whatever its users send.
    max_messages: int = Field(default=100, ge=1)  # replies per case; the next one is a 409
    message_bytes: int = Field(default=8192, ge=256)  # one reply's text, UTF-8 (422 over it)
    history_limit: int = Field(default=10_000, ge=20)  # events before a case continues as new
    # A refund the gateway has not confirmed by then is refused (503) and the case goes on.
    refund_timeout: Duration = Field(default=timedelta(minutes=2))


class PlatformClocks(BaseModel):
    """One set of clocks of a platform complaint (regular, or the shorter urgent ones)."""

    acceptance: Duration  # P2: a complete complaint's acceptance decided within (24 h)
    target: Span  # P6: the investigation's target (3 working days)
    deadline: Span  # P6: its deadline (5 working days); escalation after it
    complex: Span  # P6: a complex case's deadline (7 working days)


class AcceptancePolicy(BaseModel):
    # true: complete complaints wait for a reviewer's accept or reject (P2's initial review)
    manual: bool = False


class PlatformComplaintPolicy(BaseModel):
    """Platform-side complaints, rules P1–P10 (seeds/004)."""

    acceptance: AcceptancePolicy = Field(default_factory=AcceptancePolicy)
    supplement_wait: Duration  # P2: an incomplete complaint lapses without a supplement
    # P3: identity verification for amounts strictly above these, per currency; a currency
    # not listed is always verified.
    verification_above: dict[str, Decimal]
    verification_wait: Duration  # P3: no result by then: held for a supervisor
    verification_method: Literal["otp", "id_document"] = "otp"  # P3: what the user is asked
    urgent_categories: list[str]  # P4: handled first, on the urgent clocks
    regular: PlatformClocks
    urgent: PlatformClocks
    reminders_before: list[Duration]  # P6: to the assignee before each deadline
    confirmation_wait: Duration  # P9: the user confirms within 7 days; silence accepts
    escalation_review: Span  # an objection's review by a supervisor
    max_supplements: int = Field(default=50, ge=1)  # the user's additions per case
    max_notes: int = Field(default=200, ge=1)  # internal notes per case (422 past it)
    note_bytes: int = Field(default=8192, ge=256)  # one note's text, UTF-8 (422 over it)
    max_links: int = Field(default=50, ge=1)  # other complaints linked to one case
    history_limit: int = Field(default=10_000, ge=20)
    refund_timeout: Duration = Field(default=timedelta(minutes=2))


class ProviderLimits(BaseModel):
    """What a provider accepts in one submission (C2's packet must fit)."""

    per_file_bytes: int | None = Field(default=None, ge=1)
    combined_bytes: int | None = Field(default=None, ge=1)
    base64_chars: int | None = Field(default=None, ge=1)  # the encoded document's length


class MonitoringPolicy(BaseModel):
    """C5: the card networks' monitoring programmes, per merchant and month (SPEC §3)."""

    # Visa VAMP: (fraud reports + disputes) / settled card-not-present transactions.
    vamp_ratio: Decimal = Decimal("0.015")  # excessive at or above (from April 2026)
    vamp_min_count: int = 1500  # only above this many disputes + fraud reports a month
    # Mastercard ECM / HECM: chargebacks and their ratio to last month's transactions.
    ecm_min_count: int = 100
    ecm_max_count: int = 299
    ecm_ratio: Decimal = Decimal("0.015")
    ecm_max_ratio: Decimal = Decimal("0.0299")
    hecm_min_count: int = 300
    hecm_ratio: Decimal = Decimal("0.03")
    warning_level: Decimal = Decimal("0.8")  # "nearing": this share of a threshold
    recompute_every: Duration = Field(default=timedelta(hours=1))


class DisputePolicy(BaseModel):
    """Chargebacks and card disputes, rules C1–C6 (seeds/000, seeds/001). The due time
    itself is the provider's; these are what redress does around it."""

    reminders_before: list[Duration]  # early warnings to the merchant desk before due_by
    safety_margin: Duration  # a defence must be in by due_by minus this
    # Nobody acted by the margin: below these amounts (per currency) accept, otherwise
    # submit the packet as it stands and escalate to a supervisor.
    auto_accept_below: dict[str, Decimal] = Field(default_factory=dict)
    # submit_defense above these amounts is a supervisor's (per currency; unlisted: none).
    supervisor_above: dict[str, Decimal] = Field(default_factory=dict)
    reopen_window: Duration  # a closed case waits this long for a new round (pre-arbitration)
    # C2: evidence kinds each reason category needs.
    required: dict[str, list[str]] = Field(default_factory=dict)
    limits: dict[str, ProviderLimits] = Field(default_factory=dict)  # by provider
    monitoring: MonitoringPolicy = Field(default_factory=MonitoringPolicy)
    max_evidence_items: int = Field(default=200, ge=1)
    # The reviewers' evidence text per case, UTF-8 in all (kept in the case store; the
    # workflow holds references and sizes).
    max_evidence_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    history_limit: int = Field(default=10_000, ge=20)


class IntakePolicy(BaseModel):
    """Which events a case may open on: a creation time far in the past is a replay or a
    mistake (it would open and penalize at once), one in the future a broken clock."""

    max_age: Duration = Field(default=timedelta(days=30))
    max_ahead: Duration = Field(default=timedelta(minutes=5))


class LimitsPolicy(BaseModel):
    """Bytes and counts every way in may carry, checked before a body is read or stored.

    What a case keeps in its workflow state must stay far inside Temporal's payload
    (2 MiB) and history (50 MiB) limits whatever arrives; larger material lives in the
    case store and the workflow holds references to it."""

    # JSON bodies of the reviewer API (actions, transaction records, notices).
    api_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # Provider webhooks (the largest provider payloads are a few KiB).
    webhook_body_bytes: int = Field(default=256 * 1024, ge=1024)
    # A transaction record (C1): its evidence items, each item's text and the whole record
    # (UTF-8 JSON as stored), checked before it is written (422 over any).
    transaction_items: int = Field(default=100, ge=1)
    evidence_text_bytes: int = Field(default=80 * 1024, ge=256)
    transaction_bytes: int = Field(default=1024 * 1024, ge=4096)
    # The newest timeline a case hands to its next run (continue-as-new), UTF-8 JSON; the
    # whole timeline stays in the case store.
    carried_timeline_bytes: int = Field(default=256 * 1024, ge=4096)


class RetentionPolicy(BaseModel):
    """C1: keep transaction records at least 360 days, then purge them on a schedule."""

    records_for: Duration = Field(default=timedelta(days=360))
    purge_every: Duration = Field(default=timedelta(days=1))


class Policy(BaseModel):
    """One section per kind of case (named by the kind's registry entry), the working-day
    calendar they share, and the store's retention."""

    name: str
    complaint: ComplaintPolicy | None = None
    platform_complaint: PlatformComplaintPolicy | None = None
    dispute: DisputePolicy | None = None
    calendar: CalendarPolicy = Field(default_factory=CalendarPolicy)
    intake: IntakePolicy = Field(default_factory=IntakePolicy)
    limits: LimitsPolicy = Field(default_factory=LimitsPolicy)
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)

    def missing(self, sections: list[str]) -> list[str]:
        """The named kind sections this policy lacks."""
        return [name for name in sections if getattr(self, name, None) is None]

    def snapshot(self, at: datetime, sections: tuple[str, ...] | None = None) -> PolicySnapshot:
        """The policy as a case opened at `at` keeps it: `sections` (default: all) and
        the calendar resolved into dates."""
        cal = self.calendar
        calendar = resolve_calendar(
            cal.kind,
            cal.country,
            cal.utc_offset_minutes,
            cal.weekend,
            cal.extra_holidays,
            cal.extra_workdays,
            # Appeals can be filed a month after a penalty; two years cover any case.
            range(at.year, at.year + 2),
            cal.official_dates,
        )
        kinds = {
            name: getattr(self, name)
            for name in KIND_SECTIONS
            if sections is None or name in sections
        }
        return PolicySnapshot(name=self.name, calendar=calendar, limits=self.limits, **kinds)


KIND_SECTIONS = ("complaint", "platform_complaint", "dispute")


class PolicySnapshot(BaseModel):
    """A policy frozen into a case's input, its calendar resolved into dates."""

    name: str
    complaint: ComplaintPolicy | None = None
    platform_complaint: PlatformComplaintPolicy | None = None
    dispute: DisputePolicy | None = None
    calendar: CalendarSnapshot
    # Inputs recorded before the limits travelled with a case read as None: those cases
    # carry their state as they always did.
    limits: LimitsPolicy | None = None


def load_policy(ref: str = "default") -> Policy:
    """A bundled policy by name (`default`, `fast`) or a TOML file by path."""
    path = POLICIES_DIR / f"{ref}.toml"
    if not path.exists():
        path = Path(ref)
    if not path.exists():
        bundled = ", ".join(sorted(p.stem for p in POLICIES_DIR.glob("*.toml")))
        raise FileNotFoundError(f"no policy {ref!r}: give a bundled name ({bundled}) or a path")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data.setdefault("name", path.stem)
    official = data.get("calendar", {}).get("official_dates")
    if official and not Path(official).is_absolute():
        data["calendar"]["official_dates"] = str((path.parent / official).resolve())
    return Policy.model_validate(data)
