"""Error bodies that say what is wrong: `{"detail": "...", "errors": [...]}`."""

from __future__ import annotations

from pydantic import ValidationError


def validation_detail(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:10]:
        where = ".".join(str(p) for p in e["loc"]) or "body"
        parts.append(f"{where}: {e['msg']}")
    return "; ".join(parts)
