"""The queue (redress/store/queue.py) on SQLite and PostgreSQL: filters, sorts, keyset
pages that stay right while cases change, refusals, and the projection's columns."""

from __future__ import annotations

import random
from datetime import timedelta as td
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from redress import digest
from redress.kinds import KINDS
from redress.models.case import TimelineEvent
from redress.policy import DigestPolicy
from redress.store import crud
from redress.store.claims import claim_case, release_case
from redress.store.queue import SORTS, QueueError, QueueQuery, encode_cursor, queue_page
from tests.queue_support import KIND_NAMES, NOW, every_page, ids, project, view
from workflows.dispute.state import DisputeAlarm

H = td(hours=1)


def _mixed(engine: Engine, n: int = 40, seed: int = 7) -> list[dict[str, Any]]:
    """`n` cases of every kind and merchant, some urgent, closed, undated, tied; each
    case's facts as the test expects them sorted."""
    rnd = random.Random(seed)
    facts: list[dict[str, Any]] = []
    for i in range(n):
        kind = KIND_NAMES[i % len(KIND_NAMES)]
        closed = i % 5 == 0
        due = None if closed or i % 7 == 0 else rnd.choice([-3, -1, 2, 2, 5, 9]) * H
        facts.append(
            dict(
                case_id=f"c{i:03d}",
                kind=kind,
                closed=closed,
                urgent=i % 6 == 1,
                due=due,
                created=-rnd.choice([1, 2, 2, 30, 50]) * H,
                amount=Decimal(rnd.choice(["5.00", "10.50", "10.50", "999.99", "0.01"])),
                merchant=f"M{i % 3}",
            )
        )
    project(
        engine,
        (
            view(
                f["case_id"],
                kind=f["kind"],
                status="closed" if f["closed"] else None,
                merchant=f["merchant"],
                amount=str(f["amount"]),
                created=f["created"],
                due={"respond_by": f["due"]} if f["due"] is not None else None,
                priority="urgent" if f["urgent"] else "regular",
            )
            for f in facts
        ),
    )
    return facts


FAR = 10**6 * H  # a case without a deadline sorts as if due this far


def _expected(facts: list[dict[str, Any]], sort: str | None) -> list[str]:
    def key(f: dict[str, Any]) -> tuple[Any, ...]:
        due = f["due"] if f["due"] is not None else FAR
        field = (sort or "").lstrip("-")
        value = {"next_deadline": due, "created_at": f["created"], "amount": f["amount"]}
        if sort is None:
            return (0 if f["urgent"] else 1, due, f["case_id"])
        return (value[field], f["case_id"])

    return [f["case_id"] for f in sorted(facts, key=key, reverse=bool(sort and sort[0] == "-"))]


def test_the_default_order_is_urgent_first_then_due_undated_last(store: Engine) -> None:
    project(
        store,
        [
            view("a-late", due={"respond_by": 9 * H}),
            view("b-undated"),
            view("c-soon", due={"respond_by": H, "refund_by": 5 * H}),
            view("d-urgent-late", due={"respond_by": 20 * H}, priority="urgent"),
            view("e-urgent-undated", priority="urgent"),
        ],
    )
    assert ids(store) == ["d-urgent-late", "e-urgent-undated", "c-soon", "a-late", "b-undated"]
    row = queue_page(store, QueueQuery(), now=NOW).items[2]
    assert (row.next_deadline, row.next_deadline_name) == (NOW + H, "respond_by")


@pytest.mark.parametrize("sort", [None, *SORTS])
def test_each_sort_pages_every_case_once_in_order(store: Engine, sort: str | None) -> None:
    facts = _mixed(store)
    assert every_page(store, sort=sort, limit=7) == _expected(facts, sort)
    assert ids(store, sort=sort, limit=500) == _expected(facts, sort)


def test_filters(store: Engine) -> None:
    facts = _mixed(store)

    def where(test: Any) -> list[str]:
        return sorted(f["case_id"] for f in facts if test(f))

    def got(**query: Any) -> list[str]:
        page = queue_page(store, QueueQuery(limit=500, **query), now=NOW)
        assert page.total == len(page.items)
        return sorted(r.case_id for r in page.items)

    two = KIND_NAMES[:2]
    assert got(open=True) == where(lambda f: not f["closed"])
    assert got(open=False) == where(lambda f: f["closed"])
    assert got(kind=",".join(two)) == where(lambda f: f["kind"] in two)
    assert got(kind=two) == got(kind=",".join(two))
    assert got(status="closed") == where(lambda f: f["closed"])
    assert got(merchant_id="M1") == where(lambda f: f["merchant"] == "M1")
    assert got(priority="urgent") == where(lambda f: f["urgent"])
    assert got(overdue=True) == where(lambda f: f["due"] is not None and f["due"] < td(0))
    assert got(overdue=False) == where(lambda f: f["due"] is None or f["due"] >= td(0))
    assert got(created_from=NOW - 3 * H) == where(lambda f: f["created"] >= -3 * H)
    assert got(created_to=NOW - 3 * H) == where(lambda f: f["created"] < -3 * H)
    assert got(category="nope") == []
    scoped = queue_page(store, QueueQuery(limit=500), frozenset({"M2"}), now=NOW)
    assert {r.merchant_id for r in scoped.items} == {"M2"}
    assert scoped.total == len(where(lambda f: f["merchant"] == "M2"))
    assert queue_page(store, QueueQuery(), frozenset(), now=NOW).items == []


