"""Alembic's environment for the case store.

`redress.store.db.migrate` hands it an open connection (`config.attributes["connection"]`);
the `alembic` command line (alembic.ini at the top of the repository) opens the store the
configuration names: `REDRESS_DATABASE_URL`, or the SQLite file in the data folder.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from redress.kinds import load_tables
from redress.store import tables  # noqa: F401  (registers the shared tables on SQLModel.metadata)

load_tables()  # and every registered kind's, through the registry
config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    from redress.config import Settings

    return config.get_main_option("sqlalchemy.url") or Settings.from_env().db_url


def _run(connection: Connection) -> None:
    # SQLite alters a table by copying it: batch mode writes those ALTERs for both dialects.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=_url(), target_metadata=target_metadata, render_as_batch=True, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    _run(given)
else:
    from redress.store.db import make_engine

    engine = make_engine(_url(), create=False)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()
