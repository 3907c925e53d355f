"""Policies: every deadline, window and threshold of a case, as data.

A policy is a TOML file: one section per kind of case (each kind models its own and
registers it in `redress.kinds`; this module names none) and the shared ones below.
`load_policy` reads one (a bundled name or a path) and `Policy.snapshot` freezes it, with
its working-day calendar resolved, into the value that travels in a workflow's input:
editing the file later never changes a running case.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from redress.calendar import CalendarSnapshot, resolve_calendar

M = TypeVar("M", bound=BaseModel)

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
    # The codec endpoint: the Web UI sends a page of history at a time (payloads ≤ 2 MiB).
    codec_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
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


class WatchdogPolicy(BaseModel):
    """The deadline watchdog: a Schedule that, every `every`, finds cases whose next
    deadline passed more than `grace` ago with nothing moving them since (a wedged
    workflow, a failing projection), and alerts the supervisors' desks once per stall."""

    every: Duration = Field(default=timedelta(minutes=5))
    # A healthy case's deadline fires within seconds; the grace absorbs a slow worker or a
    # short outage so only a real stall alerts.
    grace: Duration = Field(default=timedelta(minutes=15))
    notify: list[str] = Field(default_factory=lambda: ["platform:supervisor"], min_length=1)
    locale: Literal["zh-CN", "en"] = "zh-CN"
    max_per_sweep: int = Field(default=500, ge=1)  # new alerts per run; the rest next run
    # A case opened (in the intake ledger) but never projected is stalled too; the sweep looks
    # this far back for such cases (older ones were alerted when they were younger).
    unprojected_lookback: Duration = Field(default=timedelta(days=7))

    @model_validator(mode="after")
    def _positive(self) -> WatchdogPolicy:
        if self.every <= timedelta(0) or self.grace < timedelta(0):
            raise ValueError("watchdog: every must be positive and grace not negative")
        return self


