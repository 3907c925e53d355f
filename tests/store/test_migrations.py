"""The store's schema is its migrations: an empty store upgraded to the newest revision has
exactly the tables the models declare (autogenerate finds nothing), and a store made
before migrations (by `create_all` of an earlier shape) is brought there with its rows."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from redress.kinds import load_tables
from redress.store.db import MIGRATIONS, make_engine, migrate, revisions
from redress.store.tables import RefundRecord


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cases.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def empty(url: str) -> Iterator[Engine]:
    engine = make_engine(url, create=False)
    yield engine
    engine.dispose()


def heads() -> tuple[str, ...]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return tuple(sorted(ScriptDirectory.from_config(config).get_heads()))


def drift(engine: Engine) -> list[Any]:
    load_tables()  # every kind's tables, through the registry, beside the shared ones
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_a_branch_per_kind_on_the_shared_tables() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    labels = {label for rev in script.walk_revisions() for label in rev.branch_labels}
    assert {"shared", "platform_complaint", "dispute"} <= labels
    assert len(heads()) == len(labels)  # one head per branch


def test_an_empty_store_upgrades_to_head_without_drift(empty: Engine) -> None:
    assert drift(empty)  # nothing there yet: the comparison does see missing tables
    before, after = migrate(empty)
    assert before == () and after == heads()
    assert drift(empty) == []
    assert migrate(empty) == (heads(), heads())  # again: nothing to do


def test_the_first_start_migrates(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert revisions(conn) == heads()
        assert _refund(engine, "k1") is None and _refund(engine, "k1") is not None
    finally:
        engine.dispose()


# The store as an earlier version made it: shared tables only, before the audit scope,
# the intake ledger, priorities and projection order (and before either kind's tables).
OLD = sa.MetaData()
sa.Table(
    "cases",
    OLD,
    sa.Column("case_id", sa.String(160), primary_key=True),
    sa.Column("workflow_id", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("status", sa.String(40), nullable=False, index=True),
    sa.Column("outcome", sa.String(60)),
    sa.Column("merchant_id", sa.String(128), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("next_deadline", sa.DateTime(timezone=True), index=True),
    sa.Column("points", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
)
sa.Table(
    "simulated_refunds",
    OLD,
    sa.Column("idempotency_key", sa.String(200), primary_key=True),
    sa.Column("refund_id", sa.String(64), nullable=False),
    sa.Column("case_id", sa.String(160), nullable=False, index=True),
    sa.Column("trade_no", sa.String(128), nullable=False),
    sa.Column("amount", sa.String(32), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "notice_deliveries",
    OLD,
    sa.Column("idempotency_key", sa.String(200), primary_key=True),
    sa.Column("case_id", sa.String(160), nullable=False, index=True),
    sa.Column("template", sa.String(60), nullable=False),
    sa.Column("locale", sa.String(8), nullable=False),
    sa.Column("recipient_kind", sa.String(16), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("address", sa.String(256), nullable=False),
    sa.Column("subject", sa.String, nullable=False),
    sa.Column("body", sa.String, nullable=False),
    sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "audit_log",
    OLD,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("request_id", sa.String(128), nullable=False),
    sa.Column("case_id", sa.String(160), nullable=False, index=True),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("accepted", sa.Boolean, nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("reason", sa.String, nullable=False),
)


def test_a_store_from_before_migrations_keeps_its_rows(empty: Engine) -> None:
    OLD.create_all(empty)
    now = datetime.now(UTC)
    with empty.begin() as conn:
        conn.execute(
            OLD.tables["cases"].insert(),
            {
                "case_id": "old-1",
                "workflow_id": "old-1",
                "kind": "merchant_complaint",
                "status": "awaiting_response",
                "merchant_id": "M1",
                "created_at": now,
                "updated_at": now,
                "points": 0,
                "version": 3,
                "data": {"case_id": "old-1"},
            },
        )
        conn.execute(
            OLD.tables["audit_log"].insert(),
            {
                "at": now,
                "request_id": "r1",
                "case_id": "old-1",
                "actor": "a",
                "role": "agent",
                "action": "respond",
                "accepted": True,
                "status_code": 200,
                "reason": "",
            },
        )
    before, after = migrate(empty)
    # Stamped at what it had (the audit log without its scope), then upgraded.
    assert before == () and after == heads()
    assert drift(empty) == []
    with empty.connect() as conn:
        case = conn.execute(sa.text("SELECT version, priority, seq FROM cases")).one()
        scope = conn.execute(sa.text("SELECT scope FROM audit_log")).scalar_one()
        found = sa.inspect(conn).get_table_names()
    assert tuple(case) == (3, "regular", 0) and scope == "*"
    assert {"simulated_verifications", "simulated_dispute_requests", "intake_ledger"} <= set(found)


def test_a_store_the_last_version_made_is_only_stamped(empty: Engine) -> None:
    """`create_all` and the start-time patches gave a full store: nothing is re-created."""
    load_tables()
    SQLModel.metadata.create_all(empty)
    _refund(empty, "kept")
    before, after = migrate(empty)
    assert before == () and after == heads()
    assert _refund(empty, "kept") is not None
    assert drift(empty) == []


def test_starts_at_once_migrate_once(url: str) -> None:
    """`redress up` starts the worker and the API together on an empty store."""
    with ThreadPoolExecutor(4) as pool:
        engines = list(pool.map(lambda _: make_engine(url), range(4)))
    try:
        with engines[0].connect() as conn:
            assert revisions(conn) == heads()
    finally:
        for engine in engines:
            engine.dispose()


def _refund(engine: Engine, key: str) -> RefundRecord | None:
    """Write a refund row, or read it back if it is there."""
    with Session(engine) as session:
        if found := session.get(RefundRecord, key):
            return found
        session.add(
            RefundRecord(
                idempotency_key=key,
                refund_id="r",
                case_id="c1",
                trade_no="T1",
                amount="1.00",
                currency="CNY",
                issued_at=datetime.now(UTC),
            )
        )
        session.commit()
    return None
