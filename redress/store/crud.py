"""Reads and writes of the case store, each one short transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, func, or_
from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from redress import kinds
from redress.models import CaseView
from redress.models.case import MissedDeadline
from redress.store.db import INSERT_BY_DIALECT
from redress.store.missed import MISSED, missed, missed_at
from redress.store.tables import (
    NO_DEADLINE,
    REGULAR_URGENCY,
    URGENCY,
    ActionKey,
    AuditEntry,
    CaseLink,
    CaseRecord,
    DeliveryRecord,
    IntakeEvent,
    IntakeRecord,
    NoticeRecord,
)


def _next_deadline(view: CaseView) -> tuple[str | None, datetime | None]:
    """The case's earliest running deadline and its name (`respond_by`…)."""
    if not view.deadlines:
        return None, None
    name = min(view.deadlines, key=lambda n: (view.deadlines[n], n))
    return name, view.deadlines[name]


def upsert_case(engine: Engine, view: CaseView) -> bool:
    """Write the projection unless a later state is already there (retries arrive late,
    and a workflow task lost with a killed worker may have written a state its replay
    never makes): the order is `CaseView.seq`, not `version`.

    The row before is read first (a deadline the case missed, a continued run's earlier
    timeline); then one statement: INSERT … ON CONFLICT DO UPDATE … WHERE the stored seq
    is lower. Whether the row was written. The claim (`assignee`…) is never written here."""
    deadline_name, next_deadline = _next_deadline(view)
    # In UTC: SQLite keeps an instant's wall time and drops its offset.
    next_deadline = next_deadline.astimezone(UTC) if next_deadline else None
    is_open = kinds.is_open(view.kind, view.status)
    # A deadline the case missed (redress/store/missed.py), from the row written before.
    stored = _stored(engine, view.case_id)
    late = missed(view, is_open, stored)
    late_at = datetime.fromisoformat(late["at"]) if late else None
    due_at = min(at for at in (next_deadline, late_at, NO_DEADLINE) if at is not None)
    values: dict[str, Any] = dict(
        case_id=view.case_id,
        workflow_id=view.workflow_id,
        kind=view.kind,
        status=view.status,
        outcome=view.outcome,
        merchant_id=view.merchant_id,
        created_at=view.created_at.astimezone(UTC),
        updated_at=datetime.now(UTC),
        next_deadline=next_deadline,
        next_deadline_name=deadline_name,
        due_at=due_at,
        priority=view.priority,
        urgency=URGENCY.get(view.priority, REGULAR_URGENCY),
        open=is_open,
        amount=view.amount,
        currency=view.currency[:3],
        category=view.category[:64] if view.category else None,
        points=sum(p.points for p in view.penalties if p.state != "revoked"),
        version=view.version,
        seq=view.seq,
        data=view.model_dump(mode="json", exclude={"stalled_since"}),
        stalled_since=None,  # a written state is a case that moved: no longer stalled
    )
    if late:
        values["data"][MISSED] = late
    if view.timeline_from:
        values["data"] = _whole_timeline(values["data"], stored or {})
    table = CaseRecord.__table__  # type: ignore[attr-defined]
    stmt: Any = INSERT_BY_DIALECT[engine.dialect.name](table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.case_id],
        set_={key: stmt.excluded[key] for key in values if key != "case_id"},
        # (seq, version) in order; rows written before `seq` existed hold 0.
        where=or_(
            table.c.seq < stmt.excluded.seq,
            and_(table.c.seq == stmt.excluded.seq, table.c.version < stmt.excluded.version),
        ),
    ).returning(table.c.version)  # a row back only when written (rowcount differs by driver)
    with engine.begin() as conn:
        return conn.execute(stmt).first() is not None


def _stored(engine: Engine, case_id: str) -> dict[str, Any] | None:
    """The case's row as written before (its `data`). Only the case's own workflow writes
    its row, one state change after the other, so reading it first races with nothing."""
    with Session(engine) as session:
        row = session.get(CaseRecord, case_id)
        return dict(row.data) if row else None


