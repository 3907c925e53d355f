"""Who works a case: the claim on a case's queue row (`CaseRecord.assignee`), so two
people don't work the same case. People write it (`POST`/`DELETE /cases/{id}/claim`); the
projection never does. Each write is a compare-and-set on the holder read, so of two
people claiming at once one gets it and the other is told who holds it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from redress.store.tables import CaseRecord

_T: Any = CaseRecord.__table__  # type: ignore[attr-defined]

Outcome = Literal["claimed", "released", "held", "closed", "missing", "not_holder"]


@dataclass(frozen=True)
class Claim:
    """What the claim call did, and the claim on the case afterwards (as it stands)."""

    outcome: Outcome
    case_id: str
    assignee: str | None = None
    assignee_name: str | None = None
    claimed_at: datetime | None = None


def _read(conn: Connection, case_id: str, merchants: frozenset[str] | None) -> Any:
    row = conn.execute(
        select(
            _T.c.merchant_id, _T.c.open, _T.c.assignee, _T.c.assignee_name, _T.c.claimed_at
        ).where(_T.c.case_id == case_id)
    ).first()
    if row is None or (merchants is not None and row.merchant_id not in merchants):
        return None  # another merchant's case is no case at all
    return row


def _claim(outcome: Outcome, case_id: str, row: Any) -> Claim:
    at = row.claimed_at
    return Claim(
        outcome,
        case_id,
        row.assignee,
        row.assignee_name,
        at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at,
    )


def _set(
    conn: Connection,
    case_id: str,
    holder: str | None,
    values: dict[str, Any],
) -> bool:
    """Write `values` if the case is still held by `holder` (None: by nobody)."""
    held = _T.c.assignee.is_(None) if holder is None else _T.c.assignee == holder
    done = conn.execute(update(_T).where(_T.c.case_id == case_id, held).values(**values))
    return done.rowcount == 1


def claim_case(
    engine: Engine,
    case_id: str,
    actor: str,
    name: str | None,
    *,
    force: bool = False,
    merchants: frozenset[str] | None = None,
) -> Claim:
    """Claim an open case for `actor`: `held` if someone else holds it (unless `force`),
    `closed` if the case is, `missing` if there is no such case in `merchants`' scope."""
    with engine.begin() as conn:
        row = _read(conn, case_id, merchants)
        if row is None:
            return Claim("missing", case_id)
        if not row.open:
            return _claim("closed", case_id, row)
        if row.assignee not in (None, actor) and not force:
            return _claim("held", case_id, row)
        if row.assignee == actor and row.assignee_name == name:
            return _claim("claimed", case_id, row)  # already the holder: nothing changes
        now = datetime.now(UTC)
        values = {"assignee": actor, "assignee_name": name, "claimed_at": now}
        if not _set(conn, case_id, row.assignee, values):
            row = _read(conn, case_id, merchants)  # someone claimed it meanwhile
            return _claim("held", case_id, row) if row else Claim("missing", case_id)
        return Claim("claimed", case_id, actor, name, now)


def release_case(
    engine: Engine,
    case_id: str,
    actor: str,
    *,
    anyone: bool = False,
    merchants: frozenset[str] | None = None,
) -> Claim:
    """Release the claim: only its holder may, or anyone when `anyone` (a supervisor).
    Releasing a case nobody holds is `released` too (the same state either way)."""
    with engine.begin() as conn:
        row = _read(conn, case_id, merchants)
        if row is None:
            return Claim("missing", case_id)
        if row.assignee is None:
            return Claim("released", case_id)
        if row.assignee != actor and not anyone:
            return _claim("not_holder", case_id, row)
        values = {"assignee": None, "assignee_name": None, "claimed_at": None}
        if not _set(conn, case_id, row.assignee, values):
            row = _read(conn, case_id, merchants)
            return _claim("held", case_id, row) if row else Claim("missing", case_id)
        return Claim("released", case_id)
