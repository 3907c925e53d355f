"""The README's first command: `redress up` runs the stack; Ctrl-C stops all of it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.harness import free_port

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


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                kids = {int(k) for k in (task / "children").read_text().split()}
            except OSError:
                continue
            todo += list(kids - found)
            found |= kids
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def _up(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    # A session of its own, as a terminal gives it: its process group is the whole stack.
    proc = subprocess.Popen([BIN / "redress", "up"], env=env, cwd=cwd, start_new_session=True)
    _wait_http(f"http://127.0.0.1:{env['REDRESS_API_PORT']}/healthz", 90)
    return proc


def _gone(pids: set[int], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.2)
    assert not [p for p in pids if _alive(p)], "a process of the killed stack is still running"


def test_a_killed_supervisor_takes_its_stack_along(tmp_path: Path) -> None:
    ports = {k: str(free_port()) for k in ("REDRESS_API_PORT", "REDRESS_TEMPORAL_PORT")}
    env = {
        **os.environ,
        **ports,
        "REDRESS_UI_PORT": str(free_port()),
        "REDRESS_POLICY": "fast",
        "REDRESS_DATA_DIR": str(tmp_path / "var"),
        "REDRESS_TASK_QUEUE": f"kill-{ports['REDRESS_API_PORT']}",
    }
    env.pop("REDRESS_TEMPORAL_ADDRESS", None)
    api = f"http://127.0.0.1:{ports['REDRESS_API_PORT']}"
    stacks: list[subprocess.Popen[bytes]] = []
    try:
        first = _up(env, tmp_path)
        stacks.append(first)
        sample = subprocess.run(
            [BIN / "redress", "send-sample", "--id", "KILL1"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert sample.returncode == 0, sample.stdout + sample.stderr

        # A second supervisor on the same data folder says so in one line and exits.
        second = subprocess.run(
            [BIN / "redress", "up"], env=env, cwd=tmp_path, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
        assert second.returncode == 1
        assert second.stderr.strip().count("\n") == 0
        assert f"already running on {tmp_path / 'var'} (pid {first.pid})" in second.stderr

        # SIGKILL to the supervisor's process group: nothing of the stack survives it.
        kids = _descendants(first.pid)
        assert len(kids) >= 3  # dev server, worker, API
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        _gone(kids)

        # SIGKILL to the supervisor alone: its children follow it (parent-death signal).
        lone = _up(env, tmp_path)
        stacks.append(lone)
        kids = _descendants(lone.pid)
        lone.kill()
        lone.wait(timeout=10)
        _gone(kids)

        # Up again on the same folder: it comes up and the open case moves on.
        third = _up(env, tmp_path)
        stacks.append(third)
        tokens = (tmp_path / "var" / "api-tokens").read_text().split(",")
        agent = next(t.split(":")[0] for t in tokens if t.endswith(":agent"))
        auth = {"Authorization": f"Bearer {agent}", "content-type": "application/json"}
        r = httpx.post(
            f"{api}/cases/complaint-generic-KILL1/actions",
            headers=auth,
            json={"type": "reply", "message": "back"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] in ("awaiting_outcome", "overdue")
    finally:
        for proc in stacks:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=60)
