"""The README's first command: `redress up` runs the stack; Ctrl-C stops all of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.conftest import free_port

BIN = Path(sys.executable).parent


def _wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_up_serves_a_case_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {
        "REDRESS_API_PORT": str(free_port()),
        "REDRESS_TEMPORAL_PORT": str(free_port()),
        "REDRESS_UI_PORT": str(free_port()),
    }
    env = {
        **os.environ,
        **ports,
        "REDRESS_POLICY": "fast",
        "REDRESS_DATA_DIR": str(tmp_path / "var"),
        "REDRESS_TASK_QUEUE": f"up-{ports['REDRESS_API_PORT']}",
    }
    env.pop("REDRESS_TEMPORAL_ADDRESS", None)
    # Started with SIGINT ignored, as from a background job: Ctrl-C must still stop it.
    up = subprocess.Popen(
        [BIN / "redress", "up"],
        env=env,
        cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        api = f"http://127.0.0.1:{ports['REDRESS_API_PORT']}"
        _wait_http(f"{api}/healthz", 90)
        sample = subprocess.run(
            [BIN / "redress", "send-sample", "--id", "UP1"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert sample.returncode == 0, sample.stdout + sample.stderr
        assert '"duplicate":false' in sample.stdout
        tokens = (tmp_path / "var" / "api-tokens").read_text().split(",")
        agent = next(t.split(":")[0] for t in tokens if t.endswith(":agent"))
        auth = {"Authorization": f"Bearer {agent}"}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = httpx.get(f"{api}/cases/complaint-generic-UP1", headers=auth, timeout=5)
            if r.status_code == 200 and r.json()["version"] >= 1:
                break
            time.sleep(0.3)
        assert r.json()["policy"] == "fast"
        _wait_http(f"http://127.0.0.1:{ports['REDRESS_UI_PORT']}", 30)  # the Web UI
        assert (tmp_path / "var" / "temporal.db").exists()
        assert (tmp_path / "var" / "redress.db").exists()
    finally:
        up.send_signal(signal.SIGINT)
        code = up.wait(timeout=60)
    assert code == 0
    # Nothing is left listening.
    for port in ports.values():
        try:
            httpx.get(f"http://127.0.0.1:{port}", timeout=1)
            raise AssertionError(f"port {port} still answers")
        except httpx.ConnectError:
            pass
