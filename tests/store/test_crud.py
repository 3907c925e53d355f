"""The case store on SQLite (embedded default) and PostgreSQL (scale-out)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.engine import Engine

from redress.models import NoticeRequest, Recipient, RefundRequest
from redress.notices.channels import RecordingChannel
from redress.notices.renderer import RenderedNotice
from redress.payments.gateway import SimulatedGateway
from redress.store import crud
from redress.store.db import make_engine
from tests.harness import case_view


def test_projection_never_goes_back_in_time(store: Engine) -> None:
    assert crud.upsert_case(store, case_view("c1", 1))
    assert crud.upsert_case(store, case_view("c1", 3, "awaiting_outcome"))
    # A late retry of version 2 arrives after version 3: ignored.
    assert not crud.upsert_case(store, case_view("c1", 2, "overdue"))
    got = crud.get_case(store, "c1")
    assert got is not None and got.status == "awaiting_outcome" and got.version == 3
    total, rows = crud.list_cases(store, status="awaiting_outcome", merchant_id="M1")
    assert total == 1 and rows[0].case_id == "c1"
    assert crud.list_cases(store, status="closed")[0] == 0


def test_simulated_gateway_refunds_once_per_key(store: Engine) -> None:
    gateway = SimulatedGateway(store)
    req = RefundRequest(
        idempotency_key="c1:refund:1",
        case_id="c1",
        merchant_id="M1",
        trade_no="T1",
        amount=Decimal("5.00"),
        currency="CNY",
    )
    first = gateway.refund(req)
    again = gateway.refund(req)
    assert not first.duplicate and again.duplicate
    assert first.refund_id == again.refund_id


def test_recording_channel_delivers_once_per_key(store: Engine) -> None:
    channel = RecordingChannel(store)
    req = NoticeRequest(
        idempotency_key="c1:ack",
        case_id="c1",
        template="acknowledgement",
        locale="en",
        recipient=Recipient(kind="user", channel="sms", address="+8613800000000"),
        context={},
    )

    def notice(subject: str) -> RenderedNotice:
        return RenderedNotice(template="acknowledgement", locale="en", subject=subject, body="b")

    assert channel.already_sent("c1:ack") is None
    first = channel.deliver(req, notice("s"))
    # A retried activity that missed the pre-check still finds the first delivery.
    again = channel.deliver(req, notice("s2"))
    seen = channel.already_sent("c1:ack")
    assert not first.duplicate and again.duplicate and seen is not None and seen.duplicate
    assert again.delivered_at == first.delivered_at == seen.delivered_at
    assert first.delivered_at.tzinfo is not None
    with store.connect() as conn:
        rows = conn.execute(text("SELECT subject FROM notice_deliveries")).all()
    assert rows == [("s",)]


def test_concurrent_table_creation_on_a_fresh_file(tmp_path) -> None:
    """`redress up` starts the worker and the API at once on an empty data folder."""
    from concurrent.futures import ThreadPoolExecutor

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    with ThreadPoolExecutor(8) as pool:
        engines = list(pool.map(lambda _: make_engine(url), range(8)))
    assert crud.upsert_case(engines[0], case_view("c1", 1))
    for engine in engines:
        engine.dispose()


def test_a_state_from_a_lost_workflow_task_never_hides_the_next(store: Engine) -> None:
    """A killed worker's task may have written version 5 that its replay never makes; the
    replay's states come from a longer history (`seq`) and replace it, whatever `version`."""
    lost = case_view("c9", 5, "awaiting_outcome").model_copy(update={"seq": 40 * 1_000_000 + 5})
    assert crud.upsert_case(store, lost)
    replayed = case_view("c9", 4, "closed").model_copy(update={"seq": 43 * 1_000_000 + 4})
    assert crud.upsert_case(store, replayed)
    assert crud.get_case(store, "c9").status == "closed"  # type: ignore[union-attr]
    assert not crud.upsert_case(store, lost)  # a late retry of the lost one changes nothing
