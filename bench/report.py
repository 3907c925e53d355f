"""Targets, the printed table, the JSON file and the PNG plot."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from redress.kinds import KINDS


def dig(data: Any, path: str) -> Any:
    """`dig(results, "intake.sustainable_rate")`, or None when any step is missing."""
    for key in path.split("."):
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _num(value: Any) -> float | None:
    if isinstance(value, int | float) and not math.isnan(value):
        return float(value)
    return None


def targets(sc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target as measured ÷ reference, with the bound the ratio must meet."""
    n_open = dig(sc, "open_cases.running_workflows") or dig(sc, "open_cases.open_cases") or 0
    rows = [
        (
            "intake ≥ 0.9 × bare start rate (interleaved)",
            "intake.paired.intake_rate",
            "intake.paired.bare_rate",
            0.9,
            ">=",
        ),
        # Not a target: the same rounds pooled, so a reader sees how much the verdict owes
        # to the choice of statistic on a noisy day.
        (
            "  the same, pooled (all requests ÷ all time)",
            "intake.paired.intake_pooled",
            "intake.paired.bare_pooled",
            None,
            "",
        ),
        # Not a target: bare starts against bare starts (two identical arms of the same
        # rounds). How far this lands from 1 is the resolution of the intake ratio above.
        (
            "  bare arm B ÷ bare arm A (A/A: the spread)",
            "intake.paired.bare_b_rate",
            "intake.paired.bare_a_rate",
            None,
            "",
        ),
        # Every kind's whole case against the same skeleton (issue 21's 0.7).
        *(
            (
                f"{kind} whole cases ≥ 0.7 × skeleton-case rate",
                f"whole.kinds.{kind}.rate",
                "baseline.skeleton_cases.rate",
                0.7,
                ">=",
            )
            for kind in KINDS
        ),
        # Not a target any more: the merchant complaint's row under its earlier bound and
        # name, so results from before the per-kind rows read against it.
        (
            "whole cases ≥ 0.5 × skeleton-case rate",
            "whole.rate",
            "baseline.skeleton_cases.rate",
            None,
            "",
        ),
        ("intake p99 at half rate ≤ 100 ms", "intake.half_rate.p99_ms", 100.0, 1.0, "<="),
        # Not a target: the engine's own p99 at that rate, so a day when the bare engine
        # alone misses 100 ms reads as such.
        (
            "  the same ÷ bare starts' p99 at that rate",
            "intake.half_rate.p99_ms",
            "intake.bare_half_rate.p99_ms",
            None,
            "",
        ),
        (
            f"worker RSS with {n_open:,} open ≤ 400 MB",
            "open_cases.rss_mb.worker.VmRSS",
            400 * 1e6 / 2**20,
            1.0,
            "<=",
        ),
        ("deadline lag p99 ≤ 2 s (store write)", "deadlines.store_lag_s.p99", 2.0, 1.0, "<="),
        (
            f"intake with {n_open:,} open ≥ 0.8 × with 0 open",
            "open_cases.probe_n_open.rate",
            "intake.probe_0_open.rate",
            0.8,
            ">=",
        ),
    ]
    out = []
    for name, measured_path, ref, bound, op in rows:
        measured = _num(dig(sc, measured_path))
        reference = _num(ref) if not isinstance(ref, str) else _num(dig(sc, ref))
        ratio = measured / reference if measured is not None and reference else None
        if bound is None:
            bound_text, verdict = "", "(ref)"
        else:
            ok = None if ratio is None else (ratio >= bound if op == ">=" else ratio <= bound)
            bound_text = f"{op} {bound:g}"
            verdict = "n/a" if ok is None else ("PASS" if ok else "FAIL")
        out.append(
            {
                "target": name,
                "measured": measured,
                "reference": reference,
                "ratio": None if ratio is None else round(ratio, 3),
                "bound": bound_text,
                "verdict": verdict,
            }
        )
    return out


