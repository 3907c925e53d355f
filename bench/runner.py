"""Run every scenario against a freshly started stack, then report. Everything started
here is stopped in `finally`, also on errors and Ctrl-C."""

from __future__ import annotations

import os
import platform
import secrets
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench import report
from bench.context import Ctx
from bench.procs import ProcessSet
from bench.scales import Scale
from bench.scenarios import baseline, deadlines, intake, open_cases, whole
from bench.stack import start_stack

Scenario = Callable[[Ctx], Awaitable[dict[str, Any]]]
# Open cases last: its N open cases then stay out of the other scenarios' way.
SCENARIOS: list[tuple[str, str, Scenario]] = [
    ("baseline", "1. baselines (bench workflows)", baseline.run),
    ("intake", "2. intake over HTTP", intake.run),
    ("whole", "3. whole cases", whole.run),
    ("deadlines", "5. deadline lag under load", deadlines.run),
    ("open_cases", "4. open cases", open_cases.run),
]


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def timed_log(echo: Callable[[str], None] = print) -> Callable[[str], None]:
    t0 = time.monotonic()
    return lambda line: echo(f"[{time.monotonic() - t0:6.1f}s] {line}")


async def run_bench(
    scale: Scale,
    out_dir: Path,
    log: Callable[[str], None] | None = None,
    server_args: Sequence[str] = (),
) -> dict[str, Any]:
    log = log or timed_log()
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="redress-bench-"))
    procs = ProcessSet(data_dir)
    results: dict[str, Any] = {
        "meta": {
            "scale": scale.name,
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": os.cpu_count(),
            "cpu": cpu_model(),
            "python": platform.python_version(),
            "temporalio": version("temporalio"),
            "settings": scale.__dict__,
            "dev_server_args": list(server_args),
        },
        "scenarios": {},
    }
    try:
        log(f"starting dev server, worker, API in {data_dir}")
        stack = await start_stack(procs, data_dir, server_args)
        client = await Client.connect(stack.temporal_address)
        ctx = Ctx(scale, stack, procs, client, out_dir, secrets.token_hex(3), log)
        whole_run, t0 = ctx.cpu(), time.monotonic()
        for key, title, scenario in SCENARIOS:
            log(title)
            try:
                ctx.results[key] = await scenario(ctx)
            except Exception as err:  # the other scenarios still report
                log(f"  ! {title} failed: {err!r}")
                ctx.results[key] = {"error": repr(err)}
        results["scenarios"] = ctx.results
        busy = whole_run.per_item(1, time.monotonic() - t0)["cores_busy"]
        results["meta"]["run_s"] = round(time.monotonic() - t0, 1)
        results["meta"]["cores_busy"] = busy
        log(f"done; cores busy on average: {busy}")
    finally:
        procs.stop_all()
        for proc in procs.procs:  # keep the logs next to the figures
            shutil.copy(proc.log, out_dir / f"{proc.name}.log")
        shutil.rmtree(data_dir, ignore_errors=True)
    results["targets"] = report.targets(results["scenarios"])
    stem = f"bench-{scale.name}"
    report.write_json(results, out_dir / f"{stem}.json")
    report.plot(results, out_dir / f"{stem}.png")
    table = report.render(results)
    (out_dir / f"{stem}.txt").write_text(table + "\n")
    print(f"\n{table}\n\nwrote {out_dir / stem}.json, .png, .txt")
    return results
