"""The system under test: dev server, redress worker, redress API, and the bench worker.

Each is its own process with REDRESS_* settings pointing at a temporary data folder.
One policy file serves every scenario: the default rules with a 1 s outcome wait (every
other kind's whole case closes on its last request, so its sections are the default's). The
Stripe endpoint secret is the bench's own, for disputes' `Stripe-Signature`. The deadline
scenario backdates `created_at` instead (clocks count from it), so its cases'
96 h deadline falls a few seconds after they arrive.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.procs import ProcessSet, free_port, wait_http, wait_log, wait_port
from redress.api.signing import generate_secret
from redress.policy import POLICIES_DIR
from redress.search_attributes import dev_server_flags

ROOT = Path(__file__).resolve().parents[1]


POLICY_TOML = """\
# Written by the bench: the default rules, but a handled case closes 1 s after handling.
name = "bench"

[complaint]
handle_within = "96h"
reminders_before = ["24h", "4h"]
outcome_wait = "1s"
response_overdue_points = 1
response_appeal_window = "7d"
appeal_review = "3wd"
refund_within = "7d"
refund_overdue_points = 1
refund_appeal_window = "30d"

[calendar]
kind = "working_days"
country = "CN"
utc_offset_minutes = 480
weekend = [5, 6]
"""


def _default_sections(first: str, end: str) -> str:
    """The bundled default policy's text from `[first]` up to `[end]`."""
    text = (POLICIES_DIR / "default.toml").read_text(encoding="utf-8")
    return text[text.index(f"[{first}]") : text.index(f"[{end}]")]


# Every other kind's section as the default has it.
POLICY_TOML += "\n" + _default_sections("platform_complaint", "calendar")


@dataclass
class Stack:
    data_dir: Path
    temporal_address: str
    api_url: str
    secret: str
    stripe_secret: str  # the Stripe endpoint secret, for disputes' `Stripe-Signature`
    tokens: dict[str, str]  # role → bearer token
    task_queue: str
    bench_queue: str
    policy_path: Path
    metrics_url: str  # the dev server's Prometheus endpoint

    @property
    def case_db(self) -> Path:
        return self.data_dir / "redress.db"

    @property
    def temporal_db(self) -> Path:
        return self.data_dir / "temporal.db"


def _binary(name: str) -> str:
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"`{name}` is not installed (pip install -e '.[dev]')")
    return found


async def start_dev_server(
    procs: ProcessSet, data_dir: Path, server_args: Sequence[str] = ()
) -> tuple[str, str]:
    """`temporal server start-dev` on a SQLite file in `data_dir`, with the flags `redress up`
    uses, then `server_args` (e.g. `--sqlite-pragma journal_mode=wal`); returns its address
    and its metrics URL."""
    grpc_port, metrics_port = free_port(), free_port()
    server = procs.spawn(
        "temporal",
        [
            _binary("temporal"),
            "server",
            "start-dev",
            "--db-filename",
            str(data_dir / "temporal.db"),
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            str(grpc_port),
            "--http-port",
            str(free_port()),
            "--metrics-port",
            str(metrics_port),
            "--log-level",
            "warn",
            *dev_server_flags(),
            *server_args,
        ],
    )
    await wait_port(grpc_port, server)
    return f"127.0.0.1:{grpc_port}", f"http://127.0.0.1:{metrics_port}/metrics"


async def start_stack(procs: ProcessSet, data_dir: Path, server_args: Sequence[str] = ()) -> Stack:
    """Start everything; on failure the caller's `procs.stop_all()` cleans up."""
    policy_path = data_dir / "bench-policy.toml"
    policy_path.write_text(POLICY_TOML)
    address, metrics_url = await start_dev_server(procs, data_dir, server_args)
    api_port = free_port()
    tokens = {role: f"{role}-{secrets.token_urlsafe(12)}" for role in ("agent", "platform")}
    stack = Stack(
        data_dir=data_dir,
        temporal_address=address,
        api_url=f"http://127.0.0.1:{api_port}",
        secret=generate_secret(),
        stripe_secret=f"whsec_bench_{secrets.token_hex(16)}",
        tokens=tokens,
        task_queue="redress-bench",
        bench_queue="bench-skeleton",
        policy_path=policy_path,
        metrics_url=metrics_url,
    )
    env = {
        **os.environ,
        "REDRESS_DATA_DIR": str(data_dir),
        "REDRESS_POLICY": str(policy_path),
        "REDRESS_TEMPORAL_ADDRESS": address,
        "REDRESS_TASK_QUEUE": stack.task_queue,
        "REDRESS_WEBHOOK_SECRET": stack.secret,
        "REDRESS_STRIPE_WEBHOOK_SECRET": stack.stripe_secret,
        "REDRESS_API_TOKENS": ",".join(f"{t}:{r}" for r, t in tokens.items()),
        "REDRESS_API_HOST": "127.0.0.1",
        "REDRESS_API_PORT": str(api_port),
        "REDRESS_LOG_LEVEL": "INFO",
    }
    env.pop("REDRESS_DATABASE_URL", None)  # the case store is the SQLite file in data_dir
    worker = procs.spawn("worker", [sys.executable, "worker.py"], env=env, cwd=ROOT)
    await wait_log(worker, "worker started")
    api = procs.spawn("api", [sys.executable, "starter.py"], env=env, cwd=ROOT)
    await wait_http(f"{stack.api_url}/healthz", api)
    skeleton = procs.spawn(
        "skeleton-worker",
        [
            sys.executable,
            "-m",
            "bench.skeleton_worker",
            "--address",
            address,
            "--task-queue",
            stack.bench_queue,
        ],
        cwd=ROOT,
    )
    await wait_log(skeleton, "bench worker ready")
    return stack
