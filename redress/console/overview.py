"""The overview: pictures of the last weeks, from the case store (every kind's cases
alike), and the charts each kind contributes through its registry entry
(`CaseKind.console_charts`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.responses import Response

from redress import kinds
from redress.console import i18n, labels
from redress.console.pages import Visit, aware, now, render, signed_in
from redress.console.svg import Chart, bars
from redress.logs import get_logger
from redress.store.tables import CaseRecord

router = APIRouter()
log = get_logger()
WEEKS = 8
MAX_ROWS = 50_000  # cases read for one overview (the newest first)
TOP_CATEGORIES = 6
_CASES: Any = CaseRecord.__table__  # type: ignore[attr-defined]


def _week(at: datetime) -> datetime:
    day = aware(at).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def case_charts(
    engine: Engine, merchants: frozenset[str] | None, when: datetime, lang: str
) -> list[Chart]:
    """Cases by category and week; the share handled without a penalty; penalty points
    imposed and appeals won, by week. Weeks start on Monday (UTC)."""
    t = i18n.translator(lang)
    first = _week(when) - timedelta(weeks=WEEKS - 1)
    weeks = [first + timedelta(weeks=n) for n in range(WEEKS)]
    labels = [w.strftime("%m-%d") for w in weeks]
    stmt = select(_CASES.c.created_at, _CASES.c.data).where(_CASES.c.created_at >= first)
    if merchants is not None:
        stmt = stmt.where(_CASES.c.merchant_id.in_(sorted(merchants)))
    stmt = stmt.order_by(_CASES.c.created_at.desc()).limit(MAX_ROWS)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    by_cat: dict[str, Counter[int]] = defaultdict(Counter)
    opened: Counter[int] = Counter()
    clean: Counter[int] = Counter()
    points: Counter[int] = Counter()
    won: Counter[int] = Counter()

    def slot(at: Any) -> int | None:
        if not at:
            return None
        moment = aware(datetime.fromisoformat(at) if isinstance(at, str) else at)
        n = (moment - first).days // 7
        return n if 0 <= n < WEEKS else None

    for created_at, data in rows:
        n = slot(created_at)
        if n is None:
            continue
        by_cat[str(data.get("category") or data.get("kind", "?"))][n] += 1
        opened[n] += 1
        penalties = data.get("penalties") or []
        clean[n] += not penalties and not data.get("stalled_since")
        for p in penalties:
            imposed = slot(p.get("imposed_at"))
            if imposed is not None and p.get("state") != "revoked":
                points[imposed] += int(p.get("points", 0))
            decided = slot((p.get("appeal") or {}).get("decided_at"))
            if decided is not None and p.get("state") == "revoked":
                won[decided] += 1
    ranked = sorted(by_cat, key=lambda c: -sum(by_cat[c].values()))
    shown = ranked[:TOP_CATEGORIES]
    series = {_legend(c, lang): [float(by_cat[c][n]) for n in range(WEEKS)] for c in shown}
    rest = ranked[TOP_CATEGORIES:]
    if rest:
        series["…"] = [float(sum(by_cat[c][n] for c in rest)) for n in range(WEEKS)]
    rate = [100.0 * clean[n] / opened[n] if opened[n] else 0.0 for n in range(WEEKS)]
    return [
        Chart(t("complaints_by_week"), bars(labels, series or {"—": [0.0] * WEEKS})),
        Chart(t("on_time_rate"), bars(labels, {"%": rate}, unit="%", top=100.0)),
        Chart(
            t("points_appeals"),
            bars(
                labels,
                {
                    t("points"): [float(points[n]) for n in range(WEEKS)],
                    t("appeals_won"): [float(won[n]) for n in range(WEEKS)],
                },
                stacked=False,
            ),
        ),
    ]


def _legend(code: str, lang: str) -> str:
    """A category in a chart's legend: its word, with its code (the API's name) after it."""
    word = labels.word(code, lang)
    return code if word == code else f"{word} · {code}"


def all_charts(v: Visit, lang: str) -> list[Chart]:
    assert v.principal is not None
    when = now()
    merchants = v.principal.merchants
    charts = case_charts(v.state.engine, merchants, when, lang)
    for kind in kinds.KINDS.values():
        for make in kind.load_console_charts():
            try:
                charts += make(v.state.engine, v.state.policy, merchants, when, lang)
            except Exception as err:  # one kind's figures failing must not hide the rest
                log.error("console chart failed", kind=kind.name, error=str(err))
    return charts


@router.get("/overview")
async def overview(request: Request) -> Response:
    v = signed_in(request)
    charts = await run_in_threadpool(all_charts, v, i18n.choose(request))
    return render(v, "overview.html", charts=charts)
