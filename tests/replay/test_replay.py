"""Replays every recorded history against the current workflow code.

A failure here means a change would break running cases: put it behind
`workflow.patched(...)` (see docs/contributing.md, "Changing a workflow").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from redress.kinds import KINDS
from workflows.retention import RetentionWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_recorded() -> None:
    """Every registered kind has some, named by its prefix (and its scenarios' names)."""
    recorded = {p.stem.split("_")[0] for p in HISTORIES}
    assert recorded == {kind.prefix for kind in KINDS.values()} | {"retention"}
    for kind in KINDS.values():
        for name in kind.load_replay_scenarios():
            assert name.startswith(f"{kind.prefix}_")
            assert any(p.stem.startswith(f"{name}-") for p in HISTORIES), f"{name}: none"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_replay(path: Path) -> None:
    replayer = Replayer(
        workflows=[
            *(wf for kind in KINDS.values() for wf in kind.load_workflows()),
            RetentionWorkflow,
        ],
        data_converter=pydantic_data_converter,
    )
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await replayer.replay_workflow(history)
