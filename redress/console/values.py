"""A case's values as people read them on a page: a dict as a small definition list, a
list of dicts as a table, other lists one item a line, None as —; never Python's repr."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

MAX_DEPTH = 6  # deeper than this a value is shown as text
INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
NO_NAMES: Mapping[str, str] = {}


def stamp(at: datetime | None) -> str:
    """An instant in UTC, whatever offset it carries (a +08:00 time is shown converted)."""
    if at is None:
        return "—"
    aware = at if at.tzinfo else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _leaf(value: Any) -> Markup:
    if value is None or value == "":
        return Markup("—")
    if isinstance(value, bool):
        return Markup("✓" if value else "✗")
    if isinstance(value, datetime):
        return escape(stamp(value))
    if isinstance(value, str) and INSTANT.match(value):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return escape(value)
        if at.tzinfo is not None:  # an instant with its offset: shown in UTC like the rest
            return escape(stamp(at))
    return escape(str(value))


def shown(value: Any, names: Mapping[str, str] = NO_NAMES, depth: int = 0) -> Markup:
    """`value` as HTML: escaped, nested dicts and lists laid out, keys by `names`."""
    if depth >= MAX_DEPTH:
        return escape(str(value))
    if isinstance(value, dict):
        if not value:
            return Markup("—")
        rows = Markup("").join(
            Markup("<dt>{}</dt><dd>{}</dd>").format(names.get(k, k), shown(v, names, depth + 1))
            for k, v in value.items()
        )
        return Markup('<dl class="nested">{}</dl>').format(rows)
    if isinstance(value, list | tuple):
        if not value:
            return Markup("—")
        if all(isinstance(v, dict) for v in value):
            keys: list[str] = []
            for v in value:
                keys += [k for k in v if k not in keys]
            head = Markup("").join(Markup("<th>{}</th>").format(names.get(k, k)) for k in keys)
            body = Markup("").join(
                Markup("<tr>{}</tr>").format(
                    Markup("").join(
                        Markup("<td>{}</td>").format(shown(v.get(k), names, depth + 1))
                        for k in keys
                    )
                )
                for v in value
            )
            return Markup(
                '<table class="nested"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
            ).format(head, body)
        return Markup("<br>").join(shown(v, names, depth + 1) for v in value)
    return _leaf(value)
