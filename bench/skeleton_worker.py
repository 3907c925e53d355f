"""The bench's own worker (a separate process, like redress's):

python -m bench.skeleton_worker --address 127.0.0.1:7233 --task-queue bench
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from bench.workloads import NoopWorkflow, SkeletonCase, noop_activity


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    client = await Client.connect(args.address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Same executor shape as redress's worker: sync activities on 16 threads.
    worker = Worker(
        client,
        task_queue=args.task_queue,
        workflows=[NoopWorkflow, SkeletonCase],
        activities=[noop_activity],
        activity_executor=ThreadPoolExecutor(max_workers=16),
        max_concurrent_activities=16,
    )
    async with worker:
        print("bench worker ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