class DigestPolicy(BaseModel):
    """M12: each merchant's operations contact gets a daily digest of its queue at `at`
    (HH:MM) in `timezone`: cases due within `due_within`, overdue cases, penalties whose
    appeal window is open, and the categories with the most complaints in the last 7 days
    against the 7 before (the root causes to chase)."""

    at: str = "09:00"
    timezone: str = "Asia/Shanghai"
    due_within: Duration = Field(default=timedelta(hours=24))
    locale: Literal["zh-CN", "en"] = "zh-CN"
    top_categories: int = Field(default=5, ge=1, le=50)
    max_cases: int = Field(default=200, ge=1, le=5000)  # per list; the digest says how many more
    # The notice's address per merchant (its operations contact; "{merchant}" is replaced);
    # a merchant not listed gets it at its desk, as its other notices.
    ops_contacts: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _valid(self) -> DigestPolicy:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", self.at):
            raise ValueError(f"digest: at must be HH:MM (24 h), not {self.at!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"digest: unknown time zone {self.timezone!r}") from None
        if self.due_within <= timedelta(0):
            raise ValueError("digest: due_within must be positive")
        return self


class SignalsPolicy(BaseModel):
    """What the Signal `act_signal` (the Temporal Web UI's way to act) may do beside the
    API. A signal carries no token: it may do at most what its claimed role may through the
    API, never the intake's roles; money and verdicts go through the API unless allowed."""

    allow_money: bool = False  # refunds, refund compensations, accepted disputes
    allow_verdicts: bool = False  # platform verdicts, appeal decisions, conclusions
    # Request IDs a case remembers so a repeated one acts once (the oldest are forgotten).
    remember_requests: int = Field(default=1000, ge=1, le=10_000)


@dataclass(frozen=True)
class PolicySection:
    """A kind's section of the policy file: its name (the TOML table), its model, and the
    bundled file whose section of that name a policy without one takes."""

    name: str
    model: type[BaseModel]
    defaults: Path = POLICIES_DIR / "default.toml"

    def bundled(self) -> dict[str, Any]:
        data = tomllib.loads(self.defaults.read_text(encoding="utf-8")).get(self.name)
        if not isinstance(data, dict):
            raise ValueError(f"{self.defaults} has no [{self.name}] section")
        return data


class _Sections(BaseModel):
    """The kinds' sections ride as extra fields, named by the kind's registry entry, so the
    TOML file and a snapshot's JSON keep one table/key per kind at the top level."""

    model_config = ConfigDict(extra="allow")

    if TYPE_CHECKING:  # a section by attribute (`policy.<section>`): tests and tools

        def __getattr__(self, name: str) -> Any: ...

    @property
    def sections(self) -> dict[str, Any]:
        """Section name → its value (a model, its JSON form, or None: not in a snapshot)."""
        return dict(self.__pydantic_extra__ or {})

    def section(self, name: str, model: type[M]) -> M:
        """The kind section `name` as its model (validated here from a snapshot's JSON)."""
        value = self.sections.get(name)
        if value is None:
            raise LookupError(f"policy {self.name!r} carries no [{name}] section")
        return value if isinstance(value, model) else model.model_validate(value)

    name: str


class Policy(_Sections):
    """One section per kind of case (named by the kind's registry entry, modelled by the
    kind), the working-day calendar they share, the intake's and the API's limits, and the
    store's retention."""

    calendar: CalendarPolicy = Field(default_factory=CalendarPolicy)
    intake: IntakePolicy = Field(default_factory=IntakePolicy)
    limits: LimitsPolicy = Field(default_factory=LimitsPolicy)
    retention: RetentionPolicy = Field(default_factory=RetentionPolicy)
    watchdog: WatchdogPolicy = Field(default_factory=WatchdogPolicy)
    digest: DigestPolicy = Field(default_factory=DigestPolicy)
    signals: SignalsPolicy = Field(default_factory=SignalsPolicy)
    # The kind sections the file lacked, taken from their bundled defaults.
    defaulted: tuple[str, ...] = ()
    # Tables in the file that neither a kind nor a shared part reads (ignored).
    ignored: tuple[str, ...] = ()

    def monitoring(self) -> MonitoringPolicy | None:
        """C5's figures, from the kind section that carries them (if a kind does)."""
        for value in self.sections.values():
            found = getattr(value, "monitoring", None)
            if isinstance(found, MonitoringPolicy):
                return found
        return None

    def snapshot(self, at: datetime, sections: tuple[str, ...] | None = None) -> PolicySnapshot:
        """The policy as a case opened at `at` keeps it: `sections` (default: all; the
        others are null) and the calendar resolved into dates."""
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
        # In their JSON form, as a case reads them back from its input: `section` types them.
        kinds = {
            name: _json(value) if sections is None or name in sections else None
            for name, value in self.sections.items()
        }
        return PolicySnapshot(
            name=self.name, calendar=calendar, signals=self.signals, limits=self.limits, **kinds
        )


def _json(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


class PolicySnapshot(_Sections):
    """A policy frozen into a case's input, its calendar resolved into dates. In JSON: the
    name, one key per kind section (null where the case does not use it), the calendar."""

    calendar: CalendarSnapshot
    # None in inputs recorded before signals had a policy: read as the defaults (refused).
    signals: SignalsPolicy | None = None
    # Inputs recorded before the limits travelled with a case read as None: those cases
    # carry their state as they always did.
    limits: LimitsPolicy | None = None

    @model_serializer(mode="wrap")
    def _in_file_order(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        shared = {key: data.pop(key, None) for key in ("calendar", "signals", "limits")}
        return {**data, **shared}


def read_policy(ref: str = "default") -> tuple[Path, dict[str, Any]]:
    """A bundled policy's or a policy file's path and TOML data."""
    path = POLICIES_DIR / f"{ref}.toml"
    if not path.exists():
        path = Path(ref)
    if not path.exists():
        bundled = ", ".join(sorted(p.stem for p in POLICIES_DIR.glob("*.toml")))
        raise FileNotFoundError(f"no policy {ref!r}: give a bundled name ({bundled}) or a path")
    return path, tomllib.loads(path.read_text(encoding="utf-8"))


def load_policy(ref: str = "default", sections: Sequence[PolicySection] | None = None) -> Policy:
    """A bundled policy by name (`default`, `fast`) or a TOML file by path, with one section
    per kind in `sections` (default: every registered kind's). A section the file lacks
    takes its bundled defaults (`Policy.defaulted` names them); a table no kind and no
    shared part reads is ignored (`Policy.ignored` names them: `redress policy check`)."""
    if sections is None:
        from redress.kinds import policy_sections  # the registry; it imports this module

        sections = policy_sections()
    path, data = read_policy(ref)
    data.setdefault("name", path.stem)
    official = data.get("calendar", {}).get("official_dates")
    if official and not Path(official).is_absolute():
        data["calendar"]["official_dates"] = str((path.parent / official).resolve())
    shared = {name: data.pop(name) for name in list(data) if name in Policy.model_fields}
    kinds: dict[str, Any] = {}
    defaulted: list[str] = []
    for section in sections:
        raw = data.pop(section.name, None)
        if raw is None:
            raw = section.bundled()
            defaulted.append(section.name)
        kinds[section.name] = section.model.model_validate(raw)
    return Policy.model_validate(
        {**shared, **kinds, "defaulted": tuple(defaulted), "ignored": tuple(data)}
    )
