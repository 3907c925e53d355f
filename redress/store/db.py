"""Engine for the case store: a SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError
from sqlmodel import SQLModel, create_engine

from redress.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

# The case store runs on SQLite or PostgreSQL; both speak INSERT … ON CONFLICT, and crud
# builds its upserts with the dialect's own insert.
INSERT_BY_DIALECT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
SUPPORTED = tuple(INSERT_BY_DIALECT)


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
        create_tables(engine)
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


def create_tables(engine: Engine, attempts: int = 5) -> None:
    """Create missing tables. The worker and the API may start together on a fresh file:
    when both try, the loser sees "already exists" and simply checks again."""
    for attempt in range(attempts):
        try:
            SQLModel.metadata.create_all(engine)
            add_missing_columns(engine)
            add_missing_indexes(engine)
            return
        except DatabaseError as err:
            if "already exists" not in str(err) or attempt == attempts - 1:
                raise


def add_missing_columns(engine: Engine) -> None:
    """Columns added to a table since a store was created (always with a default) are
    added to it, so an existing store keeps working after an upgrade."""
    existing = inspect(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            have = {c["name"] for c in existing.get_columns(table.name)}
            for column in table.columns:
                if column.name in have:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                default = getattr(column.default, "arg", None)
                literal = "" if default is None else f" DEFAULT '{default}'"
                conn.execute(
                    text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{literal}')
                )


def add_missing_indexes(engine: Engine) -> None:
    """Indexes added to a table since a store was created: `create_all` makes them only
    with a new table."""
    for table in SQLModel.metadata.sorted_tables:
        for index in table.indexes:
            index.create(engine, checkfirst=True)
