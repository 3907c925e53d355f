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
        found.update(n for n in names if n.startswith("workflows."))
    return found


def module_name(path: Path) -> str:
    """`workflows.kernel`, `workflows.dispute.events`; a package's `__init__` is the package."""
    parts = path.relative_to(WORKFLOWS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def graph() -> dict[str, set[str]]:
    """Modules and packages alike (a kind's workflow may be a package of modules)."""
    modules = {module_name(p): p for p in WORKFLOWS.rglob("*.py")}
    modules.pop("workflows")
    return {name: imports_of(path) & modules.keys() for name, path in modules.items()}


def test_no_import_cycles_in_workflows() -> None:
    try:
        order = list(TopologicalSorter(graph()).static_order())
    except CycleError as err:
        raise AssertionError(f"an import cycle in workflows/: {err.args[1]}") from err
    assert "workflows.kernel" in order
    assert "workflows.dispute.events" in order  # the packages' modules are in the graph


def test_penalties_do_not_import_the_kernel() -> None:
    assert "workflows.kernel" not in graph()["workflows.penalties"]