def test_penalized_and_the_row_s_facts(store: Engine) -> None:
    project(store, [view("p", points=6, amount="12.5", currency="USD"), view("q")])
    assert ids(store, penalized=True) == ["p"]
    assert ids(store, penalized=False) == ["q"]
    row = queue_page(store, QueueQuery(penalized=True), now=NOW).items[0]
    assert (row.penalty_points, row.points, row.amount, row.currency) == (
        6,
        6,
        Decimal("12.50"),
        "USD",
    )
    assert row.category == "not_received" and row.created_at == NOW - H and row.open


@pytest.mark.parametrize("sort", [None, "next_deadline", "-created_at", "amount"])
def test_a_cursor_stays_right_while_cases_change(store: Engine, sort: str | None) -> None:
    facts = _mixed(store, n=30)
    first = queue_page(store, QueueQuery(sort=sort, limit=10), now=NOW)
    shown = [r.case_id for r in first.items]
    # Between pages: new cases everywhere in the order, one shown case moves to the end,
    # one not yet shown moves to the front.
    project(
        store,
        [
            view(f"new{i}", due={"respond_by": i * H}, amount=f"{i}.00", priority=p)
            for i, p in enumerate(["urgent", "regular", "regular", "urgent"])
        ],
    )
    moved_back, moved_front = shown[3], _expected(facts, sort)[20]
    for case_id, due, amount in ((moved_back, 900, "9999.00"), (moved_front, -900, "0.00")):
        fact = next(f for f in facts if f["case_id"] == case_id)
        project(
            store,
            [
                view(
                    case_id,
                    kind=fact["kind"],
                    merchant=fact["merchant"],
                    amount=amount,
                    created=-(due + 100) * H if sort == "-created_at" else fact["created"],
                    due={"respond_by": due * H},
                    version=5,
                )
            ],
        )
    cursor = first.next_cursor
    while cursor is not None:
        page = queue_page(store, QueueQuery(sort=sort, limit=10, cursor=cursor), now=NOW)
        shown += [r.case_id for r in page.items]
        cursor = page.next_cursor
    unchanged = [c for c in _expected(facts, sort) if c not in (moved_back, moved_front)]
    assert [c for c in shown if c in unchanged] == unchanged  # none skipped, none twice


def test_a_cursor_is_validated(store: Engine) -> None:
    project(store, [view(f"c{i}", due={"respond_by": i * H}) for i in range(3)])
    cursor = queue_page(store, QueueQuery(limit=1), now=NOW).next_cursor
    assert cursor is not None
    for bad in ("x", "!!!", cursor[:-3], encode_cursor("amount", [Decimal(1)], "c1")[::-1]):
        with pytest.raises(QueueError, match="cursor: malformed"):
            queue_page(store, QueueQuery(cursor=bad), now=NOW)
    with pytest.raises(QueueError, match="sort=default"):
        queue_page(store, QueueQuery(cursor=cursor, sort="amount"), now=NOW)


def test_unknown_values_are_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValidationError, match=f"known: {', '.join(KINDS)}"):
        QueueQuery(kind="nope")
    with pytest.raises(ValidationError, match="unknown status 'nope'.*closed"):
        QueueQuery(status="closed,nope")
    with pytest.raises(ValidationError):
        QueueQuery(sort="due")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        QueueQuery(bogus=1)  # type: ignore[call-arg]


def test_the_projection_fills_the_queue_and_never_clears_a_claim(store: Engine) -> None:
    project(store, [view("c1", due={"respond_by": H})])
    assert claim_case(store, "c1", "agent-1", "Li Wei").outcome == "claimed"
    project(store, [view("c1", status="closed", version=2)])
    row = queue_page(store, QueueQuery(), now=NOW).items[0]
    assert (row.assignee, row.assignee_name, row.open, row.next_deadline) == (
        "agent-1",
        "Li Wei",
        False,
        None,
    )
    assert crud.get_case(store, "c1") is not None


