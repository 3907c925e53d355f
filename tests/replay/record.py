"""Record workflow histories for the replay tests.

    .venv/bin/python -m tests.replay.record v6

Runs one case per branch on the time-skipping server, started the way the webhook starts
them, and writes each history to tests/replay/histories/<branch>-<version>.json. Record a
new version (and commit it beside the old ones) only for a deliberate, patched change: the
committed files are what running cases look like, and replaying every one of them proves a
new workflow version still understands cases started under each earlier one.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from redress.kinds import KINDS
from redress.models import RetentionInput
from redress.search_attributes import ensure_registered
from redress.store.db import make_engine
from tests.harness import binary
from worker import build_worker
from workflows.retention import RetentionWorkflow

HISTORIES = Path(__file__).parent / "histories"


async def main(version: str, only: list[str]) -> None:
    HISTORIES.mkdir(parents=True, exist_ok=True)
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    await ensure_registered(env.client)
    with TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/cases.db")
        async with build_worker(env.client, engine, "record"):
            # Every registered kind's scenarios (its registry entry's `replay_scenarios`).
            for kind in KINDS.values():
                for name, scenario in kind.load_replay_scenarios().items():
                    if only and name not in only:
                        continue
                    case_id = await scenario(env, engine, name, version)
                    h = env.client.get_workflow_handle(case_id)
                    history = await h.fetch_history()
                    (HISTORIES / f"{name}-{version}.json").write_text(history.to_json())
                    print(f"recorded {name}: {len(history.events)} events")
                    started = history.events[0].workflow_execution_started_event_attributes
                    if started.continued_execution_run_id:  # continued as new: the earlier run
                        first = env.client.get_workflow_handle(
                            case_id, run_id=started.continued_execution_run_id
                        )
                        history = await first.fetch_history()
                        (HISTORIES / f"{name}_run1-{version}.json").write_text(history.to_json())
                        print(f"recorded {name}_run1: {len(history.events)} events")
            # One retention history is enough until RetentionWorkflow changes: then delete it.
            if not list(HISTORIES.glob("retention_purge-*.json")):
                retention = await env.client.start_workflow(
                    RetentionWorkflow.run,
                    RetentionInput(keep_for_seconds=360 * 86400),
                    id=f"REC-retention-{version}",
                    task_queue="record",
                )
                await retention.result()
                history = await retention.fetch_history()
                (HISTORIES / f"retention_purge-{version}.json").write_text(history.to_json())
                print(f"recorded retention_purge: {len(history.events)} events")
    await env.shutdown()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m tests.replay.record VERSION [SCENARIO …]  (e.g. v6)")
    asyncio.run(main(sys.argv[1], sys.argv[2:]))
