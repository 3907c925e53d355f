"""3. Whole cases: one whole case per registered kind, each by its shortest realistic path
to `closed`, through the running stack over HTTP (signed webhooks and the reviewer API).

C clients each open a case and take it to its end (`DRIVERS`, one entry per kind); a
merchant complaint then closes on its own when the bench policy's 1 s outcome wait ends,
the others close on their last request. Each kind runs on its own merchant, one kind after
another, and its clock stops at the case store's last write of one of its closed rows, so
its figure covers the notices, every projection and the close. py-spy samples the worker
and the API over the whole scenario.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.context import Ctx
from bench.load import Api, closed_loop
from bench.profiling import Sampler
from bench.store import CaseStore, wait_until
from redress.kinds import KINDS

# (api, store, merchant, the source's own ID, i) → whether the case got its last request.
Steps = Callable[[Api, CaseStore, str, str, int], Awaitable[tuple[bool, str]]]


@dataclass(frozen=True)
class Driver:
    path: str  # what one whole case is, for the table (every path ends `closed`)
    source: str  # the webhook provider the case IDs name
    tag: str  # in the source IDs (and the merchant), so each kind's cases are its own
    steps: Steps
    id_prefix: str = ""  # the provider's own ID scheme (Stripe disputes: "dp_")

    def source_id(self, api: Api, i: int) -> str:
        return self.id_prefix + api.complaint_id(self.tag, i)


def _case_id(kind: str, driver: Driver, source_id: str) -> str:
    return KINDS[kind].case_id(driver.source, source_id)


def _locale(i: int) -> str:
    return "en" if i % 2 else "zh-CN"


async def _merchant_complaint(
    api: Api, store: CaseStore, merchant: str, sid: str, i: int
) -> tuple[bool, str]:
    ok, why = await api.webhook("wc", i, merchant)
    if not ok:
        return False, f"webhook {why}"
    ok, why = await api.reply(api.case_id("wc", i))
    return ok, f"reply {why}"


async def _platform_complaint(
    api: Api, store: CaseStore, merchant: str, sid: str, i: int
) -> tuple[bool, str]:
    # Complete, 268.00 CNY (under the verification threshold), accepted automatically.
    kind = KINDS["platform_complaint"]
    event = kind.sample(sid, locale=_locale(i), merchant_id=merchant, trade_no=f"T{sid}")
    status = await api.event(event)
    if status != 202:
        return False, f"created http {status}"
    conclude = {"type": "conclude", "upheld": False, "basis": "one charge, as the ledger shows"}
    status = await _act_once_open(api, "platform_complaint", kind.case_id("generic", sid), conclude)
    if status != 200:
        return False, f"conclude http {status}"
    confirmed = {
        "event_id": f"evt-{uuid.uuid4().hex[:16]}",
        "type": "platform_complaint.confirmed",
        "complaint": {"id": sid},
    }
    status = await api.event(confirmed)
    return status in (200, 202), f"confirmed http {status}"


# Actions a case refused (409) because it had not run its first task yet, by kind: an
# action sent the instant the webhook was answered can reach the workflow before its
# opening step (a platform complaint is `awaiting_info` until then). A reviewer who saw the
# case in a list never meets it; the driver tries again shortly, and the report counts it.
EARLY: Counter[str] = Counter()


async def _act_once_open(
    api: Api, kind: str, case_id: str, action: dict[str, Any], tries: int = 40
) -> int:
    status = await api.act(case_id, action)
    for _ in range(tries):
        if status != 409:
            break
        EARLY[kind] += 1
        await asyncio.sleep(0.05)
        status = await api.act(case_id, action)
    return status


async def _dispute(api: Api, store: CaseStore, merchant: str, sid: str, i: int) -> tuple[bool, str]:
    # Due in ten days: no reminder or safety margin falls inside the run.
    kind = KINDS["dispute"]
    event = kind.sample(
        sid,
        locale=_locale(i),
        merchant_id=merchant,
        trade_no=f"ch_{sid}",
        due_in=timedelta(days=10),
    )
    status = await api.stripe(event)
    if status not in (200, 202):
        return False, f"dispute.created http {status}"
    case_id = kind.case_id("stripe", sid)
    status = await api.act(
        case_id, {"type": "accept_dispute", "note": "bench"}, key=f"{sid}-accept"
    )
    return status == 200, f"accept_dispute http {status}"


async def _payment_failure(
    api: Api, store: CaseStore, merchant: str, sid: str, i: int
) -> tuple[bool, str]:
    # Insufficient funds (code 101): the user told, nothing captured (the simulated channel
    # answers from the captures redress has recorded); the user pays again: recovered.
    kind = KINDS["payment_failure"]
    failed = kind.sample(sid, locale=_locale(i), merchant_id=merchant, trade_no=f"O{sid}")
    status = await api.event(failed)
    if status != 202:
        return False, f"payment.failed http {status}"
    # The user pays again once the case has reconciled (the store shows `awaiting_retry`):
    # the failure is in the attempts ledger by then, where the success finds its case.
    case_id = kind.case_id("generic", sid)
    reconciled, _ = await wait_until(
        lambda: store.status(case_id) not in (None, "reconciling"), 60, interval=0.05
    )
    if not reconciled:
        return False, "not reconciled in 60 s"
    dropped = ("return_code", "return_message", "card")
    payment = {k: v for k, v in failed["payment"].items() if k not in dropped}
    payment |= {"id": f"{sid}R", "occurred_at": datetime.now(UTC).isoformat()}
    succeeded = {"event_id": f"evt-{uuid.uuid4().hex[:16]}", "type": "payment.succeeded"}
    status = await api.event(succeeded | {"payment": payment})
    return status in (200, 202), f"payment.succeeded http {status}"


# Kind → how the bench takes one of its cases to `closed`. A registered kind missing here
# is reported as an error, so a new kind cannot go unmeasured.
DRIVERS: dict[str, Driver] = {
    "merchant_complaint": Driver("webhook → reply → closed", "generic", "wc", _merchant_complaint),
    "platform_complaint": Driver(
        "created → conclude → confirmed", "generic", "wp", _platform_complaint
    ),
    "dispute": Driver("dispute.created → accept_dispute", "stripe", "wd", _dispute, "dp_"),
    "payment_failure": Driver("failed → reconciled → succeeded", "generic", "wf", _payment_failure),
}


async def _run_kind(ctx: Ctx, api: Api, kind: str, merchant: str) -> dict[str, Any]:
    s, store = ctx.scale, ctx.store
    driver = DRIVERS[kind]

    async def case(i: int) -> tuple[bool, str]:
        return await driver.steps(api, store, merchant, driver.source_id(api, i), i)

    EARLY.pop(kind, None)
    cpu = ctx.cpu()
    t0_wall, t0 = time.time(), time.perf_counter()
    res = await closed_loop(case, s.whole_cases, s.concurrency, time_cap=600)
    closed, waited = await wait_until(
        lambda: store.statuses(merchant).get("closed", 0) >= res.ok,
        s.drain_timeout_s,
        guard=ctx.guard,
    )
    wall = time.perf_counter() - t0
    used = cpu.per_item(res.ok, wall)
    last = store.last_write(merchant, "closed")
    elapsed = (last.timestamp() - t0_wall) if last else wall
    statuses = store.statuses(merchant)
    n_closed = statuses.get("closed", 0)
    rate = n_closed / elapsed if elapsed > 0 else 0.0
    notices = store.notices(_case_id(kind, driver, driver.source_id(api, 0))[:-1])
    ctx.log(
        f"  {kind}: {rate:.1f}/s ({n_closed} closed in {elapsed:.1f}s, {notices} notices, "
        f"{EARLY[kind]} early refusals" + (f", errors {dict(res.errors)})" if res.errors else ")")
    )
    return {
        "path": driver.path,
        "merchant": merchant,
        "cases": s.whole_cases,
        "actions": res.summary(),  # per case: every request of its path answered
        "closed": n_closed,
        "all_closed": closed,
        "statuses": statuses,
        "notices": notices,
        "early_refusals": EARLY[kind],  # 409s before the case's first task, tried again
        "elapsed_s": round(elapsed, 2),
        "rate": round(rate, 2),
        "close_wait_s": round(waited, 2),
        "cpu": used,
    }


async def run(ctx: Ctx) -> dict[str, Any]:
    samplers = [
        Sampler("worker", ctx.pid("worker"), ctx.out_dir),
        Sampler("api", ctx.pid("api"), ctx.out_dir),
    ]
    kinds: dict[str, dict[str, Any]] = {}
    async with ctx.api(ctx.scale.concurrency) as api:
        for sampler in samplers:
            sampler.start()
        try:
            for kind in KINDS:  # registry order: merchant complaints first, as before
                if kind not in DRIVERS:
                    kinds[kind] = {"error": f"the bench has no whole-case driver for {kind!r}"}
                    continue
                tag = DRIVERS[kind].tag
                merchant = f"M-WHOLE-{ctx.run}" + (
                    "" if kind == "merchant_complaint" else f"-{tag}"
                )
                try:
                    kinds[kind] = await _run_kind(ctx, api, kind, merchant)
                except Exception as err:  # the other kinds still run
                    ctx.log(f"  ! {kind} failed: {err!r}")
                    kinds[kind] = {"error": repr(err)}
        finally:
            profiles = {sampler.name: sampler.stop() for sampler in samplers}
    # The merchant complaint's figures stay at the top, where earlier results have them.
    first = kinds.get("merchant_complaint", {})
    return {
        **{k: v for k, v in first.items() if k != "error"},
        "kinds": kinds,
        "profiles": profiles,
    }