def test_claims(store: Engine) -> None:
    project(store, [view("c1"), view("c2", merchant="M2"), view("gone", status="closed")])
    assert claim_case(store, "c1", "a1", "Ann").outcome == "claimed"
    assert claim_case(store, "c1", "a1", "Ann").outcome == "claimed"  # again: the same
    held = claim_case(store, "c1", "a2", "Bo")
    assert (held.outcome, held.assignee_name) == ("held", "Ann")
    assert release_case(store, "c1", "a2").outcome == "not_holder"
    taken = claim_case(store, "c1", "s1", "Sue", force=True)
    assert (taken.outcome, taken.assignee) == ("claimed", "s1")
    assert release_case(store, "c1", "a1", anyone=True).outcome == "released"
    assert release_case(store, "c1", "a1").outcome == "released"  # nobody holds it
    assert claim_case(store, "gone", "a1", None).outcome == "closed"
    assert claim_case(store, "nope", "a1", None).outcome == "missing"
    assert claim_case(store, "c2", "a1", None, merchants=frozenset({"M1"})).outcome == "missing"
    assert release_case(store, "c2", "a1", merchants=frozenset({"M1"})).outcome == "missing"


def _moved(v: Any, status: str, due: dict[str, td], at: td, version: int) -> Any:
    """`v` in its next state, made at NOW + `at` (its newest timeline entry)."""
    event = TimelineEvent(at=NOW + at, type="moved", actor="system")
    return v.model_copy(
        update={
            "status": status,
            "deadlines": {name: NOW + d for name, d in due.items()},
            "timeline": [*v.timeline, event],
            "version": version,
            "seq": version,
        }
    )


def test_a_missed_deadline_keeps_the_case_overdue_until_it_moves_on(store: Engine) -> None:
    """A workflow drops a deadline once its alarm came (the case goes on with another):
    the case is still overdue, sorts by what it missed, until its status moves on."""
    first, late_status, next_status, *_ = KINDS[KIND_NAMES[0]].statuses
    late = view("late", due={"respond_by": -2 * H}, created=-30 * H)
    met = view("met", due={"respond_by": 5 * H}, created=-30 * H)
    soon = view("soon", due={"respond_by": 1 * H})
    project(store, [late, met, soon])
    # The deadline's alarm came: the case runs on with a later deadline only.
    late2 = _moved(late, late_status, {"late_until": 150 * H}, -2 * H + td(seconds=1), 2)
    # Answered before its deadline: met, not missed.
    met2 = _moved(met, next_status, {"outcome_by": 70 * H}, -1 * H, 2)
    project(store, [late2, met2])

    assert ids(store, overdue=True) == ["late"]
    assert ids(store, open=True) == ["late", "soon", "met"]  # the missed deadline sorts it
    [row] = queue_page(store, QueueQuery(overdue=True), now=NOW).items
    assert row.overdue and row.next_deadline_name == "late_until"
    found = digest.compute(store, "M1", NOW, DigestPolicy())
    assert [(c.case_id, c.deadline_name) for c in found.overdue] == [("late", "respond_by")]

    # Another write in the same status keeps it; moving on (a late reply) clears it.
    project(store, [_moved(late2, late_status, {"late_until": 150 * H}, -H, 3)])
    assert ids(store, overdue=True) == ["late"]
    project(store, [_moved(late2, next_status, {"outcome_by": 80 * H}, -td(minutes=30), 4)])
    assert ids(store, overdue=True) == []
    assert ids(store, open=True) == ["soon", "met", "late"]
    assert digest.compute(store, "M1", NOW, DigestPolicy()).overdue == []


def test_deadlines_nobody_owes_are_never_missed(store: Engine) -> None:
    """A deadline the workflow meets itself (a dispute's `submit_by`: the policy submits)
    and a penalty's appeal window closing leave the view late without the case overdue."""
    auto = next(k for k in KINDS.values() if k.automatic_deadlines)
    assert auto.automatic_deadlines == {DisputeAlarm.SUBMIT_BY}
    [name] = auto.automatic_deadlines
    waiting, acted, *_ = auto.statuses
    submitted = view("auto", kind=auto.name, due={"respond_by": 5 * H, name: -H})
    appealable = view("window", due={"respond_by": 9 * H, "appeal_by:P1": -H})
    project(store, [submitted, appealable])
    project(
        store,
        [
            _moved(submitted, acted, {}, -H + td(seconds=5), 2),
            _moved(appealable, appealable.status, {"respond_by": 9 * H}, -H, 2),
        ],
    )
    assert ids(store, overdue=True) == []
