"""What every scenario gets: the stack, clients, the case store, and a few shared helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.client import Client

from bench.db_ops import DbOpsMeter
from bench.http import lean_client
from bench.load import Api
from bench.procs import CpuMeter, ProcessSet
from bench.scales import Scale
from bench.stack import Stack
from bench.store import CaseStore, wait_until
from redress.api.signing import WebhookSigner


@dataclass
class Ctx:
    scale: Scale
    stack: Stack
    procs: ProcessSet
    client: Client  # default data converter: bench workflows, counts
    out_dir: Path
    run: str
    log: Callable[[str], None] = print
    results: dict[str, Any] = field(default_factory=dict)  # figures of earlier scenarios

    @property
    def store(self) -> CaseStore:
        return CaseStore(self.stack.case_db)

    @asynccontextmanager
    async def api(self, connections: int) -> AsyncIterator[Api]:
        async with lean_client(self.stack.api_url, connections) as http:
            yield Api(
                http,
                WebhookSigner(self.stack.secret),
                self.stack.tokens["agent"],
                self.run,
                self.stack.stripe_secret,
            )

    def cpu(self) -> CpuMeter:
        names = ("temporal", "worker", "api", "skeleton-worker")
        return CpuMeter({n: self.procs.get(n).pid for n in names})

    async def db_ops(self) -> DbOpsMeter:
        return await DbOpsMeter(self.stack.metrics_url).start()

    def pid(self, name: str) -> int:
        return self.procs.get(name).pid

    async def running(self, query: str = 'ExecutionStatus="Running"') -> int:
        return (await self.client.count_workflows(query)).count

    def guard(self) -> None:
        """Raise if a process died or the worker fails workflow tasks (no point waiting)."""
        self.procs.check()
        for line in self.procs.get("worker").new_output().splitlines():
            if "Failed handling activation" in line or "Failed activation" in line:
                raise RuntimeError(f"the worker fails workflow tasks: {line[-600:]}")

    async def drain(self, merchant: str, expected: int) -> dict[str, Any]:
        """Wait until the worker has projected `expected` cases of `merchant` (bounded)."""
        done, waited = await wait_until(
            lambda: self.store.count(merchant) >= expected,
            self.scale.drain_timeout_s,
            guard=self.guard,
        )
        if not done:
            self.log(f"  ! worker still behind after {waited:.0f}s ({merchant})")
        return {"drained": done, "drain_wait_s": round(waited, 2)}