def _whole_timeline(data: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """A continued run holds only its timeline's newest entries (`timeline_from` before
    them): put back the earlier ones from the row the earlier runs wrote, so the store
    keeps the case's whole timeline."""
    before = stored.get("timeline", [])
    need = data["timeline_from"] - stored.get("timeline_from", 0)
    prefix = before[:need] if need > 0 else []
    return {
        **data,
        "timeline": [*prefix, *data["timeline"]],
        "timeline_from": data["timeline_from"] - len(prefix),
    }


def get_case(engine: Engine, case_id: str) -> CaseView | None:
    with Session(engine) as session:
        row = session.get(CaseRecord, case_id)
        if row is None:
            return None
        view = CaseView.model_validate(row.data)
        if row.stalled_since is not None:  # the deadline watchdog's mark, not the workflow's
            view.stalled_since = _utc(row.stalled_since)
        late = missed_at(row.data) if row.open else None
        if late is not None:  # the projection's mark: a deadline it missed, still open
            view.missed_deadline = MissedDeadline(name=late[0], at=late[1])
        return view


def _utc(at: datetime) -> datetime:
    """SQLite gives stored UTC instants back naive."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def list_cases(
    engine: Engine,
    *,
    status: str | None = None,
    merchant_id: str | None = None,
    kind: str | None = None,
    merchants: frozenset[str] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[CaseRecord]]:
    """A page of cases, urgent ones first (P4), then newest first; `merchants` (a token's
    scope) limits it to theirs."""
    with Session(engine) as session:
        query = select(CaseRecord)
        count = select(func.count()).select_from(CaseRecord)
        if merchants is not None:
            query = query.where(col(CaseRecord.merchant_id).in_(merchants))
            count = count.where(col(CaseRecord.merchant_id).in_(merchants))
        for column, value in (
            (CaseRecord.status, status),
            (CaseRecord.merchant_id, merchant_id),
            (CaseRecord.kind, kind),
        ):
            if value:
                query = query.where(column == value)
                count = count.where(column == value)
        total = session.exec(count).one()
        rows = session.exec(
            query.order_by(
                (col(CaseRecord.priority) == "urgent").desc(), col(CaseRecord.created_at).desc()
            )
            .offset(offset)
            .limit(limit)
        ).all()
        return int(total), list(rows)


def record_audit(engine: Engine, entry: AuditEntry) -> None:
    with Session(engine) as session:
        session.add(entry)
        session.commit()


def record_audit_once(engine: Engine, entry: AuditEntry) -> bool:
    """Write an entry keyed by `effect_key` unless it is there; whether this call wrote it."""
    values = entry.model_dump(exclude={"id"})
    return _insert_ignore(engine, AuditEntry.__table__, **values)  # type: ignore[attr-defined]


# --- intake ledger, deliveries, action keys ---------------------------------------------


def _insert_ignore(engine: Engine, table: Any, **values: Any) -> bool:
    """Insert unless the key exists; whether this call inserted it."""
    with engine.begin() as conn:
        return _insert_ignore_in(conn, engine, table, values)


def _insert_ignore_in(conn: Any, engine: Engine, table: Any, values: dict[str, Any]) -> bool:
    stmt: Any = INSERT_BY_DIALECT[engine.dialect.name](table).values(**values)
    stmt = stmt.on_conflict_do_nothing().returning(*table.primary_key.columns)
    return conn.execute(stmt).first() is not None


_LEDGER: Any = IntakeRecord.__table__  # type: ignore[attr-defined]
_EVENTS: Any = IntakeEvent.__table__  # type: ignore[attr-defined]
_DELIVERIES: Any = DeliveryRecord.__table__  # type: ignore[attr-defined]
_LINKS: Any = CaseLink.__table__  # type: ignore[attr-defined]
_CASES: Any = CaseRecord.__table__  # type: ignore[attr-defined]
_PURGED: dict[int, datetime] = {}  # engine → when expired deliveries were last deleted


@dataclass(frozen=True)
class Lookup:
    seen: bool  # this very delivery was answered before (a replay)
    known: bool  # the case was opened before (a duplicate, even if Temporal forgot it)
    linked_to: str | None = None  # this complaint was linked to that case before
    open_link: str | None = None  # an open case with the same link key
    event_case: str | None = None  # the provider's event went to this case before


def intake_lookup(
    engine: Engine,
    provider: str,
    delivery: str | None,
    case_id: str,
    link_key: str | None = None,
    event_id: str | None = None,
) -> Lookup:
    """Before a start (or a message to a case), in one round: the delivery, the ledger,
    the links and, for a message, the provider's event."""
    now = datetime.now(UTC)
    with engine.connect() as conn:
        seen = delivery is not None and (
            conn.execute(
                core_select(_DELIVERIES.c.expires_at).where(
                    _DELIVERIES.c.provider == provider,
                    _DELIVERIES.c.delivery == delivery,
                    _DELIVERIES.c.expires_at > now,
                )
            ).first()
            is not None
        )
        known = (
            conn.execute(core_select(_LEDGER.c.case_id).where(_LEDGER.c.case_id == case_id)).first()
            is not None
        )
        # Links exist only for kinds that link (a link key) and reach their events.
        linked_to = None
        if link_key or event_id:
            linked_to = conn.execute(
                core_select(_LINKS.c.target_case_id).where(_LINKS.c.case_id == case_id)
            ).scalar()
        open_link = None
        if link_key and not known and linked_to is None:
            # Not yet projected counts as open: the start was a moment ago.
            open_link = conn.execute(
                core_select(_LEDGER.c.case_id)
                .select_from(_LEDGER.outerjoin(_CASES, _CASES.c.case_id == _LEDGER.c.case_id))
                .where(
                    _LEDGER.c.link_key == link_key,
                    (_CASES.c.status.is_(None)) | (_CASES.c.status != "closed"),
                )
                .order_by(_LEDGER.c.opened_at.desc())
                .limit(1)
            ).scalar()
        event_case = None
        if event_id:
            event_case = conn.execute(
                core_select(_EVENTS.c.case_id).where(
                    _EVENTS.c.provider == provider, _EVENTS.c.event_id == event_id[:200]
                )
            ).scalar()
    return Lookup(seen, known, linked_to, open_link, event_case)


def record_intake(
    engine: Engine,
    *,
    case_id: str,
    kind: str,
    provider: str,
    event_id: str,
    first_run_id: str | None,
    delivery: str | None,
    keep_for: timedelta,
    link_key: str | None = None,
    linked_to: str | None = None,
) -> None:
    """After a start (or a duplicate), in one transaction: the case in the ledger (when a
    run ID says it started) or its link to the open case it joined, the provider's event,
    and the answered delivery."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        if first_run_id is not None:
            ledger = dict(
                case_id=case_id,
                kind=kind,
                source=provider,
                event_id=event_id[:200],
                first_run_id=first_run_id,
                opened_at=now,
                link_key=link_key,
            )
            _insert_ignore_in(conn, engine, _LEDGER, ledger)
        if linked_to is not None:
            link = dict(case_id=case_id, target_case_id=linked_to, at=now)
            _insert_ignore_in(conn, engine, _LINKS, link)
            case_id = linked_to  # the provider's event went there
        if event_id:
            event = dict(provider=provider, event_id=event_id[:200], case_id=case_id, at=now)
            _insert_ignore_in(conn, engine, _EVENTS, event)
        if delivery is not None:
            answered = dict(provider=provider, delivery=delivery[:300], expires_at=now + keep_for)
            _insert_ignore_in(conn, engine, _DELIVERIES, answered)
            # Expired deliveries go at most once a minute, not with every webhook.
            if now - _PURGED.get(id(engine), datetime.min.replace(tzinfo=UTC)) > timedelta(
                minutes=1
            ):
                _PURGED[id(engine)] = now
                conn.execute(_DELIVERIES.delete().where(_DELIVERIES.c.expires_at < now))


def bind_action_key(engine: Engine, case_id: str, key: str, fingerprint: str) -> bool:
    """Bind an Idempotency-Key to its first request; False if it was bound to another."""
    if _insert_ignore(
        engine,
        ActionKey.__table__,  # type: ignore[attr-defined]
        case_id=case_id,
        key=key,
        fingerprint=fingerprint,
        at=datetime.now(UTC),
    ):
        return True
    with Session(engine) as session:
        row = session.get(ActionKey, (case_id, key))
        return row is not None and row.fingerprint == fingerprint


def user_notices(engine: Engine, case_id: str) -> list[dict[str, Any]]:
    """The notices a case sent to its user, oldest first (what the user has received)."""
    table: Any = NoticeRecord.__table__  # type: ignore[attr-defined]
    stmt = (
        core_select(
            table.c.delivered_at, table.c.template, table.c.channel, table.c.subject, table.c.body
        )
        .where(table.c.case_id == case_id, table.c.recipient_kind == "user")
        .order_by(table.c.delivered_at)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [
        {
            "at": r.delivered_at if r.delivered_at.tzinfo else r.delivered_at.replace(tzinfo=UTC),
            "template": r.template,
            "channel": r.channel,
            "subject": r.subject,
            "body": r.body,
        }
        for r in rows
    ]


def record_event(engine: Engine, provider: str, event_id: str, case_id: str) -> bool:
    """A provider's event taken in (or only recorded); whether it was new."""
    return _insert_ignore(
        engine,
        _EVENTS,
        provider=provider,
        event_id=event_id[:200],
        case_id=case_id[:160],
        at=datetime.now(UTC),
    )


R = TypeVar("R", bound=SQLModel)


def record_once(engine: Engine, model: type[R], key: str, build: Callable[[], R]) -> tuple[R, bool]:
    """The row stored under `key`, made by `build` if there is none yet; whether this call
    made it. What a simulated provider keeps per idempotency key: a retry, or a concurrent
    attempt, gets the first row back."""
    with Session(engine, expire_on_commit=False) as session:
        existing = session.get(model, key)
        if existing is not None:
            return existing, False
        row = build()
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # a concurrent attempt got there first
            session.rollback()
            existing = session.get(model, key)
            assert existing is not None
            return existing, False
        return row, True
