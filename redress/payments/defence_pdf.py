"""Antom's defence document: `supplyDefenseDocument` takes `disputeEvidence`, "the dispute
defense document that you prepare for defending the dispute, which is encoded in the
Base64 format" (at most 1,000,000 characters; Antom's own templates, `downloadDisputeEvidence`,
come as PDF or WORD). redress renders the packet as a PDF: a heading (the dispute, its
reason, the amount), then each evidence item under its kind, its file named with its size
and its text in full.

reportlab draws it with its built-in CID fonts, none embedded or downloaded: `STSong-Light`
for Chinese and Latin text, `HYSMyeongJo-Medium` for Korean (Antom's Korean local cards),
`HeiseiMin-W3` for Japanese kana, chosen character by character; `invariant` so the same
packet gives the same bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT, KOREAN, JAPANESE = "STSong-Light", "HYSMyeongJo-Medium", "HeiseiMin-W3"
SIZE, TITLE_SIZE, LEADING = 10, 14, 14
MARGIN = 50

for _name in (FONT, KOREAN, JAPANESE):
    pdfmetrics.registerFont(UnicodeCIDFont(_name))


def _font(ch: str) -> str:
    code = ord(ch)
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return KOREAN
    if 0x3040 <= code <= 0x30FF:
        return JAPANESE
    return FONT


def _runs(line: str) -> list[tuple[str, str]]:
    """`line` as (font, text) runs, each in the font that has its characters."""
    runs: list[tuple[str, str]] = []
    for ch in line:
        # Spaces and ASCII punctuation stay in the run they are in (every font has them).
        neutral = ch.isascii() and not ch.isalnum()
        font = runs[-1][0] if runs and neutral else _font(ch)
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


def _wrapped(text: str, width: float, size: float) -> list[str]:
    """`text` in lines no wider than `width` (character by character: Chinese has no
    spaces to break at), its own line breaks kept."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line, used = "", 0.0
        for ch in paragraph.replace("\t", "    "):
            w = pdfmetrics.stringWidth(ch, _font(ch), size)  # a neutral one: about as wide
            if line and used + w > width:
                lines.append(line)
                line, used = "", 0.0
            line, used = line + ch, used + w
        lines.append(line)
    return lines


class _Pages:
    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.canvas = canvas.Canvas(self.buffer, pagesize=A4, invariant=1)
        self.canvas.setTitle("Dispute defence")
        self.width, self.height = A4
        self.y = self.height - MARGIN

    def line(self, text: str, size: float = SIZE) -> None:
        if self.y < MARGIN:
            self.canvas.showPage()
            self.y = self.height - MARGIN
        line = self.canvas.beginText(MARGIN, self.y)  # one text object: read back as one line
        for font, run in _runs(text):
            line.setFont(font, size)
            line.textOut(run)
        self.canvas.drawText(line)
        self.y -= LEADING if size <= SIZE else LEADING + 6

    def text(self, text: str) -> None:
        for line in _wrapped(text, self.width - 2 * MARGIN, SIZE):
            self.line(line)

    def done(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def render(heading: dict[str, str], items: Sequence[Any]) -> bytes:
    """The packet as a PDF: `heading` (label → value) first, then every item (its `kind`,
    `ref` and `bytes`, `text`) in order."""
    pages = _Pages()
    pages.line("Dispute defence / 争议抗辩材料", TITLE_SIZE)
    for label, value in heading.items():
        pages.text(f"{label}: {value}")
    pages.line("")
    for n, item in enumerate(items, 1):
        pages.line(f"{n}. {item.kind}", SIZE + 2)
        if item.ref:
            size = f", {item.bytes:,} bytes" if item.bytes else ""
            pages.text(f"File: {item.ref}{size}")
        if item.text:
            pages.text(item.text)
        pages.line("")
    return pages.done()
