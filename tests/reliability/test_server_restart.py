"""The dev server stopped and restarted on its SQLite file mid-run: open cases and their
timers survive and fire."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from redress.policy import load_policy
from redress.search_attributes import dev_server_flags
from redress.store import crud
from redress.store.db import make_engine
from tests.harness import (
    binary,
    complaint_handle,
    free_port,
    make_complaint,
    open_complaint_case,
    running_worker,
    with_section,
)

CASES = 40


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            binary("temporal"),
            "server",
            "start-dev",
            "--db-filename",
            str(db),
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--headless",
            "--log-level",
            "error",
            *dev_server_flags(),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def connect(port: int) -> Client:
    for _ in range(100):
        try:
            return await Client.connect(f"127.0.0.1:{port}", data_converter=pydantic_data_converter)
        except RuntimeError:
            await asyncio.sleep(0.2)
    raise AssertionError("dev server did not come up")


async def test_server_restart_keeps_cases_and_timers(tmp_path: Path, task_queue: str) -> None:
    db, port = tmp_path / "temporal.db", free_port()
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    policy = with_section(
        load_policy("fast"),
        "complaint",
        handle_within=timedelta(seconds=8),
        reminders_before=[],
        response_appeal_window=timedelta(seconds=3),
    )
    server = start_server(db, port)
    try:
        client = await connect(port)
        async with running_worker(client, engine, task_queue):
            ids = [
                (
                    await open_complaint_case(client, task_queue, policy, "srv", make_complaint())
                ).case_id
                for _ in range(CASES)
            ]
            await asyncio.sleep(1)
        # Stop the server with every case waiting on its 8 s timer; restart on the same file.
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        await asyncio.sleep(2)
        server = start_server(db, port)
        client = await connect(port)
        async with running_worker(client, engine, task_queue):
            results = await asyncio.wait_for(
                asyncio.gather(*(complaint_handle(client, i).result() for i in ids)),
                timeout=120,
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert [r.outcome for r in results] == ["unhandled"] * CASES
    assert all(r.points == 1 for r in results)
    for case_id in ids:
        view = crud.get_case(engine, case_id)
        assert view is not None and view.penalties[0].reason == "response_overdue"
