"""Load shapes (closed loop, open loop), signed webhooks and reviewer actions over HTTP.

Every loop is bounded by a count and by a time cap; latencies are in seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.http import LeanClient
from redress.api.signing import WebhookSigner
from redress.kinds import KINDS

# The bench loads merchant complaints, through the registry like the API does.
KIND = KINDS["merchant_complaint"]

# One unit of work: returns whether it succeeded (and a label for the error count).
Job = Callable[[int], Awaitable[tuple[bool, str]]]


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


@dataclass
class LoopResult:
    shape: str
    target: int  # jobs asked for
    ok: int = 0
    wall_s: float = 0.0
    offered_rate: float | None = None  # open loop: the arrival rate
    shed: int = 0  # open loop: not sent because too many were in flight
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.ok / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "shape": self.shape,
            "target": self.target,
            "ok": self.ok,
            "errors": dict(self.errors),
            "shed": self.shed,
            "wall_s": round(self.wall_s, 3),
            "offered_rate": None if self.offered_rate is None else round(self.offered_rate, 2),
            "rate": round(self.rate, 2),
            "p50_ms": round(pct(self.latencies, 50) * 1000, 2),
            "p99_ms": round(pct(self.latencies, 99) * 1000, 2),
            "max_ms": round(max(self.latencies, default=float("nan")) * 1000, 2),
        }


async def _run_job(job: Job, i: int, res: LoopResult, start: float) -> None:
    try:
        ok, label = await job(i)
    except Exception as err:  # a failed request is a figure, not a crash
        ok, label = False, type(err).__name__
    if ok:
        res.ok += 1
        res.latencies.append(time.perf_counter() - start)
    else:
        res.errors[label] += 1


async def closed_loop(job: Job, n: int, concurrency: int, time_cap: float) -> LoopResult:
    """`concurrency` clients, each sending its next job as soon as the last one answers."""
    res = LoopResult("closed", n)
    counter = iter(range(n))
    t0 = time.perf_counter()
    stop_at = t0 + time_cap

    async def client() -> None:
        for i in counter:
            if time.perf_counter() > stop_at:
                return
            await _run_job(job, i, res, time.perf_counter())

    await asyncio.gather(*(client() for _ in range(concurrency)))
    res.wall_s = time.perf_counter() - t0
    return res


async def open_loop(
    job: Job, rate: float, n: int, time_cap: float, max_inflight: int = 512
) -> LoopResult:
    """Jobs start on a fixed schedule whatever the answers do; latency counts from the
    scheduled instant, so a stalled server cannot hide its queue (no coordinated omission)."""
    res = LoopResult("open", n, offered_rate=rate)
    tasks: set[asyncio.Task[None]] = set()
    t0 = time.perf_counter() + 0.05
    for i in range(n):
        scheduled = t0 + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if time.perf_counter() - t0 > time_cap:
            break
        if len(tasks) >= max_inflight:
            res.shed += 1
            continue
        task = asyncio.create_task(_run_job(job, i, res, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        left = max(1.0, t0 + time_cap - time.perf_counter())
        _, pending = await asyncio.wait(tasks, timeout=left)
        for task in pending:
            task.cancel()
            res.errors["timeout"] += 1
    # Achieved rate: answers per second of schedule plus the time to drain it.
    res.wall_s = time.perf_counter() - t0
    return res


@dataclass
class Api:
    """Talks to the redress API like a payment platform and a reviewer would."""

    http: LeanClient
    signer: WebhookSigner
    agent_token: str
    run: str  # keeps complaint IDs unique across runs
    stripe_secret: str = ""  # Stripe's endpoint secret (disputes)

    def complaint_id(self, kind: str, i: int) -> str:
        return f"B{self.run}{kind}{i}"

    def case_id(self, kind: str, i: int) -> str:
        return KIND.case_id("generic", self.complaint_id(kind, i))

    async def webhook(
        self, kind: str, i: int, merchant: str, created_at: datetime | None = None
    ) -> tuple[bool, str]:
        event = KIND.sample(
            self.complaint_id(kind, i),
            locale="en" if i % 2 else "zh-CN",
            merchant_id=merchant,
            created_at=created_at,
            trade_no=f"T{self.run}{i}",
        )
        body = json.dumps(event).encode()
        headers = self.signer.headers(f"msg_{uuid.uuid4().hex}", body)
        headers["content-type"] = "application/json"
        status, _ = await self.http.post("/webhooks/generic", body, headers)
        return status == 202, f"http {status}"

    async def reply(self, case_id: str) -> tuple[bool, str]:
        status, _ = await self.http.post(
            f"/cases/{case_id}/actions",
            _REPLY,
            {"authorization": f"Bearer {self.agent_token}", "content-type": "application/json"},
        )
        return status == 200, f"http {status}"

    async def event(self, event: dict[str, Any]) -> int:
        """Any generic event, signed like the merchant complaints' webhooks; the status."""
        body = json.dumps(event).encode()
        headers = self.signer.headers(f"msg_{uuid.uuid4().hex}", body)
        headers["content-type"] = "application/json"
        status, _ = await self.http.post("/webhooks/generic", body, headers)
        return status

    async def stripe(self, event: dict[str, Any]) -> int:
        """A Stripe event, signed as Stripe signs it: `t=…,v1=HMAC-SHA256(t.body)`."""
        body = json.dumps(event).encode()
        at = int(time.time())
        v1 = hmac.new(self.stripe_secret.encode(), b"%d." % at + body, hashlib.sha256)
        headers = {"stripe-signature": f"t={at},v1={v1.hexdigest()}"}
        headers["content-type"] = "application/json"
        status, _ = await self.http.post("/webhooks/stripe", body, headers)
        return status

    async def act(self, case_id: str, action: dict[str, Any], key: str | None = None) -> int:
        """A reviewer action (with an Idempotency-Key where it moves money); the status."""
        headers = {"authorization": f"Bearer {self.agent_token}"}
        headers["content-type"] = "application/json"
        if key:
            headers["idempotency-key"] = key
        body = json.dumps(action).encode()
        status, _ = await self.http.post(f"/cases/{case_id}/actions", body, headers)
        return status


_REPLY = json.dumps({"type": "reply", "message": "Refund on its way"}).encode()


def backdated(handle_within: timedelta, lead_s: float) -> tuple[datetime, datetime]:
    """A created_at whose deadline falls `lead_s` from now; returns (created_at, deadline)."""
    deadline = datetime.now(UTC) + timedelta(seconds=lead_s)
    return deadline - handle_within, deadline
