"""Child processes: start them in their own session, log to files, stop them all at the end.

Also /proc readers (RSS, CPU time) and free-port helpers; everything binds 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> dict[str, float]:
    """Resident set now (VmRSS) and at its peak (VmHWM), in MiB."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all threads."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / _CLK_TCK


class Proc:
    def __init__(self, name: str, popen: subprocess.Popen[bytes], log: Path) -> None:
        self.name, self.popen, self.log = name, popen, log

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def new_output(self) -> str:
        """What the process logged since the last call."""
        offset = getattr(self, "_offset", 0)
        with self.log.open("rb") as fh:
            fh.seek(offset)
            data = fh.read()
        self._offset = offset + len(data)
        return data.decode(errors="replace")

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class ProcessSet:
    """Every process the bench starts; `stop_all` ends them newest first, by PID."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[Proc] = []

    def spawn(
        self,
        name: str,
        args: Sequence[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Proc:
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as fh:
            popen = subprocess.Popen(
                list(args),
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the bench only; it stops them in order
            )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def get(self, name: str) -> Proc:
        return next(p for p in self.procs if p.name == name)

    def stop(self, proc: Proc, timeout: float = 20.0) -> None:
        if proc.alive():
            proc.popen.send_signal(signal.SIGTERM)
            try:
                proc.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            try:
                self.stop(proc)
            except Exception as err:  # keep stopping the others
                print(f"bench: could not stop {proc.name} ({proc.pid}): {err}")

    def check(self) -> None:
        for proc in self.procs:
            if not proc.alive() and proc.name.startswith(("temporal", "worker", "api", "skel")):
                raise RuntimeError(
                    f"{proc.name} exited with code {proc.popen.returncode}:\n{proc.tail()}"
                )


async def wait_port(port: int, proc: Proc, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited early:\n{proc.tail()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{proc.name} did not listen on 127.0.0.1:{port} within {timeout:.0f}s")


async def wait_log(proc: Proc, text: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited early:\n{proc.tail()}")
        if text in proc.log.read_text(errors="replace"):
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{proc.name} did not log {text!r} within {timeout:.0f}s:\n{proc.tail()}")


async def wait_http(url: str, proc: Proc, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited early:\n{proc.tail()}")
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s:\n{proc.tail()}")


class CpuMeter:
    """CPU seconds used by each process (and the bench itself) between two snapshots, and
    by everything else on the machine ("others": py-spy, and anything not the bench's)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = {**pids, "bench client": os.getpid()}
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        out: dict[str, float] = {"machine": machine_busy_seconds()}
        for name, pid in self.pids.items():
            try:
                out[name] = cpu_seconds(pid)
            except OSError:
                out[name] = float("nan")
        return out

    def per_item(self, items: int, wall_s: float) -> dict[str, Any]:
        """CPU ms per item of each process, and its average cores busy over `wall_s`."""
        end = self._read()
        used = {name: end[name] - self.start[name] for name in self.pids}
        used["others"] = end["machine"] - self.start["machine"] - sum(used.values())
        return {
            "ms_per_item": {n: round(1000 * s / max(items, 1), 2) for n, s in used.items()},
            "cores_busy": {n: round(s / max(wall_s, 1e-9), 2) for n, s in used.items()},
        }
