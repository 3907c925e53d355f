"""What a new case's first workflow task costs the server, command by command.

python -m bench.first_task [--rate 20] [--seconds 15]

Starts its own dev server (as `redress up` runs it) and, for each shape below, starts
workflows at a fixed rate that issue a growing part of the commands a new ComplaintWorkflow
issues in its first task, then waits until the server is idle again. It prints the server's
CPU per workflow (start, first task, and everything those cause: visibility, timers), the
bench process's CPU (client and an unsandboxed worker), and start latency. Every row runs
on the same server in the same run, so the differences between rows are what each command
costs; the row with a timer is the engine's floor for any workflow that waits on a
deadline, as every case does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from bench.load import open_loop, pct
from bench.procs import ProcessSet, cpu_seconds
from bench.stack import start_dev_server
from bench.workloads import FirstTask, FirstTaskProbe, noop_activity
from redress import search_attributes as sa
from redress.intake import start_search_attributes

# (label, shape, eager start); None: nobody polls the queue, the start alone.
CASE = FirstTask(local_activities=1)
SHAPES: list[tuple[str, FirstTask | None, bool]] = [
    ("start only (no worker polls)", None, False),
    ("first task completes it: the bench's bare no-op", FirstTask(timer=False), False),
    ("first task starts a timer: the engine's floor", FirstTask(), False),
    ("+ one local activity: ComplaintWorkflow's first task", CASE, False),
    ("the same, eager start (the starter runs the first task)", CASE, True),
    ("+ search-attribute upsert (a case penalized on arrival)", FirstTask(False, 1, True), False),
    ("cases opened before: patch marker + two local activities", FirstTask(True, 2), False),
]


async def wait_idle(pid: int, below_cores: float = 0.05, cap_s: float = 120.0) -> None:
    """Until the server's CPU stays under `below_cores` for two seconds in a row."""
    quiet, t0 = 0, time.monotonic()
    while quiet < 2 and time.monotonic() - t0 < cap_s:
        before = cpu_seconds(pid)
        await asyncio.sleep(1.0)
        quiet = quiet + 1 if cpu_seconds(pid) - before < below_cores else 0


async def measure(
    client: Client,
    server_pid: int,
    label: str,
    shape: FirstTask | None,
    eager: bool,
    rate: float,
    seconds: float,
) -> dict[str, Any]:
    queue = f"first-task-{uuid.uuid4().hex[:8]}"
    # As the intake sets them, so the start writes the same visibility record.
    attrs = start_search_attributes("M-FIRST-TASK", datetime.now(UTC) + timedelta(days=4))
    worker = Worker(
        client,
        task_queue=queue,
        workflows=[FirstTaskProbe],
        activities=[noop_activity],
        activity_executor=ThreadPoolExecutor(max_workers=16),
        workflow_runner=UnsandboxedWorkflowRunner(),
    )

    async def start(i: int) -> tuple[bool, str]:
        await client.start_workflow(
            FirstTaskProbe.run,
            shape or FirstTask(),
            id=f"{queue}-{i}",
            task_queue=queue if shape else f"{queue}-unpolled",
            search_attributes=attrs,
            request_eager_start=eager,
        )
        return True, ""

    async with worker:
        await wait_idle(server_pid)
        server0, own0 = cpu_seconds(server_pid), cpu_seconds(os.getpid())
        res = await open_loop(start, rate, int(rate * seconds), seconds + 60)
        await wait_idle(server_pid)
        server = 1000 * (cpu_seconds(server_pid) - server0) / max(res.ok, 1)
        own = 1000 * (cpu_seconds(os.getpid()) - own0) / max(res.ok, 1)
    return {
        "first_task": label,
        "started": res.ok,
        "errors": dict(res.errors),
        "server_ms": round(server, 2),
        "starter_ms": round(own, 2),
        "p50_ms": round(1000 * pct(res.latencies, 50), 2),
        "p99_ms": round(1000 * pct(res.latencies, 99), 2),
    }


def row(m: dict[str, Any]) -> str:
    errors = f"  errors {m['errors']}" if m["errors"] else ""
    return (
        f"{m['first_task']:<58} {m['server_ms']:8.1f} {m['starter_ms']:9.1f} "
        f"{m['p50_ms']:7.1f} {m['p99_ms']:7.1f}{errors}"
    )


async def run(
    rate: float,
    seconds: float,
    server_args: Sequence[str] = (),
    shapes: Sequence[tuple[str, FirstTask | None, bool]] = SHAPES,
    echo: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    data_dir = Path(tempfile.mkdtemp(prefix="redress-first-task-"))
    procs = ProcessSet(data_dir)
    out = []
    try:
        address, _ = await start_dev_server(procs, data_dir, server_args)
        client = await Client.connect(address)
        await sa.ensure_registered(client)
        echo(f"{rate:g} workflows/s for {seconds:g} s per row; server in {data_dir}")
        echo(f"{'first task':<58} {'server':>8} {'starter':>9} {'p50':>7} {'p99':>7}")
        echo(f"{'':<58} {'ms/wf':>8} {'ms/wf':>9} {'ms':>7} {'ms':>7}")
        server_pid = procs.get("temporal").pid
        for label, shape, eager in shapes:
            out.append(await measure(client, server_pid, label, shape, eager, rate, seconds))
            echo(row(out[-1]))
    finally:
        procs.stop_all()
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.first_task", description=__doc__)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--dev-server-arg", action="append", default=[], metavar="ARG")
    args = parser.parse_args()
    try:
        asyncio.run(run(args.rate, args.seconds, args.dev_server_arg))
    except KeyboardInterrupt:
        sys.exit(130)
