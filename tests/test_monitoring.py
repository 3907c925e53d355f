"""C5: the card networks' monitoring of each merchant's disputes (SPEC §3): the figures at,
just under and just over every threshold, alerts raised and cleared once, the settlement
file import, and the Schedule's workflow sending the merchant desk's notices."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from temporalio.client import ScheduleActionStartWorkflow, ScheduleOverlapPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.monitoring import MonitoringActivities
from redress import cli, monitoring
from redress.models.dispute_tables import (
    MerchantTimelineEntry,
    MonitoringAlert,
    SettledTransaction,
)
from redress.monitoring import Counts, MonitoringInput, NetworkCounts, assess
from redress.notices.channels import RecordingChannel
from redress.notices.renderer import get_renderer
from redress.policy import MonitoringPolicy, load_policy
from redress.settlements import import_csv
from redress.store.db import make_engine
from redress.store.tables import NoticeRecord
from tests.harness import FEB, MARCH, section, seed_disputes, seed_fraud, seed_settled
from workflows.monitoring import (
    MONITORING_SCHEDULE_ID,
    MonitoringWorkflow,
    ensure_monitoring_schedule,
)

POLICY = section(load_policy("default"), "dispute").monitoring
PG_URL = os.environ.get("REDRESS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """The case store on both backends (the dispute's network is read from JSON)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
        yield engine
        engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL, create=False)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as err:  # noqa: BLE001
        admin.dispose()
        pytest.skip(f"no PostgreSQL at {PG_URL}: {err}")
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


# --- the thresholds, on counts ----------------------------------------------------------------


def vamp(count: int, transactions: int, policy: MonitoringPolicy = POLICY) -> str:
    counts = Counts(
        disputes=NetworkCounts(all=count, visa=count),
        settled_cnp=NetworkCounts(all=transactions, visa=transactions),
    )
    return assess("M", "2026-03", counts, policy).programmes["vamp"].status


def mastercard(count: int, last_month: int) -> tuple[str, str]:
    counts = Counts(
        disputes=NetworkCounts(all=count, mastercard=count),
        settled_last_month=NetworkCounts(all=last_month, mastercard=last_month),
    )
    found = assess("M", "2026-03", counts, POLICY).programmes
    return found["ecm"].status, found["hecm"].status


@pytest.mark.rule("C5")
def test_the_thresholds_come_from_the_policy() -> None:
    assert POLICY.vamp_ratio == Decimal("0.015") and POLICY.vamp_min_count == 1500
    assert (POLICY.ecm_min_count, POLICY.ecm_max_count) == (100, 299)
    assert (POLICY.ecm_ratio, POLICY.ecm_max_ratio) == (Decimal("0.015"), Decimal("0.0299"))
    assert (POLICY.hecm_min_count, POLICY.hecm_ratio) == (300, Decimal("0.03"))
    assert POLICY.warning_level == Decimal("0.8")
    # Another policy, other figures: nothing is a constant in the code.
    stricter = POLICY.model_copy(update={"vamp_ratio": Decimal("0.01"), "vamp_min_count": 100})
    assert vamp(101, 10_100, stricter) == "excessive"
    assert vamp(101, 10_100) == "ok"


@pytest.mark.parametrize(
    ("count", "transactions", "status"),
    [
        (1503, 100_200, "excessive"),  # exactly 1.5 %, count above 1,500
        (1501, 100_066, "excessive"),  # 1.50001 %, 1,501 events
        (1501, 100_067, "warning"),  # 1.49995 %: just under the ratio
        (1500, 100_000, "warning"),  # exactly 1.5 %, but 1,500 is not above 1,500
        (1500, 50_000, "warning"),  # 3 %, still not above 1,500
        (1201, 100_083, "warning"),  # 1.2000 %, 1,201 > 80 % of 1,500
        (1201, 100_084, "ok"),  # 1.19995 %: under 80 % of the ratio
        (1200, 10_000, "ok"),  # 12 %, but 1,200 is not above 80 % of 1,500
        (5000, 0, "ok"),  # no transactions: no ratio, no threshold crossed
    ],
)
@pytest.mark.rule("C5")
def test_vamp(count: int, transactions: int, status: str) -> None:
    assert vamp(count, transactions) == status


