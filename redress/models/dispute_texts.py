"""What a dispute holds of the evidence texts: references and sizes, never the texts. A
transaction record's texts are referred to as `txn:<digest>`, the reviewers' own (kept in
`case_evidence_texts`) as `case:<digest>`; both are read back when the defence goes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from redress.models.dispute_tables import CaseEvidenceText
from redress.store.transactions import text_digest, transaction_evidence


def evidence_refs(engine: Engine, merchant_id: str, transaction_id: str) -> list[dict[str, Any]]:
    """The transaction's evidence as a dispute holds it: each item's kind, file reference
    and sizes, its text replaced by `stored` (`txn:<digest>`), bounded by the record's
    own limits whatever the texts are."""
    out = []
    for item in transaction_evidence(engine, merchant_id, transaction_id):
        text = item.pop("text", None)
        if text:
            item["stored"] = f"txn:{text_digest(text)}"
            item["text_bytes"] = len(text.encode("utf-8"))
            item["text_chars"] = len(text)
        out.append(item)
    return out


def transaction_texts(
    engine: Engine, merchant_id: str, transaction_id: str | None
) -> dict[str, str]:
    """`txn:<digest>` → text, of the transaction's evidence as it stands now."""
    if not transaction_id:
        return {}
    items = transaction_evidence(engine, merchant_id, transaction_id)
    return {f"txn:{text_digest(i['text'])}": i["text"] for i in items if i.get("text")}


def store_case_texts(engine: Engine, case_id: str, texts: list[str]) -> list[str]:
    """Keep a case's evidence texts (once each, by digest); their `case:<digest>` refs."""
    now = datetime.now(UTC)
    refs = []
    with Session(engine) as session:
        for text in texts:
            digest = text_digest(text)
            if session.get(CaseEvidenceText, (case_id, digest)) is None:
                row = CaseEvidenceText(case_id=case_id, digest=digest, text=text, stored_at=now)
                session.add(row)
                session.flush()
            refs.append(f"case:{digest}")
        session.commit()
    return refs


def case_texts(engine: Engine, case_id: str, refs: list[str]) -> dict[str, str]:
    """`case:<digest>` → text, for the refs given."""
    digests = [r.removeprefix("case:") for r in refs if r.startswith("case:")]
    if not digests:
        return {}
    with Session(engine) as session:
        rows = session.exec(
            select(CaseEvidenceText).where(
                CaseEvidenceText.case_id == case_id, col(CaseEvidenceText.digest).in_(digests)
            )
        ).all()
        return {f"case:{r.digest}": r.text for r in rows}
