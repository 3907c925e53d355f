"""The redress worker: runs case workflows and their activities.

python worker.py          # against REDRESS_TEMPORAL_ADDRESS or 127.0.0.1:7233
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.cases import CaseActivities
from activities.digest import DigestActivities
from activities.monitoring import MonitoringActivities
from activities.watchdog import WatchdogActivities
from redress import kinds
from redress.config import Settings
from redress.identity import IdentityVerifier
from redress.logs import configure_logging, get_logger
from redress.models import RetentionInput
from redress.notices.channels import RecordingChannel
from redress.notices.renderer import NoticeRenderer, get_renderer
from redress.payments.disputes import DisputeClient
from redress.payments.gateway import PaymentsGateway, SimulatedGateway
from redress.policy import Policy, load_policy
from redress.schedules import ensure_schedule
from redress.search_attributes import ensure_registered
from redress.store.db import make_engine
from redress.temporal import connect
from workflows.digest import DigestWorkflow, ensure_digest_schedule
from workflows.monitoring import MonitoringWorkflow, ensure_monitoring_schedule
from workflows.retention import RetentionWorkflow
from workflows.watchdog import WatchdogWorkflow, ensure_watchdog_schedule

log = get_logger()


RETENTION_SCHEDULE_ID = "redress-retention"


async def ensure_retention_schedule(client: Client, policy: Policy, task_queue: str) -> None:
    """Create (or bring up to date) the Schedule that purges expired records (C1)."""
    inp = RetentionInput(keep_for_seconds=policy.retention.records_for.total_seconds())
    await ensure_schedule(
        client,
        RETENTION_SCHEDULE_ID,
        RetentionWorkflow.run,
        inp,
        policy.retention.purge_every,
        task_queue,
    )


def build_worker(
    client: Client,
    engine: Engine,
    task_queue: str,
    max_threads: int = 16,
    sandbox: bool = True,
    extra_workflows: Sequence[type] = (),
    renderer: NoticeRenderer | None = None,
    gateway: PaymentsGateway | None = None,
    verifier: IdentityVerifier | None = None,
    disputes: DisputeClient | None = None,
    parts: Mapping[str, Any] | None = None,
    settings: Settings | None = None,
) -> Worker:
    """A worker with the default parts: simulated gateway, recording channel. Tests may add
    workflows (a kind of their own), a renderer with their own templates, a gateway. Each
    registered kind builds its own activities from the shared parts and from the parts
    given by name (`parts`, or the `verifier` and `disputes` keywords), else its own."""
    acts = CaseActivities(
        engine=engine,
        gateway=gateway or SimulatedGateway(engine),
        channel=RecordingChannel(engine),
        renderer=renderer or get_renderer(),
    )
    given = {"verifier": verifier, "disputes": disputes, **(parts or {})}
    shared = kinds.WorkerParts(engine, acts.channel, acts.renderer, settings, given)
    return Worker(
        client,
        task_queue=task_queue,
        # Every registered kind's workflow, and the retention purge.
        workflows=[
            *(wf for kind in kinds.KINDS.values() for wf in kind.load_workflows()),
            RetentionWorkflow,
            MonitoringWorkflow,
            WatchdogWorkflow,
            DigestWorkflow,
            *extra_workflows,
        ],
        activities=[
            acts.apply_effects,
            acts.issue_refund,
            acts.purge_expired,
            *(act for kind in kinds.KINDS.values() for act in kind.load_activities(shared)),
            MonitoringActivities(engine, acts.channel, acts.renderer).recompute,
            WatchdogActivities(engine, acts.channel, acts.renderer).sweep,
            DigestActivities(engine, acts.channel, acts.renderer).send,
        ],
        activity_executor=ThreadPoolExecutor(max_workers=max_threads),
        # Sandboxed: keep the checks but import each module once per process, not once per
        # workflow run (re-importing dominated the worker's CPU in profiles); our workflow
        # modules keep no module-level mutable state, which is what makes this safe.
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_all_modules()
        )
        if sandbox
        else UnsandboxedWorkflowRunner(),
        max_concurrent_activities=max_threads,
        max_concurrent_local_activities=max_threads,
    )


async def main() -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    client = await connect(settings)
    await ensure_registered(client)
    policy = load_policy(settings.policy)
    if policy.defaulted:
        log.info("policy sections from the bundled defaults", sections=list(policy.defaulted))
    await ensure_retention_schedule(client, policy, settings.task_queue)
    # Every deadline is watched: a case that stalls past one alerts the supervisors.
    await ensure_watchdog_schedule(client, policy, settings.task_queue)
    # M12: each merchant's daily digest at the policy's time of day.
    await ensure_digest_schedule(client, policy, settings.task_queue)
    if policy.monitoring() is not None:  # C5: the card networks' monitoring figures
        await ensure_monitoring_schedule(client, policy, settings.task_queue)
    for kind in kinds.KINDS.values():  # the kinds' own Schedules
        await kind.ensure_schedules(client, policy, settings.task_queue)
    worker = build_worker(
        client, engine, settings.task_queue, sandbox=settings.workflow_sandbox, settings=settings
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started", task_queue=settings.task_queue, address=settings.address)
    async with worker:
        await stop.wait()
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(main())
