"""The redress worker: runs case workflows and their activities.

python worker.py          # against REDRESS_TEMPORAL_ADDRESS or 127.0.0.1:7233
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
)
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.cases import CaseActivities
from activities.disputes import DisputeActivities
from activities.monitoring import MonitoringActivities
from activities.verification import VerificationActivities
from redress import kinds
from redress.config import Settings
from redress.identity import IdentityVerifier, SimulatedIdentityVerifier
from redress.logs import configure_logging, get_logger
from redress.models import RetentionInput
from redress.notices.channels import RecordingChannel
from redress.notices.renderer import NoticeRenderer, get_renderer
from redress.payments.disputes import DisputeClient, SimulatedDisputeClient
from redress.payments.gateway import PaymentsGateway, SimulatedGateway
from redress.policy import Policy, load_policy
from redress.search_attributes import ensure_registered
from redress.store.db import make_engine
from redress.temporal import connect
from workflows.monitoring import MonitoringWorkflow, ensure_monitoring_schedule
from workflows.prevention import PreventionNoticeWorkflow
from workflows.retention import RetentionWorkflow

log = get_logger()


RETENTION_SCHEDULE_ID = "redress-retention"


async def ensure_retention_schedule(client: Client, policy: Policy, task_queue: str) -> None:
    """Create (or bring up to date) the Schedule that purges expired records (C1)."""
    action = ScheduleActionStartWorkflow(
        RetentionWorkflow.run,
        RetentionInput(keep_for_seconds=policy.retention.records_for.total_seconds()),
        id=RETENTION_SCHEDULE_ID,
        task_queue=task_queue,
    )
    schedule = Schedule(
        action=action,
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=policy.retention.purge_every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    try:
        await client.create_schedule(RETENTION_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:
        await client.get_schedule_handle(RETENTION_SCHEDULE_ID).update(
            lambda _: ScheduleUpdate(schedule=schedule)
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
) -> Worker:
    """A worker with the default parts: simulated gateway, recording channel. Tests may add
    workflows (a kind of their own), a renderer with their own templates, a gateway."""
    acts = CaseActivities(
        engine=engine,
        gateway=gateway or SimulatedGateway(engine),
        channel=RecordingChannel(engine),
        renderer=renderer or get_renderer(),
    )
    verification = VerificationActivities(verifier or SimulatedIdentityVerifier(engine))
    dispute_acts = DisputeActivities(
        engine, disputes or SimulatedDisputeClient(engine), acts.channel, acts.renderer
    )
    return Worker(
        client,
        task_queue=task_queue,
        # Every registered kind's workflow, and the retention purge.
        workflows=[
            *(kind.load_workflow() for kind in kinds.KINDS.values()),
            RetentionWorkflow,
            PreventionNoticeWorkflow,
            MonitoringWorkflow,
            *extra_workflows,
        ],
        activities=[
            acts.apply_effects,
            acts.issue_refund,
            acts.purge_expired,
            verification.request_verification,
            dispute_acts.collect_records,
            dispute_acts.collect_record_refs,
            dispute_acts.store_evidence_texts,
            dispute_acts.submit_defense,
            dispute_acts.accept_dispute,
            dispute_acts.send_prevention_notice,
            MonitoringActivities(engine, acts.channel, acts.renderer).recompute,
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
    policy = kinds.check_policy(load_policy(settings.policy))
    await ensure_retention_schedule(client, policy, settings.task_queue)
    if policy.dispute is not None:  # C5: the card networks' monitoring figures
        await ensure_monitoring_schedule(client, policy, settings.task_queue)
    verifier = SimulatedIdentityVerifier(engine, outcome=settings.simulated_verifier)  # type: ignore[arg-type]
    worker = build_worker(
        client, engine, settings.task_queue, sandbox=settings.workflow_sandbox, verifier=verifier
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