@pytest.mark.parametrize(
    ("count", "last_month", "ecm", "hecm"),
    [
        (100, 6_666, "excessive", "ok"),  # 100 at 1.50015 %
        (150, 10_000, "excessive", "ok"),  # exactly 1.5 %
        (299, 10_000, "excessive", "ok"),  # 299 at exactly 2.99 %
        (100, 3_344, "warning", "ok"),  # 2.99043 %: over ECM's band, under HECM's
        (99, 6_600, "warning", "ok"),  # 1.5 %, one chargeback short of 100
        (149, 10_000, "warning", "ok"),  # 1.49 %: just under the ratio
        (300, 10_000, "ok", "excessive"),  # HECM: 300 at exactly 3 %
        (500, 10_000, "ok", "excessive"),
        (299, 9_966, "warning", "ok"),  # 3.0002 % but 299 < 300: neither band
        (300, 10_001, "warning", "ok"),  # 300 at 2.9997 %: neither band
        (80, 6_666, "warning", "ok"),  # 80 % of 100 at 1.2001 %
        (80, 6_667, "ok", "ok"),  # 1.19994 %: under 80 % of 1.5 %
        (79, 100, "ok", "ok"),  # 79 %, but 79 < 80 % of 100
        (300, 0, "ok", "ok"),  # no transactions last month: no ratio
    ],
)
@pytest.mark.rule("C5")
def test_ecm_and_hecm(count: int, last_month: int, ecm: str, hecm: str) -> None:
    assert mastercard(count, last_month) == (ecm, hecm)


def test_a_zero_denominator_has_no_ratio() -> None:
    found = assess("M", "2026-03", Counts(disputes=NetworkCounts(all=9, visa=9)), POLICY)
    assert found.vamp_ratio is None and found.ecm_ratio is None
    assert {p.status for p in found.programmes.values()} == {"ok"}


# --- the figures, counted from a seeded month -------------------------------------------------


def test_figures_of_a_seeded_month(store: Engine) -> None:
    m = "M-VAMP"
    seed_disputes(store, m, 1200, "visa", MARCH)
    # A dispute whose network is unknown is shown apart, in no programme.
    seed_disputes(store, m, 200, None, MARCH)
    seed_disputes(store, m, 250, "mastercard", MARCH)
    seed_disputes(store, m, 5, "AMEX", MARCH)  # another network: shown apart as `other`
    seed_disputes(store, m, 10, "visa", FEB)  # other months
    seed_disputes(store, m, 10, "visa", datetime(2026, 4, 1, tzinfo=UTC))
    seed_disputes(store, m, 10, "visa", MARCH, kind="merchant_complaint")  # not a dispute
    seed_disputes(store, "M-OTHER", 10, "visa", MARCH)  # another merchant
    seed_fraud(store, m, 303, "visa", MARCH)
    seed_fraud(store, m, 7, "mastercard", MARCH)
    seed_fraud(store, m, 4, "visa", FEB)
    seed_settled(store, m, 100_200, "visa", MARCH)
    seed_settled(store, m, 500, "visa", MARCH, cnp=False)  # card present: not VAMP's
    seed_settled(store, m, 300, "mastercard", MARCH)
    seed_settled(store, m, 1000, "visa", FEB)
    seed_settled(store, m, 1, "visa", datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC))
    seed_settled(store, m, 1, "visa", datetime(2026, 4, 1, tzinfo=UTC))

    found = monitoring.figures(store, m, "2026-03", POLICY)
    assert found.disputes == NetworkCounts(
        all=1655, visa=1200, mastercard=250, other=5, unknown=200
    )
    assert found.fraud_reports == NetworkCounts(all=310, visa=303, mastercard=7)
    assert found.settled_cnp == NetworkCounts(all=100_501, visa=100_201, mastercard=300)
    assert found.settled_last_month == NetworkCounts(all=1000, visa=1000)
    vamp_ = found.programmes["vamp"]
    # 1,503 events over 100,201 transactions: 1.49998 %, just under the threshold.
    assert (vamp_.count, vamp_.denominator, vamp_.status) == (1503, 100_201, "warning")
    assert found.vamp_ratio == Decimal("0.01499985")
    # No mastercard transactions last month: no ratio for ECM.
    assert found.ecm_ratio is None and found.programmes["ecm"].status == "ok"

    seed_fraud(store, m, 1, "visa", MARCH)  # 1,504 / 100,201 ≥ 1.5 %: over
    found = monitoring.figures(store, m, "2026-03", POLICY)
    assert found.programmes["vamp"].status == "excessive"
    assert found.programmes["vamp"].threshold.ratio == Decimal("0.015")


