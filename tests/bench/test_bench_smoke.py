"""The bench's whole code path at its small scale: every scenario reports figures and the
JSON and PNG files are written. No timing assertions: this machine's speed is not a test."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench.report import dig
from bench.runner import run_bench
from bench.scales import SCALES
from redress.kinds import KINDS

FIGURES = {
    "baseline": ["bare_starts.rate", "skeleton_cases.rate"],
    "intake": [
        "paired.bare_rate",
        "paired.intake_rate",
        "paired.bare_a_rate",
        "paired.bare_b_rate",
        "paired.intake_db_ops",
        "probe_0_open.rate",
        "accept_rate",
        "accept_half_rate.p99_ms",
        "sustainable_rate",
        "half_rate.p99_ms",
    ],
    "whole": ["rate", "closed", "notices"],
    "deadlines": ["store_lag_s.p99", "imposed_lag_s.p99", "penalized"],
    "open_cases": ["rss_mb.worker.VmRSS", "rss_mb.temporal.VmRSS", "probe_n_open.rate"],
}


async def test_bench_small(tmp_path: Path) -> None:
    results = await run_bench(SCALES["small"], tmp_path, log=print)

    scenarios = results["scenarios"]
    for scenario, paths in FIGURES.items():
        assert "error" not in scenarios[scenario], scenarios[scenario]
        for path in paths:
            value = dig(scenarios[scenario], path)
            assert isinstance(value, int | float) and not math.isnan(value), (scenario, path)
            assert value > 0, (scenario, path, value)
    # A whole case of every registered kind, taken to `closed` over HTTP.
    kinds = scenarios["whole"]["kinds"]
    assert set(kinds) == set(KINDS)
    for kind, body in kinds.items():
        assert "error" not in body, (kind, body)
        for path in ("rate", "closed"):
            assert isinstance(body[path], int | float) and body[path] > 0, (kind, path, body)
        assert isinstance(body["notices"], int), (kind, body)
    # Five targets, then one per kind (whole cases ≥ 0.7 × skeleton).
    targets = [t for t in results["targets"] if t["verdict"] != "(ref)"]
    assert len(targets) == 5 + len(KINDS)
    assert all(t["verdict"] in ("PASS", "FAIL") for t in targets)
    for kind in KINDS:
        assert any(t["target"].startswith(f"{kind} whole cases") for t in targets), kind
    # Intake ÷ bare starts pooled; bare arm B ÷ arm A; whole merchant complaints against
    # the earlier 0.5 bound; intake p99 ÷ bare-start p99.
    refs = [t for t in results["targets"] if t["verdict"] == "(ref)"]
    assert len(refs) == 4 and all(t["ratio"] > 0 for t in refs)
    # Every arm ran in every position of the rotation once.
    paired = scenarios["intake"]["paired"]
    for arm in ("bare", "intake"):
        positions = sorted(p["position"] for p in paired[arm])
        assert positions == sorted([0, 1, 2] * (len(paired[arm]) // 3)), (arm, positions)
        # The server's own count: one execution created per start (its metrics are published
        # on an interval, which the meter waits out; a few percent of slack for that).
        for probe in paired[arm]:
            created = probe["db_ops"]["by_operation"]["CreateWorkflowExecution"]
            assert 0.95 <= created <= 1.05, probe["db_ops"]
    assert paired["bare_db_ops"] > 0 and paired["intake_db_ops"] > 0

    written = json.loads((tmp_path / "bench-small.json").read_text())
    assert written["meta"]["scale"] == "small"
    png = tmp_path / "bench-small.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
