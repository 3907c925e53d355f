"""The redress worker: runs case workflows and their activities.

python worker.py          # against REDRESS_TEMPORAL_ADDRESS or 127.0.0.1:7233
"""

from __future__ import annotations

import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.cases import CaseActivities
from redress.config import Settings
from redress.logs import configure_logging, get_logger
from redress.notices.channels import RecordingChannel
from redress.notices.renderer import get_renderer
from redress.payments.gateway import SimulatedGateway
from redress.search_attributes import ensure_registered
from redress.store.db import make_engine
from redress.temporal import connect
from workflows import ComplaintWorkflow

log = get_logger()


def build_worker(client: Client, engine: Engine, task_queue: str, max_threads: int = 16) -> Worker:
    """A worker with the default parts: simulated gateway, recording channel."""
    acts = CaseActivities(
        engine=engine,
        gateway=SimulatedGateway(engine),
        channel=RecordingChannel(engine),
        renderer=get_renderer(),
    )
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[ComplaintWorkflow],
        activities=[acts.project_case, acts.send_notice, acts.issue_refund],
        activity_executor=ThreadPoolExecutor(max_workers=max_threads),
        max_concurrent_activities=max_threads,
    )


async def main() -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    client = await connect(settings)
    await ensure_registered(client)
    worker = build_worker(client, engine, settings.task_queue)
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
