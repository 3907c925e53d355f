"""The case store unreachable for a while: activities retry, catch up, and nothing is lost.

PostgreSQL is reached through a TCP proxy the test controls; cutting the proxy is a real
network outage as far as the worker can tell.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy import text
from temporalio.testing import WorkflowEnvironment

from redress.policy import load_policy
from redress.store import crud
from redress.store.db import make_engine
from tests.harness import make_complaint, open_complaint_case, running_worker, with_section

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_URL = os.environ.get("REDRESS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CASES = 20


class Proxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL until cut."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in list(self.writers):
            w.close()
        self.writers.clear()
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(PG_HOST, PG_PORT)
        self.writers.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@contextlib.asynccontextmanager
async def pg_schema() -> AsyncIterator[str]:
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL, create=False)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


async def test_store_outage_delays_but_loses_nothing(
    local_env: WorkflowEnvironment, task_queue: str
) -> None:
    proxy = Proxy()
    await proxy.start()
    policy = with_section(
        load_policy("fast"),
        "complaint",
        handle_within=timedelta(seconds=30),
        reminders_before=[],
    )
    async with pg_schema() as schema:
        url = PG_URL.replace(f":{PG_PORT}/", f":{proxy.port}/")
        # Tables are made directly; the worker's engine only ever goes through the proxy
        # (and is used from activity threads, so this loop stays free to run the proxy).
        direct = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
        engine = make_engine(
            f"{url}?options=-csearch_path%3D{schema}&connect_timeout=2", create=False
        )
        client = local_env.client
        async with running_worker(client, engine, task_queue):
            await proxy.cut()  # the store goes away
            ids = [
                (
                    await open_complaint_case(client, task_queue, policy, "pg", make_complaint())
                ).case_id
                for _ in range(CASES)
            ]
            await asyncio.sleep(4)
            assert all(crud.get_case(direct, i) is None for i in ids)  # nothing written yet
            await proxy.start()  # back, on the same port
            for _ in range(150):
                if all(crud.get_case(direct, i) is not None for i in ids):
                    break
                await asyncio.sleep(0.2)
            views = [crud.get_case(direct, i) for i in ids]
            assert all(v is not None and v.status == "awaiting_response" for v in views)
            for i in ids:
                await client.get_workflow_handle(i).terminate("test over")
        engine.dispose()
        direct.dispose()
        await proxy.cut()
