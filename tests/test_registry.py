"""The registry carries the kinds (issue 20): no shared module imports a kind's module or
names a kind, and what the providers and the API ask of a kind, its entry answers."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from redress.api.cases import moves_money
from redress.kinds import KINDS, by_provider_event
from redress.models.case import Role

ROOT = Path(__file__).resolve().parents[1]

# The shared code: the kernel, outputs, penalties, API, intake, store, policy loading,
# providers' common code, worker, CLI and the replay test.
SHARED = [
    *sorted((ROOT / "redress" / "api").glob("*.py")),
    *sorted((ROOT / "redress" / "console").glob("*.py")),
    # the store, its migrations' environment included (the revisions are a kind's branch)
    *sorted(p for p in (ROOT / "redress" / "store").rglob("*.py") if "versions" not in p.parts),
    ROOT / "redress" / "intake.py",
    ROOT / "redress" / "policy.py",
    ROOT / "redress" / "search_attributes.py",
    ROOT / "redress" / "providers" / "__init__.py",
    ROOT / "workflows" / "kernel.py",
    ROOT / "workflows" / "action_path.py",
    ROOT / "workflows" / "signal_path.py",
    ROOT / "workflows" / "refunds.py",
    ROOT / "workflows" / "retry.py",
    ROOT / "workflows" / "outputs.py",
    ROOT / "workflows" / "penalties.py",
    ROOT / "worker.py",
    *sorted((ROOT / "redress" / "cli").glob("*.py")),
    ROOT / "redress" / "digest.py",
    ROOT / "activities" / "digest.py",
    ROOT / "workflows" / "digest.py",
    ROOT / "redress" / "stack.py",
    ROOT / "tests" / "replay" / "test_replay.py",
    ROOT / "tests" / "replay" / "record.py",
]

KIND_MODULES = {
    "redress.models.complaint",
    "redress.models.platform_complaint",
    "redress.models.platform_intake",
    "redress.models.platform_actions",
    "redress.models.platform_tables",
    "redress.models.dispute_tables",
    "redress.models.dispute_texts",
    "redress.models.dispute",
    "redress.models.dispute_samples",
    "redress.models.dispute_verdicts",
    "workflows.complaint",
    "workflows.platform_complaint",
    "workflows.dispute",
    "activities.disputes",
    "activities.verification",
}


def kind_names() -> set[str]:
    """Names, prefixes and policy sections; a role's name (`platform`) is not a kind's."""
    names = {n for k in KINDS.values() for n in (k.name, k.prefix, k.policy.name)}
    return names - set(get_args(Role))


def kind_modules() -> set[str]:
    loaded = {k.workflow.partition(":")[0] for k in KINDS.values()}
    loaded |= {k.input.__module__ for k in KINDS.values()}
    loaded |= {k.open.__module__ for k in KINDS.values()}
    loaded |= {k.activities.partition(":")[0] for k in KINDS.values() if k.activities}
    loaded |= {k.tables for k in KINDS.values() if k.tables}
    return loaded | KIND_MODULES


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names, modules, found = kind_names(), kind_modules(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        else:
            imported = []
        line = getattr(node, "lineno", 0)
        # a kind's module, or one of a kind's package (`workflows.dispute.state`)
        hits = [m for m in imported if any(m == k or m.startswith(f"{k}.") for k in modules)]
        found += [f"line {line}: imports {hits[0]}"] if hits else []
        if isinstance(node, ast.Constant) and node.value in names:
            found.append(f"line {line}: names the kind {node.value!r}")
    return found


@pytest.mark.parametrize("path", SHARED, ids=[str(p.relative_to(ROOT)) for p in SHARED])
def test_no_shared_module_imports_or_names_a_kind(path: Path) -> None:
    assert offences(path) == []


def test_the_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        'from redress.models import dispute\nimport workflows.complaint\nK = "dispute"\n'
        "from workflows.dispute.state import DisputeState\n"
    )
    assert len(offences(bad)) == 4


def test_providers_ask_the_registry_for_the_kind() -> None:
    from redress.providers.antom import STAGES

    assert by_provider_event("stripe", "charge.dispute.created") is not None
    assert by_provider_event("stripe", "charge.refunded") is None
    assert by_provider_event("generic", "charge.dispute.created") is None
    taken = {t for k in KINDS.values() for t in k.provider_events.get("antom", ())}
    assert taken == set(STAGES)  # Antom's mapping covers exactly what the kinds take


def test_money_moving_actions_are_the_kinds_own() -> None:
    """The kind's action models declare what moves money; the API reads that declaration."""
    complaint = f"{KINDS['merchant_complaint'].prefix}-generic-1"
    platform = f"{KINDS['platform_complaint'].prefix}-generic-1"
    assert moves_money(complaint, {"type": "refund", "amount": "1"})
    assert not moves_money(complaint, {"type": "reply", "message": "on its way"})
    assert not moves_money(complaint, {"type": 3})
    upheld = {"type": "conclude", "upheld": True, "basis": "b"}
    assert moves_money(platform, {**upheld, "compensation": {"refund": "2.00"}})
    assert not moves_money(platform, {**upheld, "compensation": {"points": 5}})


def test_every_kind_has_its_section_tables_and_scenarios() -> None:
    from redress.policy import load_policy

    policy = load_policy("default")
    for kind in KINDS.values():
        assert kind.policy.name in policy.sections
        assert kind.load_replay_scenarios(), f"{kind.name}: no replay scenarios"


def test_a_kinds_tables_are_its_own_and_loaded_through_the_registry() -> None:
    """A kind's tables live in its tables module (the entry's `tables`), on the shared
    metadata, with their retention; the shared tables module holds none of them."""
    from sqlmodel import SQLModel

    from redress.kinds import load_tables
    from redress.store import tables as shared

    load_tables()
    for kind in KINDS.values():
        for purge in kind.load_retention():
            assert purge.table.__table__.name in SQLModel.metadata.tables
    owned = {
        p.table.__module__: p.table.__tablename__
        for k in KINDS.values()
        for p in k.load_retention()
        if p.table.__module__ == k.tables
    }
    assert owned and shared.__name__ not in owned