@pytest.mark.rule("C5")
def test_a_dispute_counts_once_under_its_own_network(store: Engine) -> None:
    """A dispute with no network, or on a network no programme watches, is shown apart and
    pushes neither Visa's nor Mastercard's figures; each dispute is counted once."""
    m = "M-APART"
    seed_disputes(store, m, 1600, None, MARCH)
    seed_disputes(store, m, 400, "cartes_bancaires", MARCH)
    seed_settled(store, m, 1000, "visa", MARCH)
    seed_settled(store, m, 1000, "mastercard", FEB)
    found = monitoring.figures(store, m, "2026-03", POLICY)
    assert found.disputes == NetworkCounts(all=2000, other=400, unknown=1600)
    assert found.disputes.visa + found.disputes.mastercard == 0
    assert {p.status for p in found.programmes.values()} == {"ok"}
    assert (found.programmes["vamp"].count, found.programmes["ecm"].count) == (0, 0)


@pytest.mark.rule("C5")
def test_inquiries_and_retrieval_requests_are_not_counted_as_disputes(store: Engine) -> None:
    """Stripe's inquiries (`warning_*`, `case_type: inquiry`) and Antom's retrieval requests
    are not chargebacks: they push no programme; the chargebacks and appeals beside them do,
    and so do cases stored before stages were recorded."""
    m = "M-STAGES"
    seed_disputes(store, m, 300, "visa", MARCH, phase="inquiry")
    seed_disputes(store, m, 200, "visa", MARCH, phase="retrieval")
    seed_disputes(store, m, 20, "visa", MARCH, phase="chargeback")
    seed_disputes(store, m, 5, "visa", MARCH, phase="appeal")
    seed_disputes(store, m, 7, "visa", MARCH)
    found = monitoring.figures(store, m, "2026-03", POLICY)
    assert found.disputes.visa == 32 and found.disputes.all == 32


@pytest.mark.rule("C5")
def test_mastercard_figures_divide_by_last_months_transactions(store: Engine) -> None:
    seed_settled(store, "M-ECM", 3000, "mastercard", FEB, cnp=False)  # all of them count
    seed_settled(store, "M-ECM", 3666, "mastercard", FEB)
    seed_settled(store, "M-ECM", 50_000, "mastercard", MARCH)  # this month's: not ECM's
    seed_disputes(store, "M-ECM", 100, "mastercard", MARCH)
    seed_settled(store, "M-HECM", 10_000, "mastercard", FEB)
    seed_disputes(store, "M-HECM", 300, "mastercard", MARCH)
    ecm = monitoring.figures(store, "M-ECM", "2026-03", POLICY)
    assert ecm.settled_last_month.mastercard == 6666
    assert (ecm.programmes["ecm"].status, ecm.programmes["hecm"].status) == ("excessive", "ok")
    assert ecm.ecm_ratio == Decimal("0.01500150")
    hecm = monitoring.figures(store, "M-HECM", "2026-03", POLICY)
    assert (hecm.programmes["ecm"].status, hecm.programmes["hecm"].status) == ("ok", "excessive")
    assert hecm.ecm_ratio == Decimal("0.03")
    nothing = monitoring.figures(store, "M-NONE", "2026-03", POLICY)
    assert nothing.disputes.all == 0 and nothing.vamp_ratio is None


def test_month_parsing() -> None:
    assert monitoring.month_bounds("2026-12") == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert monitoring.previous_month("2026-01") == "2025-12"
    for bad in ("2026-13", "2026-3", "26-03", "2026-03-01", "0000-01", ""):
        with pytest.raises(ValueError, match="YYYY-MM"):
            monitoring.parse_month(bad)


# --- alerts: raised and cleared once ----------------------------------------------------------


def _alerts(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(MonitoringAlert.__table__).order_by(MonitoringAlert.__table__.c.id)  # type: ignore[attr-defined]
            )
        )