def _f(value: Any, unit: str = "", digits: int = 1) -> str:
    number = _num(value)
    return "—" if number is None else f"{number:,.{digits}f}{unit}"


def figures(sc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(scenario, figure, measured) rows of the table."""

    def v(path: str, unit: str = "", digits: int = 1) -> str:
        return _f(dig(sc, path), unit, digits)

    def pair(a: str, b: str, unit: str, digits: int = 1) -> str:
        return f"{v(a, '', digits)} / {v(b, '', digits)} {unit}"

    c = dig(sc, "baseline.concurrency")
    rss = "open_cases.rss_mb"
    not_sustained = dig(sc, "intake.sustainable.sustained") is False
    rows = [
        ("1", f"bare start_workflow, no-op (C={c})", v("baseline.bare_starts.rate", " /s")),
        (
            "2",
            f"interleaved rounds: bare starts / intake, medians (C={c})",
            pair("intake.paired.bare_rate", "intake.paired.intake_rate", "/s"),
        ),
        (
            "2",
            "  server database operations per start, bare / intake",
            pair("intake.paired.bare_db_ops", "intake.paired.intake_db_ops", "", 2),
        ),
        ("1", f"skeleton case end to end (C={c})", v("baseline.skeleton_cases.rate", " cases/s")),
        (
            "2",
            f"  intake closed loop (C={c}, {dig(sc, 'intake.probe_0_open.open_before')} open "
            "= warm-up only)",
            v("intake.probe_0_open.rate", " /s"),
        ),
        (
            "2",
            "  worker throughput on that probe (to last store write)",
            v("intake.probe_0_open.worker_rate", " cases/s"),
        ),
        (
            "2",
            "API alone: highest rate answered (open loop)",
            v("intake.accept_rate", " /s"),
        ),
        (
            "2",
            f"  intake at half that ({v('intake.accept_half_rate.offered_rate', ' /s')}) p50 / p99",
            pair("intake.accept_half_rate.p50_ms", "intake.accept_half_rate.p99_ms", "ms"),
        ),
        (
            "2",
            "intake highest sustainable rate (answered, worker at pace)",
            v("intake.sustainable_rate", " /s") + (" (not sustained)" if not_sustained else ""),
        ),
        (
            "2",
            "  latency p50 / p99 at that rate",
            pair("intake.sustainable.p50_ms", "intake.sustainable.p99_ms", "ms"),
        ),
        (
            "2",
            f"intake at half rate ({v('intake.half_rate.offered_rate', ' /s')}) p50 / p99",
            pair("intake.half_rate.p50_ms", "intake.half_rate.p99_ms", "ms"),
        ),
        (
            "2",
            "  bare starts at that same rate p50 / p99",
            pair("intake.bare_half_rate.p50_ms", "intake.bare_half_rate.p99_ms", "ms"),
        ),
        ("3", "whole cases (webhook → reply → closed)", v("whole.rate", " cases/s")),
        (
            "3",
            "  cases closed / notices recorded",
            f"{dig(sc, 'whole.closed')} / {dig(sc, 'whole.notices')}",
        ),
        *_whole_kinds(sc),
        (
            "4",
            "open cases (running merchant complaints) / opened here",
            f"{dig(sc, 'open_cases.running_workflows')} / {dig(sc, 'open_cases.projected')}",
        ),
        (
            "4",
            "  worker drain rate while opening them",
            v("open_cases.open_drain_rate", " cases/s"),
        ),
        ("4", "worker RSS now / peak", pair(f"{rss}.worker.VmRSS", f"{rss}.worker.VmHWM", "MiB")),
        (
            "4",
            "dev-server RSS now / peak",
            pair(f"{rss}.temporal.VmRSS", f"{rss}.temporal.VmHWM", "MiB"),
        ),
        ("4", "API RSS now / peak", pair(f"{rss}.api.VmRSS", f"{rss}.api.VmHWM", "MiB")),
        (
            "4",
            "case store / dev-server DB size",
            pair("open_cases.case_store_mb", "open_cases.temporal_db_mb", "MiB"),
        ),
        ("4", f"intake closed loop (C={c}) with N open", v("open_cases.probe_n_open.rate", " /s")),
        (
            "5",
            f"deadline cases penalized (background {v('deadlines.background.offered_rate')}/s)",
            f"{dig(sc, 'deadlines.penalized')} / {dig(sc, 'deadlines.deadline_cases')}",
        ),
        (
            "5",
            "  lag to store write p50 / p99",
            pair("deadlines.store_lag_s.p50", "deadlines.store_lag_s.p99", "s", 2),
        ),
        (
            "5",
            "  lag to penalty imposed_at p50 / p99",
            pair("deadlines.imposed_lag_s.p50", "deadlines.imposed_lag_s.p99", "s", 2),
        ),
    ]
    for name, body in sc.items():
        if isinstance(body, dict) and "error" in body:
            rows.append(("!", f"{name} failed", str(body["error"])[:60]))
    return rows


def _whole_kinds(sc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Rows of every kind's whole case: its rate, then cases closed and notices."""
    rows = []
    for kind in KINDS:
        body = dig(sc, f"whole.kinds.{kind}") or {}
        if "error" in body:
            rows.append(("3", f"  {kind} whole cases", "failed: " + str(body["error"])[:50]))
            continue
        rows.append(
            (
                "3",
                f"  {kind} ({body.get('path', '—')})"[:58],
                _f(body.get("rate"), " cases/s"),
            )
        )
        rows.append(
            (
                "3",
                "    cases closed / notices recorded",
                f"{body.get('closed')} / {body.get('notices')}",
            )
        )
    return rows


def render(results: dict[str, Any]) -> str:
    meta, sc = results["meta"], results["scenarios"]
    lines = [
        f"redress bench · scale {meta['scale']} · {meta['date']} · {meta['nproc']} × "
        f"{meta['cpu']} · Python {meta['python']} · temporalio {meta['temporalio']}",
        f"scenarios ran {meta.get('run_s')} s; cores busy outside the bench's processes "
        f"(py-spy, other jobs) on average: {dig(meta, 'cores_busy.others')}",
        "",
        f"{'#':<2} {'figure':<58} measured",
        f"{'-' * 2} {'-' * 58} {'-' * 26}",
    ]
    lines += [f"{n:<2} {name:<58} {value}" for n, name, value in figures(sc)]
    w = max([46, *(len(t["target"]) for t in results["targets"])])
    lines += [
        "",
        f"{'target':<{w}} {'measured':>10} {'reference':>10} {'ratio':>7} {'bound':>7}  verdict",
        f"{'-' * w} {'-' * 10} {'-' * 10} {'-' * 7} {'-' * 7}  -------",
    ]
    for t in results["targets"]:
        lines.append(
            f"{t['target']:<{w}} {_f(t['measured'], '', 2):>10} {_f(t['reference'], '', 2):>10} "
            f"{_f(t['ratio'], '', 2):>7} {t['bound']:>7}  {t['verdict']}"
        )
    cpu_rows = [
        ("bare starts", "baseline.bare_starts.cpu"),
        ("skeleton cases", "baseline.skeleton_cases.cpu"),
        ("intake probe, 0 open", "intake.probe_0_open.cpu"),
        *((f"whole {kind}", f"whole.kinds.{kind}.cpu") for kind in KINDS),
        ("opening N cases", "open_cases.cpu"),
    ]
    procs = ("bench client", "api", "worker", "temporal", "skeleton-worker")
    lines += [
        "",
        "CPU ms per item (from /proc, incl. the worker catching up where waited for); "
        "'others' = cores busy outside the bench's processes (py-spy, other jobs)",
        f"{'phase':<26}" + "".join(f"{p:>16}" for p in procs) + f"{'others (cores)':>16}",
    ]
    for label, path in cpu_rows:
        per = dig(sc, path + ".ms_per_item") or {}
        others = dig(sc, path + ".cores_busy.others")
        lines.append(
            f"{label:<26}"
            + "".join(f"{_f(per.get(p), '', 2):>16}" for p in procs)
            + f"{_f(others, '', 2):>16}"
        )
    for proc in ("worker", "api"):
        prof = dig(sc, f"whole.profiles.{proc}")
        if not prof:
            continue
        if "error" in prof:
            lines += ["", f"profile {proc}: {prof['error']}"]
            continue
        lines += ["", f"profile {proc} during whole cases ({prof['samples']} samples, py-spy):"]
        lines += [f"  {pct:5.1f}%  {cat}" for cat, pct in prof["categories"].items()]
        lines.append("  top self:")
        lines += [f"  {row['pct']:5.1f}%  {row['function']}" for row in prof["self"][:8]]
    return "\n".join(lines)


def write_json(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=2, default=str))


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sc = results["scenarios"]
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    fig.suptitle(
        f"redress bench · {results['meta']['scale']} · {results['meta']['date']} · "
        f"{results['meta']['nproc']} cores"
    )
    rates = {
        "bare starts": dig(sc, "baseline.bare_starts.rate"),
        "intake 0 open": dig(sc, "intake.probe_0_open.rate"),
        "API alone": dig(sc, "intake.accept_rate"),
        "intake sustained": dig(sc, "intake.sustainable_rate"),
        "intake N open": dig(sc, "open_cases.probe_n_open.rate"),
        "skeleton cases": dig(sc, "baseline.skeleton_cases.rate"),
        **{f"whole {kind}": dig(sc, f"whole.kinds.{kind}.rate") for kind in KINDS},
    }
    ax = axes[0][0]
    ax.bar(list(rates), [_num(v) or 0 for v in rates.values()], color="tab:blue")
    ax.set_title("throughput (per second)")
    ax.tick_params(axis="x", rotation=30)

    def cdf(ax: Any, series: dict[str, str], target: float, unit: str, title: str) -> None:
        for label, path in series.items():
            values = sorted(dig(sc, path) or [])
            if values:
                ax.plot(values, [i / len(values) for i in range(1, len(values) + 1)], label=label)
        ax.axvline(target, color="red", linestyle="--", label=f"{target:g} {unit} target")
        ax.set_title(title)
        ax.legend()

    cdf(
        axes[0][1],
        {
            "at sustainable rate": "intake.latencies_ms.sustainable",
            "at half rate": "intake.latencies_ms.half",
            "at half the API's rate": "intake.latencies_ms.accept_half",
        },
        100,
        "ms",
        "intake latency CDF (ms, open loop)",
    )
    axes[0][1].set_xscale("log")
    cdf(
        axes[1][0],
        {
            "to store write": "deadlines.samples_s.store",
            "to imposed_at": "deadlines.samples_s.imposed",
        },
        2,
        "s",
        "deadline lag CDF (s)",
    )

    ax = axes[1][1]
    mem = {
        "worker": dig(sc, "open_cases.rss_mb.worker.VmRSS"),
        "worker peak": dig(sc, "open_cases.rss_mb.worker.VmHWM"),
        "dev server": dig(sc, "open_cases.rss_mb.temporal.VmRSS"),
        "API": dig(sc, "open_cases.rss_mb.api.VmRSS"),
        "case store": dig(sc, "open_cases.case_store_mb"),
        "server DB": dig(sc, "open_cases.temporal_db_mb"),
    }
    ax.bar(list(mem), [_num(v) or 0 for v in mem.values()], color="tab:green")
    ax.axhline(400 * 1e6 / 2**20, color="red", linestyle="--", label="400 MB worker target")
    ax.set_title(f"memory and files with {dig(sc, 'open_cases.running_workflows')} open (MiB)")
    ax.tick_params(axis="x", rotation=30)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
