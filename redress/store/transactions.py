"""A transaction's records (C1): the dispute-defence material kept per transaction before
any dispute exists, which a dispute's evidence packet takes in."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from redress.policy import LimitsPolicy
from redress.store.tables import TransactionRecord


class RecordTooLarge(ValueError):
    """A transaction record would exceed a policy limit; the message names the field, the
    limit and by how much. Nothing was written."""


def text_digest(text: str) -> str:
    """How a dispute refers to a text kept in the store: its content, so a record edited
    between gathering and submission never submits a text it did not size."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _size(value: Any) -> int:
    return len(json.dumps(value, sort_keys=True, default=str, ensure_ascii=False).encode())


def check_record(row: TransactionRecord, added: list[dict[str, Any]], limits: LimitsPolicy) -> None:
    """The record as it would be stored, against `limits`: each added item's text, the
    number of items, and the whole record's UTF-8 JSON size."""
    for n, item in enumerate(added):
        size = len((item.get("text") or "").encode("utf-8"))
        if size > limits.evidence_text_bytes:
            raise RecordTooLarge(
                f"evidence[{n}].text is {size:,} bytes, {size - limits.evidence_text_bytes:,} "
                f"over the {limits.evidence_text_bytes:,}-byte limit (limits.evidence_text_bytes)"
            )
    count = len(row.evidence)
    if count > limits.transaction_items:
        raise RecordTooLarge(
            f"evidence: the record would hold {count} items, {count - limits.transaction_items} "
            f"over the {limits.transaction_items}-item limit (limits.transaction_items); "
            "replace or remove some first"
        )
    total = _size(row.model_dump())
    if total > limits.transaction_bytes:
        raise RecordTooLarge(
            f"the transaction record would be {total:,} bytes, "
            f"{total - limits.transaction_bytes:,} over the {limits.transaction_bytes:,}-byte "
            "limit (limits.transaction_bytes); replace or remove evidence first"
        )


def transaction_evidence(
    engine: Engine, merchant_id: str, transaction_id: str
) -> list[dict[str, Any]]:
    """The evidence items stored with a transaction, marked as coming from its records."""
    with Session(engine) as session:
        row = session.get(TransactionRecord, (merchant_id, transaction_id))
    if row is None:
        return []
    items = [{**item, "source": item.get("source", "transaction")} for item in row.evidence]
    kinds = {item.get("kind") for item in items}
    # The record's own fields, as the evidence they are (unless given as items already).
    if row.shipped_at and "shipping_date" not in kinds:
        shipped = row.shipped_at.date().isoformat()
        items.append({"kind": "shipping_date", "text": shipped, "source": "transaction"})
    facts = [
        f"order {row.order_id}" if row.order_id else "",
        f"authorization {row.authorization}" if row.authorization else "",
        f"captured {row.captured_at.isoformat()}" if row.captured_at else "",
        f"shipped {row.shipped_at.isoformat()}" if row.shipped_at else "",
    ]
    if any(facts):
        # A statement, so a text field (Stripe's `receipt` takes a File ID, never text).
        text = f"Transaction {transaction_id}: " + "; ".join(f for f in facts if f)
        items.append({"kind": "uncategorized_text", "text": text, "source": "transaction"})
    return items


def record_transaction(
    engine: Engine,
    merchant_id: str,
    transaction_id: str,
    items: list[dict[str, Any]],
    *,
    limits: LimitsPolicy | None = None,
    replace: bool = False,
    **fields: Any,
) -> TransactionRecord:
    """Create or extend a transaction's records: the fields given, and evidence items
    added unless the same kind and reference (or text) is there already; with `replace`,
    `items` become the whole evidence. Over `limits`: `RecordTooLarge`, nothing written."""
    now = datetime.now(UTC)
    with Session(engine) as session:
        row = session.get(TransactionRecord, (merchant_id, transaction_id))
        if row is None:
            row = TransactionRecord(
                merchant_id=merchant_id,
                transaction_id=transaction_id,
                evidence=[],
                recorded_at=now,
                updated_at=now,
            )
        for key, value in fields.items():
            if value is not None:
                setattr(row, key, value)
        kept = [] if replace else row.evidence
        have = {(e.get("kind"), e.get("ref"), e.get("text")) for e in kept}
        added: list[dict[str, Any]] = []
        for i in items:
            if (i.get("kind"), i.get("ref"), i.get("text")) not in have:
                have.add((i.get("kind"), i.get("ref"), i.get("text")))
                added.append(i)
        row.evidence = [*kept, *added]  # a new list: JSON columns track assignment
        row.updated_at = now
        if limits is not None:
            check_record(row, added, limits)  # raises before the commit: nothing written
        session.add(row)
        session.commit()
        session.refresh(row)
        return row


def remove_evidence(
    engine: Engine, merchant_id: str, transaction_id: str, kind: str, ref: str | None
) -> tuple[TransactionRecord | None, int]:
    """Remove a transaction's evidence items of `kind` (only the one with `ref`, if given):
    the record and how many went, or (None, 0) with no such record."""
    with Session(engine) as session:
        row = session.get(TransactionRecord, (merchant_id, transaction_id))
        if row is None:
            return None, 0

        def hit(e: dict[str, Any]) -> bool:
            return e.get("kind") == kind and (ref is None or e.get("ref") == ref)

        kept = [e for e in row.evidence if not hit(e)]
        removed = len(row.evidence) - len(kept)
        if removed:
            row.evidence = kept
            row.updated_at = datetime.now(UTC)
            session.add(row)
            session.commit()
            session.refresh(row)
        return row, removed