def _timeline(engine: Engine, merchant: str) -> list[str]:
    return [entry["type"] for entry in reversed(monitoring.timeline(engine, merchant))]


def _brief(changes: list[monitoring.AlertChange]) -> list[tuple[str, str, str, bool]]:
    return [(c.action, c.programme, c.level, c.notice) for c in changes]


@pytest.mark.rule("C5")
def test_raise_and_clear_happen_once(engine: Engine) -> None:
    m = "M-ALERT"
    now = MARCH
    seed_settled(engine, m, 6000, "mastercard", FEB)
    seed_disputes(engine, m, 90, "mastercard", MARCH)  # 1.5 %, 90 chargebacks: nearing ECM
    changes = monitoring.evaluate(engine, POLICY, "2026-03", now)
    assert _brief(changes) == [("raise", "ecm", "warning", True)]
    assert monitoring.evaluate(engine, POLICY, "2026-03", now) == []  # twice: one alert

    seed_disputes(engine, m, 10, "mastercard", MARCH)  # 100 at 1.67 %: ECM
    changes = monitoring.evaluate(engine, POLICY, "2026-03", now)
    # The warning makes way (no clear notice); the raise says which level it replaced.
    assert _brief(changes) == [
        ("clear", "ecm", "warning", False),
        ("raise", "ecm", "excessive", True),
    ]
    assert changes[1].previous == "warning"
    assert monitoring.evaluate(engine, POLICY, "2026-03", now) == []

    seed_settled(engine, m, 4000, "mastercard", FEB)  # 100 at 1 %: falls back
    changes = monitoring.evaluate(engine, POLICY, "2026-03", now)
    assert _brief(changes) == [("clear", "ecm", "excessive", True)]
    assert monitoring.evaluate(engine, POLICY, "2026-03", now) == []

    rows = _alerts(engine)
    assert [(r.level, r.cleared_at is not None, r.superseded) for r in rows] == [
        ("warning", True, True),
        ("excessive", True, False),
    ]
    assert monitoring.open_alerts(engine, m) == []
    assert _timeline(engine, m) == [
        "monitoring.alert_raised",
        "monitoring.alert_cleared",
        "monitoring.alert_raised",
        "monitoring.alert_cleared",
    ]
    # Nothing sent yet: the outbox holds the excessive raise and its clear; the warning's
    # raise was superseded before any notice went.
    assert [(c.action, c.level) for c in monitoring.pending_notices(engine)] == [
        ("raise", "excessive"),
        ("clear", "excessive"),
    ]


def test_an_alert_stands_through_the_following_month(engine: Engine) -> None:
    m = "M-CARRY"
    seed_settled(engine, m, 10_000, "mastercard", FEB)
    seed_disputes(engine, m, 150, "mastercard", MARCH)  # ECM in March
    assert _brief(monitoring.evaluate(engine, POLICY, "2026-03", MARCH)) == [
        ("raise", "ecm", "excessive", True)
    ]
    # April starts from zero, but March's figures stand until April ends.
    assert monitoring.evaluate(engine, POLICY, "2026-04", MARCH + timedelta(days=25)) == []
    # Re-evaluating an earlier month leaves the newer alert alone.
    assert monitoring.evaluate(engine, POLICY, "2026-02", MARCH + timedelta(days=25)) == []
    changes = monitoring.evaluate(engine, POLICY, "2026-05", MARCH + timedelta(days=55))
    assert _brief(changes) == [("clear", "ecm", "excessive", True)]
    assert changes[0].month == "2026-03"


def test_moving_up_from_ecm_to_hecm_is_not_a_clear(engine: Engine) -> None:
    m = "M-UP"
    seed_settled(engine, m, 10_000, "mastercard", FEB)
    seed_disputes(engine, m, 150, "mastercard", MARCH)
    monitoring.evaluate(engine, POLICY, "2026-03", MARCH)
    seed_disputes(engine, m, 150, "mastercard", MARCH)  # 300 at 3 %: HECM
    changes = monitoring.evaluate(engine, POLICY, "2026-03", MARCH)
    assert _brief(changes) == [
        ("clear", "ecm", "excessive", False),
        ("raise", "hecm", "excessive", True),
    ]
    assert [a.programme for a in monitoring.open_alerts(engine, m)] == ["hecm"]


