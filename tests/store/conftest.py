"""A throwaway PostgreSQL database per test, on the server REDRESS_TEST_PG_URL names
(`.ci/run` starts this machine's and sets it). Without that variable and with no server
at the default address, the PostgreSQL cases are skipped and say why."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a database made for this test, dropped after it."""
    given = os.environ.get("REDRESS_TEST_PG_URL")
    server = make_url(given or DEFAULT_PG_URL)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"redress_t_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as err:
        admin.dispose()
        if given:
            raise  # CI named a server: not reaching it is a failure, not a skip
        pytest.skip(
            f"no PostgreSQL at {server.render_as_string()} (set REDRESS_TEST_PG_URL): {err}"
        )
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
