"""F5: failure rates per merchant and channel over a sliding window, from the attempts
ledger, and one alert per incident.

`figures` counts a merchant's window (attempts: every payment reported, failed or not;
failures; the failures' cause classes; the unknown return codes, so someone can add them
to the catalogue). `evaluate` compares every merchant and channel with its open alert and
raises or clears in one transaction, so each change happens once whatever runs twice;
`pending_notices` is the outbox the alert activity sends to the merchant's operations
contact with the emergency plan.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.engine import Engine

from redress.models.payment_failure_tables import PaymentAttempt, PaymentFailureAlert
from redress.payments.failure_policy import AlertPolicy, PaymentFailurePolicy

_ATTEMPTS: Any = PaymentAttempt.__table__  # type: ignore[attr-defined]
_ALERTS: Any = PaymentFailureAlert.__table__  # type: ignore[attr-defined]
_PLACES = Decimal("0.0001")
MAX_ALERTS_SHOWN = 100


class ChannelFigures(BaseModel):
    attempts: int = 0
    failures: int = 0
    rate: float = 0.0
    causes: dict[str, int] = Field(default_factory=dict)
    unknown_codes: dict[str, int] = Field(default_factory=dict)  # not in the catalogue yet


class AlertView(BaseModel):
    channel: str
    opened_at: AwareDatetime
    cleared_at: AwareDatetime | None = None
    rate: float
    failures: int
    top_causes: list[dict[str, Any]]


class FailureFigures(BaseModel):
    merchant_id: str
    window: str
    channels: dict[str, ChannelFigures]
    alerts: list[AlertView]


def rate_of(failures: int, attempts: int) -> Decimal:
    if attempts <= 0:
        return Decimal(0)
    return (Decimal(failures) / Decimal(attempts)).quantize(_PLACES, rounding=ROUND_DOWN)


def percent(value: Decimal | float | str) -> str:
    """'0.3' → '30.00 %' (truncated, so a rate under the threshold never reads as on it)."""
    pct = (Decimal(str(value)) * 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return f"{pct} %"


def span(td: timedelta) -> str:
    from redress.policy import format_duration

    return format_duration(td)


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at


def _counted(
    engine: Engine, since: datetime, merchant_id: str | None
) -> dict[tuple[str, str], ChannelFigures]:
    """Every (merchant, channel) with payments since `since`: a few grouped queries."""
    where = [_ATTEMPTS.c.at >= since]
    if merchant_id is not None:
        where.append(_ATTEMPTS.c.merchant_id == merchant_id)
    failed = _ATTEMPTS.c.outcome == "failed"
    totals = (
        select(
            _ATTEMPTS.c.merchant_id,
            _ATTEMPTS.c.channel,
            func.count(func.distinct(_ATTEMPTS.c.payment_id)),
            func.sum(case((failed, 1), else_=0)),
        )
        .where(*where)
        .group_by(_ATTEMPTS.c.merchant_id, _ATTEMPTS.c.channel)
    )
    causes = (
        select(
            _ATTEMPTS.c.merchant_id,
            _ATTEMPTS.c.channel,
            _ATTEMPTS.c.cause,
            _ATTEMPTS.c.return_code,
            func.count(),
        )
        .where(*where, failed)
        .group_by(
            _ATTEMPTS.c.merchant_id, _ATTEMPTS.c.channel, _ATTEMPTS.c.cause, _ATTEMPTS.c.return_code
        )
    )
    out: dict[tuple[str, str], ChannelFigures] = defaultdict(ChannelFigures)
    with engine.connect() as conn:
        for merchant, channel, n, failures in conn.execute(totals):
            fig = out[(merchant, channel)]
            fig.attempts, fig.failures = int(n), int(failures or 0)
            fig.rate = float(rate_of(fig.failures, fig.attempts))
        for merchant, channel, cause, code, n in conn.execute(causes):
            fig = out[(merchant, channel)]
            name = cause or "unknown"
            fig.causes[name] = fig.causes.get(name, 0) + int(n)
            if name == "unknown" and code:
                fig.unknown_codes[code] = fig.unknown_codes.get(code, 0) + int(n)
    return dict(out)


def top_causes(fig: ChannelFigures, n: int) -> list[dict[str, Any]]:
    ranked = sorted(fig.causes.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    return [{"cause": cause, "failures": count} for cause, count in ranked]


def figures(
    engine: Engine, merchant_id: str, window: timedelta, now: datetime, shown: str
) -> FailureFigures:
    """One merchant's window: per channel, and the alerts open in it."""
    since = now - window
    counted = _counted(engine, since, merchant_id)
    channels = {channel: fig for (_, channel), fig in sorted(counted.items())}
    stmt = (
        select(_ALERTS)
        .where(
            _ALERTS.c.merchant_id == merchant_id,
            or_(_ALERTS.c.cleared_at.is_(None), _ALERTS.c.cleared_at >= since),
        )
        .order_by(_ALERTS.c.opened_at.desc(), _ALERTS.c.id.desc())
        .limit(MAX_ALERTS_SHOWN)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    alerts = [
        AlertView(
            channel=r.channel,
            opened_at=_aware(r.opened_at),
            cleared_at=_aware(r.cleared_at),
            rate=float(r.rate),
            failures=r.failures,
            top_causes=r.top_causes or [],
        )
        for r in rows
    ]
    return FailureFigures(merchant_id=merchant_id, window=shown, channels=channels, alerts=alerts)


def known_merchant(engine: Engine, merchant_id: str) -> bool:
    with engine.connect() as conn:
        for table in (_ATTEMPTS, _ALERTS):
            stmt = select(table.c.merchant_id).where(table.c.merchant_id == merchant_id).limit(1)
            if conn.execute(stmt).first() is not None:
                return True
    return False


# --- alerts ---------------------------------------------------------------------------------


class AlertChange(BaseModel):
    action: Literal["raise", "clear"]
    alert_id: int
    merchant_id: str
    channel: str
    opened_at: AwareDatetime
    cleared_at: AwareDatetime | None = None
    rate: Decimal
    failures: int
    attempts: int
    top_causes: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def idempotency_key(self) -> str:
        """One notice per alert and direction."""
        return f"payment-failure-alert:{self.alert_id}:{self.action}"


class AlertsInput(BaseModel):
    """The Schedule's workflow input and the activity's: the policy section (a snapshot
    taken when the Schedule was last written) and how long the ledger keeps attempts."""

    policy: PaymentFailurePolicy
    keep_for_seconds: float = 360 * 86400
    at: AwareDatetime | None = None  # the evaluation's instant (the workflow's clock)


class AlertsResult(BaseModel):
    raised: int
    cleared: int
    notices: int


def crossed(fig: ChannelFigures, rules: AlertPolicy) -> bool:
    return fig.failures >= rules.min_failures and rate_of(fig.failures, fig.attempts) >= rules.rate


def fell_back(fig: ChannelFigures, rules: AlertPolicy) -> bool:
    rate = rate_of(fig.failures, fig.attempts)
    return fig.failures < rules.min_failures or rate < rules.clear_below


def evaluate(engine: Engine, rules: AlertPolicy, now: datetime) -> list[AlertChange]:
    """Raise an alert for every merchant and channel over the threshold with none open,
    clear every open one whose rate fell back; in one transaction."""
    counted = _counted(engine, now - rules.window, None)
    changes: list[AlertChange] = []
    with engine.begin() as conn:
        open_now = {
            (r.merchant_id, r.channel): r
            for r in conn.execute(select(_ALERTS).where(_ALERTS.c.cleared_at.is_(None)))
        }
        for key in sorted(set(counted) | set(open_now)):
            fig = counted.get(key, ChannelFigures())
            alert = open_now.get(key)
            merchant, channel = key
            if alert is None and crossed(fig, rules):
                rate = rate_of(fig.failures, fig.attempts)
                causes = top_causes(fig, rules.top_causes)
                alert_id = conn.execute(
                    _ALERTS.insert()
                    .values(
                        merchant_id=merchant,
                        channel=channel,
                        opened_at=now,
                        cleared_at=None,
                        rate=str(rate),
                        failures=fig.failures,
                        attempts=fig.attempts,
                        top_causes=causes,
                        figures={"raised": fig.model_dump(mode="json")},
                        raise_noticed_at=None,
                        clear_noticed_at=None,
                    )
                    .returning(_ALERTS.c.id)
                ).scalar_one()
                changes.append(
                    AlertChange(
                        action="raise",
                        alert_id=alert_id,
                        merchant_id=merchant,
                        channel=channel,
                        opened_at=now,
                        rate=rate,
                        failures=fig.failures,
                        attempts=fig.attempts,
                        top_causes=causes,
                    )
                )
            elif alert is not None and fell_back(fig, rules):
                conn.execute(
                    _ALERTS.update()
                    .where(_ALERTS.c.id == alert.id)
                    .values(
                        cleared_at=now,
                        figures={**(alert.figures or {}), "cleared": fig.model_dump(mode="json")},
                    )
                )
                changes.append(_change("clear", alert, cleared_at=now))
    return changes


def _change(
    action: Literal["raise", "clear"], row: Any, cleared_at: datetime | None
) -> AlertChange:
    return AlertChange(
        action=action,
        alert_id=row.id,
        merchant_id=row.merchant_id,
        channel=row.channel,
        opened_at=_aware(row.opened_at),
        cleared_at=_aware(cleared_at),
        rate=Decimal(row.rate),
        failures=row.failures,
        attempts=row.attempts,
        top_causes=row.top_causes or [],
    )


def pending_notices(engine: Engine) -> list[AlertChange]:
    """The outbox: raises and clears whose notice has not gone out yet, oldest first."""
    stmt = select(_ALERTS).where(
        or_(
            _ALERTS.c.raise_noticed_at.is_(None),
            and_(_ALERTS.c.cleared_at.is_not(None), _ALERTS.c.clear_noticed_at.is_(None)),
        )
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out: list[AlertChange] = []
    for row in rows:
        if row.raise_noticed_at is None:
            out.append(_change("raise", row, cleared_at=None))
        if row.cleared_at is not None and row.clear_noticed_at is None:
            out.append(_change("clear", row, cleared_at=row.cleared_at))
    out.sort(key=lambda c: (c.cleared_at or c.opened_at, c.alert_id, c.action != "raise"))
    return out


def mark_noticed(engine: Engine, change: AlertChange, at: datetime) -> None:
    column = "raise_noticed_at" if change.action == "raise" else "clear_noticed_at"
    with engine.begin() as conn:
        conn.execute(_ALERTS.update().where(_ALERTS.c.id == change.alert_id).values({column: at}))