def test_one_open_alert_per_merchant_and_programme(engine: Engine) -> None:
    row = dict(
        merchant_id="M1",
        month="2026-03",
        programme="vamp",
        level="warning",
        raised_at=MARCH,
        superseded=False,
        figures={},
    )
    with engine.begin() as conn:
        conn.execute(MonitoringAlert.__table__.insert(), [row])  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="(?i)unique"), engine.begin() as conn:
        conn.execute(MonitoringAlert.__table__.insert(), [row])  # type: ignore[attr-defined]
    with engine.begin() as conn:  # a cleared one beside the open one is fine
        conn.execute(MonitoringAlert.__table__.insert(), [row | {"cleared_at": MARCH}])  # type: ignore[attr-defined]


# --- settled transactions in: the CSV import --------------------------------------------------

HEADER = "transaction_id,merchant_id,settled_at,amount,currency,card_not_present,network\n"


def test_csv_import_good_duplicate_and_bad_rows(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "settled.csv"
    path.write_text(
        HEADER
        + "T1,M-CSV,2026-03-01T10:00:00Z,12.50,usd,true,Visa\n"  # line 2
        + "T2,M-CSV,2026-03-01T10:00:00+08:00,3,EUR,false,mastercard\n"  # line 3
        + "T1,M-CSV,2026-03-01T10:00:00Z,12.50,USD,true,visa\n"  # line 4: duplicate
        + "T3,M-CSV,2026-03-01 10:00:00,1.00,USD,true,visa\n"  # line 5: no timezone
        + "T4,M-CSV,2026-03-01T10:00:00Z,-1,USD,true,visa\n"  # line 6: negative amount
        + "T5,M-CSV,2026-03-01T10:00:00Z,1.00,USD,maybe,visa\n"  # line 7: not a bool
        + "T6,M-CSV,2026-03-01T10:00:00Z,1.00\n"  # line 8: short
        + "T7,bad merchant,2026-03-01T10:00:00Z,1.00,USD,1,amex\n",  # line 9
        encoding="utf-8",
    )
    report = import_csv(engine, path)
    assert (report.imported, report.duplicates) == (2, 1)
    bad = dict(report.bad)
    assert sorted(bad) == [5, 6, 7, 8, 9]
    assert bad[5].startswith("settled_at:") and "timezone" in bad[5]
    assert bad[6].startswith("amount:")
    assert bad[7].startswith("card_not_present:")
    assert bad[8] == "expected 7 fields, got 4"
    assert bad[9].startswith("merchant_id:")
    with engine.connect() as conn:
        rows = conn.execute(
            select(SettledTransaction.__table__).order_by(text("transaction_id"))  # type: ignore[attr-defined]
        ).all()
    assert [(r.transaction_id, r.network, r.currency, r.card_not_present) for r in rows] == [
        ("T1", "visa", "USD", True),
        ("T2", "mastercard", "EUR", False),
    ]
    assert rows[1].settled_at.replace(tzinfo=None) == datetime(2026, 3, 1, 2, 0)  # in UTC
    # Imported again: nothing new.
    again = import_csv(engine, path)
    assert (again.imported, again.duplicates, len(again.bad)) == (0, 3, 5)


def test_transaction_import_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "cli.db"
    monkeypatch.setenv("REDRESS_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("REDRESS_DATA_DIR", str(tmp_path))
    good = tmp_path / "good.csv"
    good.write_text(
        HEADER
        + "".join(f"T{i},M-CLI,2026-03-0{1 + i % 9}T00:00:00Z,1,USD,1,visa\n" for i in range(1200))
    )
    assert cli.main(["transaction", "import", str(good)]) == 0
    assert "1200 imported, 0 duplicates skipped, 0 bad rows" in capsys.readouterr().out
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(
        HEADER + "T1,M-CLI,2026-03-01T00:00:00Z,1,USD,1,visa\nX,M-CLI,nope,1,USD,1,visa\n"
    )
    assert cli.main(["transaction", "import", str(mixed)]) == 1
    out = capsys.readouterr()
    assert "0 imported, 1 duplicates skipped, 1 bad rows" in out.out
    assert f"{mixed}:3: settled_at:" in out.err
    headless = tmp_path / "headless.csv"
    headless.write_text("transaction_id,merchant_id\nT1,M\n")
    assert cli.main(["transaction", "import", str(headless)]) == 1
    assert "lacks settled_at, amount" in capsys.readouterr().err
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(SettledTransaction)).scalar()
    engine.dispose()
    assert total == 1200


# --- the Schedule's workflow ------------------------------------------------------------------


def _notices(engine: Engine) -> list[Any]:
    table: Any = NoticeRecord.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return list(conn.execute(select(table).order_by(table.c.delivered_at)))


@pytest.mark.rule("C5")
async def test_the_workflow_sends_one_notice_per_change(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> None:
    m = "M-WF"
    seed_settled(engine, m, 10_000, "mastercard", FEB)
    seed_disputes(engine, m, 150, "mastercard", MARCH)  # ECM in March
    acts = MonitoringActivities(engine, RecordingChannel(engine), get_renderer())
    inp = MonitoringInput(month="2026-03", policy=POLICY)

    async def run() -> monitoring.MonitoringResult:
        return await ts_env.client.execute_workflow(
            MonitoringWorkflow.run,
            inp,
            id=f"monitoring-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
        )

    async with Worker(
        ts_env.client,
        task_queue=task_queue,
        workflows=[MonitoringWorkflow],
        activities=[acts.recompute],
        activity_executor=ThreadPoolExecutor(max_workers=4),
    ):
        first = await run()
        assert (first.month, first.raised, first.cleared, first.notices) == ("2026-03", 1, 0, 1)
        again = await run()
        assert (again.raised, again.notices) == (0, 0)
        notices = _notices(engine)
        assert len(notices) == 1
        alert = notices[0]
        assert (alert.recipient_kind, alert.channel, alert.address) == ("merchant", "desk", m)
        assert alert.template == "alert" and alert.locale == "zh-CN"
        assert alert.idempotency_key == f"monitoring:{m}:ecm:2026-03:excessive:raise"
        assert "Mastercard ECM" in alert.subject and "1.50 %" in alert.body

        seed_settled(engine, m, 10_000, "mastercard", FEB)  # 150 at 0.75 %: falls back
        cleared = await run()
        assert (cleared.cleared, cleared.notices) == (1, 1)
        assert (await run()).notices == 0
        notices = _notices(engine)
        assert [n.template for n in notices] == ["alert", "clear"]
        assert notices[1].idempotency_key == f"monitoring:{m}:ecm:2026-03:excessive:clear"

        # No month: the current one, as the workflow's clock has it (the time-skipping
        # server's clock only moves forward, and other tests skip it ahead).
        now = await run_current(ts_env, task_queue)
        assert monitoring.parse_month(now.month) >= monitoring.month_of(datetime.now(UTC))
    with engine.connect() as conn:
        entries = conn.execute(
            select(func.count())
            .select_from(MerchantTimelineEntry)
            .where(
                MerchantTimelineEntry.merchant_id == m  # type: ignore[arg-type]
            )
        ).scalar()
    assert entries == 2


async def run_current(env: WorkflowEnvironment, task_queue: str) -> monitoring.MonitoringResult:
    return await env.client.execute_workflow(
        MonitoringWorkflow.run,
        MonitoringInput(policy=POLICY),
        id=f"monitoring-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
    )


async def test_the_worker_writes_the_schedule(local_env: WorkflowEnvironment) -> None:
    policy = load_policy("default")
    await ensure_monitoring_schedule(local_env.client, policy, "monitoring-tq")
    await ensure_monitoring_schedule(local_env.client, policy, "monitoring-tq")  # idempotent
    handle = local_env.client.get_schedule_handle(MONITORING_SCHEDULE_ID)
    described = await handle.describe()
    try:
        schedule = described.schedule
        assert schedule.spec.intervals[0].every == timedelta(hours=1)  # recompute_every
        assert schedule.policy.overlap == ScheduleOverlapPolicy.SKIP
        action = schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.workflow == "MonitoringWorkflow" and action.task_queue == "monitoring-tq"
    finally:
        await handle.delete()
    # No dispute section, no monitoring.
    await ensure_monitoring_schedule(
        local_env.client, policy.model_copy(update={"dispute": None}), "monitoring-tq"
    )
    with pytest.raises(Exception, match="(?i)not found"):
        await local_env.client.get_schedule_handle(MONITORING_SCHEDULE_ID).describe()
