"""Error bodies that say what is wrong: `{"detail": "...", "errors": [...]}`."""

from __future__ import annotations

import json

from pydantic import ValidationError


def validation_detail(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:10]:
        where = ".".join(str(p) for p in e["loc"]) or "body"
        parts.append(printable(f"{where}: {e['msg']}"))
    return "; ".join(parts)


def has_lone_surrogates(value: object) -> bool:
    """JSON may escape a lone surrogate (\\ud800) that no UTF-8 store or payload can hold."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def printable(value: object) -> str:
    return str(value).encode("utf-8", "replace").decode("utf-8")
