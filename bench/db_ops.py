"""The dev server's own count of its database operations, from its Prometheus metrics.

`persistence_requests` counts every call into the SQLite store, by operation. Per item it
is exact where rates are noisy: the same operations mean the same work for the server's
single writer, whatever the machine's speed that minute.
"""

from __future__ import annotations

import asyncio
import re
import time

import httpx

_SAMPLE = re.compile(r"^persistence_requests\{([^}]*)\} ([0-9.e+]+)$", re.MULTILINE)
_OPERATION = re.compile(r'operation="([^"]*)"')
CREATE = "CreateWorkflowExecution"  # one per workflow start


async def read(url: str) -> dict[str, float]:
    """Requests so far, by operation (summed over the other labels)."""
    async with httpx.AsyncClient(timeout=10) as http:
        text = (await http.get(url)).text
    counts: dict[str, float] = {}
    for labels, value in _SAMPLE.findall(text):
        found = _OPERATION.search(labels)
        op = found.group(1) if found else "?"
        counts[op] = counts.get(op, 0.0) + float(value)
    return counts


class DbOpsMeter:
    """Operations between `start()` and `per_item()`, for loops of workflow starts."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.before: dict[str, float] = {}

    async def start(self, quiet_s: float = 1.0, cap_s: float = 5.0) -> DbOpsMeter:
        """From counters that have caught up with the previous phase: no new start shows for
        `quiet_s` (the server publishes its metrics on an interval)."""
        deadline = time.monotonic() + cap_s
        self.before = await read(self.url)
        while time.monotonic() < deadline:
            await asyncio.sleep(quiet_s)
            now = await read(self.url)
            settled = now.get(CREATE, 0.0) == self.before.get(CREATE, 0.0)
            self.before = now
            if settled:
                break
        return self

    async def per_item(self, items: int, settle_s: float = 5.0) -> dict[str, object]:
        """Per item, once the counters show all `items` starts: the server publishes its
        metrics on an interval, so a read right after the loop can miss its last second."""
        deadline = time.monotonic() + settle_s
        while True:
            after = await read(self.url)
            created = after.get(CREATE, 0.0) - self.before.get(CREATE, 0.0)
            if created >= items or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        n = max(items, 1)
        ops = {op: (count - self.before.get(op, 0.0)) / n for op, count in after.items()}
        by_op = {k: round(v, 2) for k, v in sorted(ops.items(), key=lambda kv: -kv[1]) if v >= 0.01}
        return {"total": round(sum(ops.values()), 2), "by_operation": by_op}
