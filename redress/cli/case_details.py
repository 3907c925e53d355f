"""How `redress cases show` prints what a case's view holds beyond the common fields: its
kind's `details` and its `packet`, whatever the kind (nested mappings flattened to dotted
names), and every instant in UTC (`2026-12-06 13:44:33Z`), whatever offset a provider gave."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def utc(value: str) -> str:
    """An ISO 8601 instant with an offset, to the second in UTC; any other text as it is."""
    if not _INSTANT.match(value):
        return value
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def in_utc(value: Any) -> Any:
    """A JSON value with every instant in it shown in UTC."""
    if isinstance(value, str):
        return utc(value)
    if isinstance(value, dict):
        return {k: in_utc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [in_utc(v) for v in value]
    return value


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return utc(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_scalar(v)}" for k, v in value.items()) or "-"
    if isinstance(value, list):
        return "; ".join(_scalar(v) for v in value) or "-"
    return json.dumps(value, ensure_ascii=False)


def flattened(value: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted name, shown value) for every leaf of a mapping: `moved.JPY.deducted`; a
    list shown on one line (a list of mappings as `k=v, …; k=v, …`)."""
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and item:
            yield from flattened(item, f"{name}.")
        else:
            yield name, _scalar(item)
