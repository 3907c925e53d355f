"""The modules of `workflows/` import one another in one direction: no cycle, imports
under `TYPE_CHECKING` included (issue 20). A part a kind holds (penalties) depends on a
small protocol of the case, not on the kernel; a kind's actions are its workflow's
methods, not a module that imports the workflow back."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

WORKFLOWS = Path(__file__).resolve().parents[1] / "workflows"


def imports_of(path: Path) -> set[str]:
    """The `workflows.*` modules `path` imports, wherever the import stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n for n in names if n.startswith("workflows.") and n.count(".") == 1)
    return found


def graph() -> dict[str, set[str]]:
    modules = {f"workflows.{p.stem}": p for p in WORKFLOWS.glob("*.py") if p.stem != "__init__"}
    return {name: imports_of(path) & modules.keys() for name, path in modules.items()}


def test_no_import_cycles_in_workflows() -> None:
    try:
        order = list(TopologicalSorter(graph()).static_order())
    except CycleError as err:
        raise AssertionError(f"an import cycle in workflows/: {err.args[1]}") from err
    assert "workflows.kernel" in order


def test_penalties_do_not_import_the_kernel() -> None:
    assert "workflows.kernel" not in graph()["workflows.penalties"]
