"""docs/rules.md against the code: every rule has a status, every rule that is built (even
partly) has a test marked `@pytest.mark.rule(...)` with it, and every file, function, test
and policy key the page names exists.

The markers are read from the test files' source (`ast`), not from a collection run, so the
check is the same whatever `-k` or file selection this run was started with."""

from __future__ import annotations

import ast
import re
import tomllib
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from redress.policy import Policy

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "rules.md"
TESTS = ROOT / "tests"

RULES = (
    [f"M{n}" for n in range(1, 13)]
    + [f"P{n}" for n in range(1, 11)]
    + [f"C{n}" for n in range(1, 7)]
    + [f"F{n}" for n in range(1, 7)]
)
STATUSES = ("built", "partly built", "not built")
COLUMNS = ("Rule", "What redress does", "Status", "Policy keys", "Enforced by", "Tests")

LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`]+)`")
KEY = re.compile(r"[a-z_]+(?:\.[a-z_]+)*")


@dataclass
class Row:
    rule: str
    status: str
    keys: str
    code: str
    tests: str


@dataclass
class Marks:
    by_rule: dict[str, set[str]] = field(default_factory=dict)  # rule → "path::test"
    unknown: list[str] = field(default_factory=list)  # "path::test: what is wrong"


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def rows() -> list[Row]:
    found: list[Row] = []
    header: list[str] | None = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = _cells(line)
        if header is None:
            header = cells
            continue
        if header[0] != "Rule" or set(cells) <= {"---"}:
            continue
        assert len(cells) == len(COLUMNS), f"{cells[0]}: {len(cells)} cells, want {COLUMNS}"
        rule, _, status, keys, code, tests = cells
        found.append(Row(rule, status, keys, code, tests))
    return found


def _mark_ids(node: ast.expr) -> list[str] | None:
    """The ids of a `pytest.mark.rule(...)` call; None for any other decorator."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr == "rule"):
        return None
    base = func.value
    if not (
        (isinstance(base, ast.Attribute) and base.attr == "mark")
        or (isinstance(base, ast.Name) and base.id == "mark")
    ):
        return None
    return [
        a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else ast.unparse(a)
        for a in node.args
    ]


def _module_marks(tree: ast.Module) -> list[list[str]]:
    marks: list[list[str]] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            value = node.value
            values = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
            marks += [ids for v in values if (ids := _mark_ids(v)) is not None]
    return marks


def markers() -> Marks:
    out = Marks()
    for path in sorted(TESTS.rglob("test_*.py")):
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = _module_marks(tree)
        scopes: list[tuple[list[ast.stmt], list[list[str]]]] = [(tree.body, module)]
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                own = [ids for d in node.decorator_list if (ids := _mark_ids(d)) is not None]
                scopes.append((node.body, module + own))
        for body, inherited in scopes:
            for node in body:
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                own = [ids for d in node.decorator_list if (ids := _mark_ids(d)) is not None]
                for ids in inherited + own:
                    name = f"{rel}::{node.name}"
                    if not ids:
                        out.unknown.append(f"{name}: a rule marker without a rule")
                    for rule in ids:
                        if rule in RULES:
                            out.by_rule.setdefault(rule, set()).add(name)
                        else:
                            out.unknown.append(f"{name}: {rule!r} is not a rule")
    return out


def names_in(path: Path) -> set[str]:
    """Functions, classes, module-level names and `Class.method`s defined in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}.{item.name}")
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def linked(text: str) -> list[tuple[str, str]]:
    """(link text without backticks, target path relative to the repository)."""
    out = []
    for label, target in LINK.findall(text):
        resolved = (DOC.parent / target).resolve()
        out.append((label.strip("`"), resolved.relative_to(ROOT).as_posix()))
    return out


def _model(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        annotation = inner[0] if len(inner) == 1 else annotation
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def policy_key_exists(key: str) -> bool:
    """A shared key (a field of `Policy`) or a kind's (a field of its section's model)."""
    from redress.kinds import policy_sections

    first, _, rest = key.partition(".")
    kinds = {section.name: section.model for section in policy_sections()}
    model: type[BaseModel] | None = Policy
    if first in kinds and rest:
        model, key = kinds[first], rest
    for part in key.split("."):
        if model is None or part not in model.model_fields:
            return False
        model = _model(model.model_fields[part].annotation)
    return True


# --- the page -----------------------------------------------------------------------


def test_every_rule_has_one_row_and_a_status() -> None:
    found = rows()
    assert sorted(r.rule for r in found) == sorted(RULES)
    for row in found:
        assert row.status in STATUSES, f"{row.rule}: status {row.status!r}, want one of {STATUSES}"
        if row.status == "not built":
            assert not LINK.search(row.tests), f"{row.rule} is not built but names tests"


def test_the_rule_marker_is_registered() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    registered = config["tool"]["pytest"]["ini_options"].get("markers", [])
    assert any(m.startswith("rule(") for m in registered)


# --- the tests' markers ---------------------------------------------------------------


def test_every_built_rule_has_a_marked_test() -> None:
    marks = markers()
    bare = [r.rule for r in rows() if r.status != "not built" and not marks.by_rule.get(r.rule)]
    assert bare == [], f"built rules without a @pytest.mark.rule test: {bare}"


def test_markers_name_rules_that_are_built() -> None:
    marks = markers()
    assert marks.unknown == []
    not_built = {r.rule for r in rows() if r.status == "not built"}
    wrong = sorted(f"{t} ({rule})" for rule in not_built for t in marks.by_rule.get(rule, ()))
    assert wrong == [], f"tests marked with rules the page says are not built: {wrong}"


def test_the_tests_a_row_names_carry_its_marker() -> None:
    marks = markers()
    missing = [
        f"{row.rule}: {label}"
        for row in rows()
        for label, _ in linked(row.tests)
        if label not in marks.by_rule.get(row.rule, set())
    ]
    assert missing == [], f"named in docs/rules.md without the row's marker: {missing}"


# --- what the page links to -----------------------------------------------------------


def test_every_link_leads_to_what_it_names() -> None:
    text = DOC.read_text(encoding="utf-8")
    wrong: list[str] = []
    for label, path in linked(text):
        file = ROOT / path
        if not file.exists():
            wrong.append(f"{label}: no file {path}")
            continue
        if "::" not in label:
            continue
        named_path, _, name = label.partition("::")
        if named_path != path:
            wrong.append(f"{label}: links to {path}")
        elif name not in names_in(file):
            wrong.append(f"{label}: {path} defines no {name}")
    assert wrong == []


def test_policy_keys_are_the_policys_own() -> None:
    wrong = [
        f"{row.rule}: {key}"
        for row in rows()
        for key in CODE.findall(row.keys)
        if KEY.fullmatch(key) and not policy_key_exists(key)
    ]
    assert wrong == [], f"not fields of redress.policy.Policy: {wrong}"


@pytest.mark.parametrize("key", ["complaint.handle_within", "platform_complaint.regular.deadline"])
def test_a_policy_key_is_checked_field_by_field(key: str) -> None:
    assert policy_key_exists(key)
    assert not policy_key_exists(key + "_typo")
    assert not policy_key_exists("platform_complaint.deadline")
