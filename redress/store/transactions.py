"""A transaction's records (C1): the dispute-defence material kept per transaction before
any dispute exists, which a dispute's evidence packet takes in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from redress.store.tables import TransactionRecord


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
    if any(facts) and "receipt" not in kinds:
        text = f"Transaction {transaction_id}: " + "; ".join(f for f in facts if f)
        items.append({"kind": "receipt", "text": text, "source": "transaction"})
    return items


def record_transaction(
    engine: Engine,
    merchant_id: str,
    transaction_id: str,
    items: list[dict[str, Any]],
    **fields: Any,
) -> TransactionRecord:
    """Create or extend a transaction's records: the fields given, and evidence items
    added unless the same kind and reference (or text) is there already."""
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
        have = {(e.get("kind"), e.get("ref"), e.get("text")) for e in row.evidence}
        added = [i for i in items if (i.get("kind"), i.get("ref"), i.get("text")) not in have]
        row.evidence = [*row.evidence, *added]  # a new list: JSON columns track assignment
        row.updated_at = now
        session.add(row)
        session.commit()
        session.refresh(row)
        return row
