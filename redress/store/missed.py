"""A case's missed deadline, as the projection keeps it: what makes a case overdue in the
queue (`GET /cases?overdue=true`) and the digest after its workflow moved past it.

A workflow drops a deadline from its view once the deadline's alarm has come (a merchant
complaint past `respond_by` goes `overdue` with only `late_until` running; a platform
complaint past `investigate_by` escalates and runs on). So "a deadline of the case has
passed and it is still open" cannot be read from the running deadlines alone. Every kind
alike (nothing here names one): a deadline that left the view in a state made at or after
its instant (the state's newest timeline entry) was missed, not met. The mark is kept in
the row's `data` (`MISSED`, not a field of the view) while the case stays in the status it
had then and open; the case moving on (a late reply, a close) clears it. Not missed: a
penalty's appeal window closing (the merchant's choice, `NOT_OWED`) and the deadlines a
kind's workflow meets itself when they come (`CaseKind.automatic_deadlines`).

The queue's sort key `due_at` is the earlier of the mark and the next running deadline, so
an overdue case sorts, filters and pages by the deadline it missed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from redress import kinds
from redress.models import CaseView

MISSED = "missed_deadline"  # key in the row's `data`: {"name", "at", "status"}
# Deadlines of every kind that nobody owes: a penalty's appeal window (`appeal_by:<id>`,
# workflows/penalties.py `PenaltyAlarm.APPEAL_BY`) closing unappealed.
NOT_OWED = frozenset({"appeal_by"})


def _instant(raw: Any) -> datetime | None:
    try:
        at = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def missed(view: CaseView, is_open: bool, stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """The missed deadline to keep with `view` ({"name", "at", "status"}), given the row
    stored before it (its `data` and `status`), or None."""
    if not is_open or not stored:
        return None
    found: list[tuple[datetime, str]] = []
    kept = stored.get(MISSED)
    if isinstance(kept, dict) and kept.get("status") == view.status:
        at = _instant(kept.get("at"))
        if at is not None:
            found.append((at, str(kept.get("name", ""))))
    made = max((e.at for e in view.timeline), default=None)
    kind = kinds.KINDS.get(view.kind)
    automatic = kind.automatic_deadlines if kind else frozenset()
    if made is not None:
        made = made if made.tzinfo else made.replace(tzinfo=UTC)
        for name, raw in (stored.get("deadlines") or {}).items():
            at = _instant(raw)
            owed = name.partition(":")[0] not in NOT_OWED | automatic
            if owed and name not in view.deadlines and at is not None and at <= made:
                found.append((at, str(name)))
    if not found:
        return None
    at, name = min(found)
    return {"name": name, "at": at.astimezone(UTC).isoformat(), "status": view.status}


def missed_at(data: dict[str, Any] | None) -> tuple[str, datetime] | None:
    """The missed deadline a row's `data` keeps: its name and instant."""
    kept = (data or {}).get(MISSED)
    if not isinstance(kept, dict):
        return None
    at = _instant(kept.get("at"))
    return None if at is None else (str(kept.get("name", "")), at)
