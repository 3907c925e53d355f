"""A tiny SVG bar chart, drawn on the server: bars by label (stacked or side by side),
optional threshold lines, a legend. Every text goes through `escape`."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#2f6fb0", "#e07b39", "#3a9e6b", "#b4427a", "#8a6d3b", "#5b5bd6", "#999999")
W, H = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 56


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    note: str = ""


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.2g}%"
    return f"{value:g}"


def bars(
    labels: list[str],
    series: dict[str, list[float]],
    *,
    stacked: bool = True,
    unit: str = "",
    thresholds: list[tuple[float, str]] | None = None,
    top: float | None = None,
    empty: str = "no data",
    notes: list[str] | None = None,
) -> Markup:
    """Bars for each label, one segment (stacked) or one bar (side by side) per series;
    `thresholds`: horizontal lines at a value, labelled in the right margin (never under a
    bar); `top`: the axis' maximum; no labels: the axes and `empty` said in the middle;
    `notes`: a label's note said in its slot instead of bars (a value it has none of)."""
    thresholds = thresholds or []
    # The threshold labels' room, right of the plot: about 6 px a character at 10 px.
    right = RIGHT + max((6 * len(f"{t} {_fmt(v, unit)}") + 6 for v, t in thresholds), default=0)
    names = list(series)
    n = max(len(labels), 1)
    sums = [
        sum(series[s][i] for s in names)
        if stacked
        else max((series[s][i] for s in names), default=0)
        for i in range(len(labels))
    ]
    peak = max([top or 0.0, *sums, *(v for v, _ in thresholds), 0.0]) or 1.0
    plot_w, plot_h = W - LEFT - right, H - TOP - BOTTOM
    slot = plot_w / n
    bar_w = slot * 0.7 / (1 if stacked else max(len(names), 1))

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / peak

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
        f'class="chart" width="100%">',
        f'<line x1="{LEFT}" y1="{y(0):.1f}" x2="{W - right}" y2="{y(0):.1f}" stroke="#444"/>',
        f'<text x="{LEFT - 4}" y="{y(peak) + 4:.1f}" text-anchor="end" font-size="10">'
        f"{escape(_fmt(peak, unit))}</text>",
        f'<text x="{LEFT - 4}" y="{y(0) + 4:.1f}" text-anchor="end" font-size="10">0</text>',
    ]
    for i, label in enumerate(labels):
        x0 = LEFT + slot * i + slot * 0.15
        note = (notes or [])[i] if i < len(notes or []) else ""
        if note:
            parts.append(
                f'<text x="{LEFT + slot * (i + 0.5):.1f}" y="{y(0) - 8:.1f}" '
                f'text-anchor="middle" font-size="10" fill="#666" class="no-value">'
                f"{escape(note)}</text>"
            )
            parts.append(
                f'<text x="{LEFT + slot * (i + 0.5):.1f}" y="{H - BOTTOM + 14}" '
                f'text-anchor="middle" font-size="10">{escape(label)}</text>'
            )
            continue
        base = 0.0
        for j, name in enumerate(names):
            value = series[name][i]
            colour = PALETTE[j % len(PALETTE)]
            x = x0 if stacked else x0 + bar_w * j
            low, high = (base, base + value) if stacked else (0.0, value)
            if value > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y(high):.1f}" width="{bar_w:.1f}" '
                    f'height="{y(low) - y(high):.1f}" fill="{colour}">'
                    f"<title>{escape(label)} · {escape(name)}: {escape(_fmt(value, unit))}</title>"
                    "</rect>"
                )
            base = high if stacked else base
        parts.append(
            f'<text x="{LEFT + slot * (i + 0.5):.1f}" y="{H - BOTTOM + 14}" text-anchor="middle" '
            f'font-size="10">{escape(label)}</text>'
        )
    if not labels:
        parts.append(
            f'<text x="{LEFT + plot_w / 2:.1f}" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
            f'font-size="13" fill="#666" class="empty">{escape(empty)}</text>'
        )
    for value, label in thresholds:
        parts.append(
            f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{W - right}" y2="{y(value):.1f}" '
            'stroke="#c0392b" stroke-dasharray="5 3"/>'
            f'<text x="{W - right + 4}" y="{y(value) + 3:.1f}" text-anchor="start" '
            f'font-size="10" fill="#c0392b" class="threshold">'
            f"{escape(label)} {escape(_fmt(value, unit))}</text>"
        )
    x = LEFT
    for j, name in enumerate(names):
        colour = PALETTE[j % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="{H - 22}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{H - 13}" font-size="11">{escape(name)}</text>'
        )
        x += 22 + 7 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))
