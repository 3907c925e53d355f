"""The queue's orders and its cursor: an opaque, validated token of the last row's sort
key and case ID (base64url JSON `[version, sort, key…, case_id]`), see redress/store/queue.py."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

SORTS = ("next_deadline", "-next_deadline", "created_at", "-created_at", "amount", "-amount")
CURSOR_VERSION = 1


class QueueError(ValueError):
    """A query the store cannot answer as asked (a malformed or foreign cursor)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class _Order:
    keys: tuple[str, ...]  # the sort key's columns, `case_id` after them
    descending: bool = False


ORDERS: dict[str | None, _Order] = {
    None: _Order(("urgency", "due_at")),
    "next_deadline": _Order(("due_at",)),
    "-next_deadline": _Order(("due_at",), descending=True),
    "created_at": _Order(("created_at",)),
    "-created_at": _Order(("created_at",), descending=True),
    "amount": _Order(("amount",)),
    "-amount": _Order(("amount",), descending=True),
}
_TYPES = {"urgency": "int", "due_at": "time", "created_at": "time", "amount": "decimal"}


def as_utc(at: datetime) -> datetime:
    """Aware UTC (SQLite gives stored instants back naive; naive input is taken as UTC)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _encode_key(kind: str, value: Any) -> Any:
    if kind == "time":
        return as_utc(value).isoformat()
    if kind == "decimal":
        return str(Decimal(str(value)))
    return value


def _decode_key(kind: str, value: Any) -> Any:
    if kind == "int" and type(value) is int:
        return value
    if kind == "time" and isinstance(value, str) and len(value) <= 40:
        return as_utc(datetime.fromisoformat(value))
    if kind == "decimal" and isinstance(value, str) and len(value) <= 40:
        amount = Decimal(value)
        if amount.is_finite():
            return amount
    raise ValueError("bad key")


def encode_cursor(sort: str | None, keys: list[Any], case_id: str) -> str:
    order = ORDERS[sort]
    values = [_encode_key(_TYPES[k], v) for k, v in zip(order.keys, keys, strict=True)]
    raw = json.dumps([CURSOR_VERSION, sort or "", *values, case_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str | None) -> tuple[list[Any], str]:
    """The key values and case ID a cursor holds, or `QueueError` (field `cursor`)."""
    order = ORDERS[sort]
    malformed = QueueError("cursor", "malformed cursor: pass the `next_cursor` of a page")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError) as err:
        raise malformed from err
    if not isinstance(data, list) or len(data) < 3 or data[0] != CURSOR_VERSION:
        raise malformed
    if data[1] != (sort or ""):
        made_for = data[1] if data[1] in SORTS else "default"
        raise QueueError("cursor", f"this cursor pages sort={made_for}; ask with the same sort")
    *values, case_id = data[2:]
    if len(values) != len(order.keys) or not isinstance(case_id, str) or len(case_id) > 160:
        raise malformed
    try:
        keys = [_decode_key(_TYPES[k], v) for k, v in zip(order.keys, values, strict=True)]
    except (ValueError, TypeError, InvalidOperation) as err:
        raise malformed from err
    return keys, case_id
