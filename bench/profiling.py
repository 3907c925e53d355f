"""Sampling profiles with py-spy: record a process while a scenario runs, then summarise.

Shares are of samples taken while the process ran Python code (held the GIL).

py-spy writes collapsed stacks ("frame;frame;frame count"); we keep that file (speedscope
and flamegraph.pl read it), draw a small SVG flame graph from it, and list the top costs.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import zlib
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

# Where the time goes, by library: share of samples with any frame from these paths.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "workflow sandbox + workflow code": ("temporalio/worker/workflow_sandbox", "workflows/"),
    "temporalio (all)": ("temporalio/",),
    "pydantic (validate/serialize)": ("pydantic/", "pydantic_core/"),
    "sqlalchemy + sqlite (case store)": ("sqlalchemy/", "sqlmodel/", "sqlite3/"),
    "jinja2 (notices)": ("jinja2/",),
    "logging (structlog + redaction)": ("structlog/", "redress/logs.py", "logging/"),
    "fastapi + starlette + uvicorn + h11": ("fastapi/", "starlette/", "uvicorn/", "h11/"),
    "webhook signing": ("redress/api/signing.py",),
    "policy snapshot (calendar, holidays)": ("redress/calendar.py", "holidays/"),
    "asyncio event loop": ("asyncio/",),
}


def _short(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/", "/work/main/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _label(frame: str) -> tuple[str, str]:
    """(function label without line, short file) of one py-spy frame."""
    m = _FRAME.match(frame)
    if not m:
        return frame, ""
    short = _short(m["file"])
    return f"{m['func']} ({short})", short


@dataclass
class Sampler:
    """`py-spy record --pid` until stopped (SIGINT makes py-spy write its file)."""

    name: str
    pid: int
    out_dir: Path
    rate: int = 100
    proc: subprocess.Popen[bytes] | None = None
    error: str | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.out_dir / f"{self.name}-py-spy.log"

    @property
    def folded(self) -> Path:
        return self.out_dir / f"{self.name}.folded.txt"

    def start(self) -> None:
        exe = Path(sys.executable).parent / "py-spy"
        binary = str(exe) if exe.exists() else shutil.which("py-spy")
        if not binary:
            self.error = "py-spy is not installed"
            return
        # --gil: only threads holding the GIL, i.e. Python actually running (idle pool
        # threads blocked on a queue would otherwise fill the profile).
        args = [binary, "record", "--pid", str(self.pid), "--rate", str(self.rate), "--gil"]
        args += ["--format", "raw", "--full-filenames", "-o", str(self.folded)]
        with self.log.open("wb") as fh:
            self.proc = subprocess.Popen(
                args, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self) -> dict[str, Any]:
        if self.proc is None:
            return {"error": self.error or "not started"}
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if not self.folded.exists() or self.folded.stat().st_size == 0:
            return {"error": f"py-spy wrote nothing: {self.log.read_text(errors='replace')[-400:]}"}
        stacks = read_folded(self.folded)
        svg = self.out_dir / f"{self.name}.svg"
        svg.write_text(flame_svg(stacks, f"{self.name}: py-spy, {sum(stacks.values())} samples"))
        return {**summarize(stacks), "folded": str(self.folded), "svg": str(svg)}


def read_folded(path: Path) -> Counter[tuple[str, ...]]:
    stacks: Counter[tuple[str, ...]] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks[tuple(frames.split(";"))] += int(count)
    return stacks


def summarize(stacks: Counter[tuple[str, ...]], top: int = 15) -> dict[str, Any]:
    """Top functions by self and by inclusive samples, and shares per library."""
    total = sum(stacks.values()) or 1
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    cats: Counter[str] = Counter()
    for frames, n in stacks.items():
        labels = [_label(f) for f in frames]
        own[labels[-1][0]] += n
        for name in {label for label, _ in labels}:
            incl[name] += n
        text = ";".join(frames)
        for cat, needles in CATEGORIES.items():
            if any(needle in text for needle in needles):
                cats[cat] += n

    def share(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {"function": k, "samples": v, "pct": round(100 * v / total, 1)}
            for k, v in counter.most_common(top)
        ]

    return {
        "samples": total,
        "self": share(own),
        "inclusive": share(incl),
        "categories": {k: round(100 * v / total, 1) for k, v in cats.most_common()},
    }


def flame_svg(stacks: Counter[tuple[str, ...]], title: str, width: int = 1600) -> str:
    """A static flame graph (root at the bottom); hover a box for its name and share."""
    tree: dict[str, Any] = {"n": 0, "kids": {}}
    for frames, n in stacks.items():
        node = tree
        node["n"] += n
        for frame in frames:
            node = node["kids"].setdefault(_label(frame)[0], {"n": 0, "kids": {}})
            node["n"] += n
    total = tree["n"] or 1
    row, rects = 16, []
    depth_max = [0]

    def walk(node: dict[str, Any], x: float, depth: int) -> None:
        for name, kid in sorted(node["kids"].items()):
            w = kid["n"] / total * width
            if w >= 0.5:
                depth_max[0] = max(depth_max[0], depth)
                rects.append((x, depth, w, name, kid["n"]))
                walk(kid, x, depth + 1)
            x += w

    walk(tree, 0.0, 0)
    height = (depth_max[0] + 3) * row
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="monospace" font-size="11">',
        f'<text x="4" y="12">{escape(title)}</text>',
    ]
    for x, depth, w, name, n in rects:
        y = height - (depth + 1) * row
        hue = zlib.crc32(name.encode()) % 60
        label = escape(name)
        text = label[: int(w / 7)] if w > 30 else ""
        parts.append(
            f"<g><title>{label} — {n} samples, {100 * n / total:.1f}%</title>"
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" '
            f'fill="hsl({hue},80%,60%)"/><text x="{x + 2:.1f}" y="{y + 11}">{text}</text></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
