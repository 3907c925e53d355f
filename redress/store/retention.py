"""The retention purge (C1): closed cases past the policy's retention go, with the shared
records kept per case and the rows of each kind's own tables, as the kind declares them
(its tables module's `RETENTION`, loaded through the registry)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from redress.store.tables import (
    ActionKey,
    AuditEntry,
    CaseLink,
    CaseRecord,
    DeadlineAlert,
    IntakeEvent,
    IntakeRecord,
    NoticeRecord,
    RefundRecord,
)


@dataclass(frozen=True)
class Purge:
    """How the retention purge (C1) clears one of a kind's tables: the rows of the closed
    cases it purges (`column` holds their case ID), or, with `aged`, the rows whose time
    `column` is older than the cutoff. `count_as`: the `PurgeResult` count it adds to."""

    table: Any  # a SQLModel table class
    column: str = "case_id"
    aged: bool = False
    count_as: str | None = None


def purge_closed_before(
    engine: Engine, cutoff: datetime, kind_tables: Sequence[Purge] = ()
) -> dict[str, int]:
    """Delete closed cases last touched before `cutoff`, with their refunds, notices and
    audit entries, and the kinds' own rows (`kind_tables`, from the registry: each kind's
    `tables`). Open cases are never purged, however old."""
    with Session(engine) as session:
        ids = list(
            session.exec(
                select(CaseRecord.case_id).where(
                    CaseRecord.status == "closed", col(CaseRecord.updated_at) < cutoff
                )
            ).all()
        )
        counts = dict.fromkeys(("refunds", "notices", "audit_entries", "intake_entries"), 0)
        counts["cases"] = len(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for table, key in (
                (RefundRecord, "refunds"),
                (NoticeRecord, "notices"),
                (AuditEntry, "audit_entries"),
                (IntakeRecord, "intake_entries"),
                (IntakeEvent, "intake_entries"),
                (ActionKey, "intake_entries"),
                (DeadlineAlert, "audit_entries"),  # the watchdog's alerts go with their case
            ):
                res = session.exec(delete(table).where(col(table.case_id).in_(chunk)))  # type: ignore[call-overload]
                counts[key] += res.rowcount or 0
            res = session.exec(delete(CaseLink).where(col(CaseLink.target_case_id).in_(chunk)))  # type: ignore[call-overload]
            counts["intake_entries"] += res.rowcount or 0
            for purge in (p for p in kind_tables if not p.aged):
                column = col(getattr(purge.table, purge.column))
                res = session.exec(delete(purge.table).where(column.in_(chunk)))  # type: ignore[call-overload]
                if purge.count_as:
                    counts[purge.count_as] += res.rowcount or 0
            session.exec(delete(CaseRecord).where(col(CaseRecord.case_id).in_(chunk)))  # type: ignore[call-overload]
        for purge in (p for p in kind_tables if p.aged):
            column = col(getattr(purge.table, purge.column))
            res = session.exec(delete(purge.table).where(column < cutoff))  # type: ignore[call-overload]
            if purge.count_as:
                counts[purge.count_as] += res.rowcount or 0
        session.commit()
        return counts
