"""Engine for the case store: a SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

import fcntl
import functools
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlmodel import create_engine

from redress.store import tables  # noqa: F401  (registers the shared tables on SQLModel.metadata)

# The case store runs on SQLite or PostgreSQL; both speak INSERT … ON CONFLICT, and crud
# builds its upserts with the dialect's own insert.
INSERT_BY_DIALECT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
SUPPORTED = tuple(INSERT_BY_DIALECT)

# The store's schema is Alembic's: revisions in migrations/versions, a branch per kind.
MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK_KEY = 0x7265647265737300  # "redress\0": one migration at a time per database


def make_engine(url: str, create: bool = True) -> Engine:
    if not url.startswith(SUPPORTED):
        raise ValueError(f"the case store runs on SQLite or PostgreSQL, not {url.split(':')[0]!r}")
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # The API and the worker may share one file: WAL lets readers and a writer overlap.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        # A server connection can drop between uses (restart, failover): ping on checkout.
        # A SQLite file has nothing to drop, so it skips the extra round trip per call.
        kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=30000")
            _switch_to_wal(cur)
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    if create:
        migrate(engine)
    return engine


def _switch_to_wal(cur: Any, attempts: int = 100) -> None:
    """Switching a fresh file to WAL takes an exclusive lock, and SQLite answers "locked" at
    once, without the busy handler, while other first connections hold theirs."""
    for attempt in range(attempts):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or attempt == attempts - 1:
                raise
            time.sleep(0.02)


# A store made before migrations (by `create_all` and the columns and indexes added at
# start) is stamped at the newest revision whose mark it has, branch by branch, then
# upgraded. The marks come in the order the store got them; each kind's branch has its own
# in its registry entry (`legacy_marks`).
LegacyMarks = list[tuple[str, tuple[str, str, str]]]
LEGACY_MARKS: dict[str, LegacyMarks] = {
    "shared": [
        ("shared_0001", ("table", "cases", "")),
        ("shared_0002", ("table", "audit_log", "")),
        ("shared_0003", ("column", "audit_log", "scope")),
        ("shared_0004", ("table", "intake_ledger", "")),
        ("shared_0005", ("column", "cases", "priority")),
        ("shared_0006", ("column", "cases", "seq")),
        ("shared_0007", ("index", "cases", "ix_cases_kind_merchant_created")),
        ("shared_0008", ("table", "deadline_alerts", "")),
        ("shared_0009", ("column", "audit_log", "via")),
        ("shared_0010", ("column", "cases", "due_at")),
    ],
}


def legacy_marks() -> dict[str, LegacyMarks]:
    """The shared branch's marks and every registered kind's."""
    from redress.kinds import KINDS  # the registry (it imports the store's tables)

    kinds = {k.name: list(k.legacy_marks) for k in KINDS.values() if k.legacy_marks}
    return {**LEGACY_MARKS, **kinds}


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _heads() -> frozenset[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def revisions(connection: Connection) -> tuple[str, ...]:
    """The revisions the store is at (one per branch), empty for an unversioned store."""
    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


def _legacy_revisions(connection: Connection) -> list[str]:
    found = inspect(connection)
    have = set(found.get_table_names())
    if "cases" not in have:
        return []

    def present(mark: tuple[str, str, str]) -> bool:
        what, table, name = mark
        if table not in have:
            return False
        if what == "column":
            return name in {c["name"] for c in found.get_columns(table)}
        if what == "index":
            return name in {i["name"] for i in found.get_indexes(table)}
        return True

    stamps = []
    for marks in legacy_marks().values():
        reached = [revision for revision, mark in marks if present(mark)]
        if reached:
            stamps.append(reached[-1])
    return stamps


def migrate(engine: Engine) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Upgrade the store to the newest revision of every branch, and say which revisions
    it was at before and is at after. The worker and the API may start together on a
    fresh store: one migrates while the other waits, then finds nothing left to do."""
    from redress.kinds import load_tables  # the registry (it imports the store)

    load_tables()  # every kind's tables on the metadata, as the migrations' environment has
    with _migration_lock(engine), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        before = revisions(conn)
        if set(before) == _heads():
            return before, before
        config = _config(conn)
        if not before and (legacy := _legacy_revisions(conn)):
            command.stamp(config, legacy)
        command.upgrade(config, "heads")
        return before, revisions(conn)


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """On SQLite, a lock file beside the store (PostgreSQL takes an advisory lock)."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        yield
        return
    with open(f"{path}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
