"""Opening cases: one workflow per source case, started exactly once.

The kind's mapping turns a verified event into a workflow start; the workflow ID is the
case ID, derived from the source's own ID and started with REJECT_DUPLICATE, so a repeated
webhook (even after the case closed) finds the case it opened the first time instead of
opening another.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from redress import search_attributes as sa
from redress.kinds import CaseKind
from redress.models.case import ActionReceipt, CaseAction, CaseResult
from redress.models.intake import CaseMessage, CaseNews, CaseStart, IntakeContext
from redress.policy import Policy
from redress.refusals import http_status
from redress.store import crud


@dataclass(frozen=True)
class Opened:
    case_id: str
    workflow_id: str
    duplicate: bool
    linked: bool = False  # joined an open case about the same user and trade


class Undeliverable(Exception):
    """An event for a case that cannot take it: `status` and a message that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def start_search_attributes(kind: str, start: CaseStart) -> TypedSearchAttributes:
    """What a new case shows in the Web UI's list from its first moment (no personal data)."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.CASE_STATUS, start.status),
        SearchAttributePair(sa.MERCHANT, start.merchant_id),
        SearchAttributePair(sa.KIND, kind),
    ]
    if start.next_deadline is not None:
        pairs.append(SearchAttributePair(sa.NEXT_DEADLINE, start.next_deadline))
    pairs += [SearchAttributePair(sa.PENALIZED, False), SearchAttributePair(sa.POINTS, 0)]
    return TypedSearchAttributes([*pairs, *start.search_attributes])


@dataclass(frozen=True)
class Delivery:
    """A verified delivery's identity and how long it could be sent again: answered once,
    the same delivery again is a replay."""

    id: str
    keep_for: timedelta


class Replayed(Exception):
    """This very delivery was answered before."""


async def open_case(
    client: Client,
    engine: Engine,
    task_queue: str,
    policy: Policy,
    kind: CaseKind,
    source: str,
    event: BaseModel,
    now: datetime | None = None,
    delivery: Delivery | None = None,
) -> Opened:
    """Start the case an intake event opens, once: a case in the ledger (or already
    started) is a duplicate, a delivery answered before is `Replayed`. `now` is the
    intake's clock (a test server's in tests)."""
    ctx = IntakeContext(
        source=source,
        policy=policy,
        now=now or datetime.now(UTC),
        case_id=lambda source_id: kind.case_id(source, source_id),
    )
    start = kind.open(event, ctx)
    event_id = str(getattr(event, "event_id", ""))
    if isinstance(start, CaseMessage):
        return await _deliver(client, engine, kind, source, event_id, start, delivery)
    if isinstance(start, CaseNews):
        return await _news(client, engine, kind, source, event_id, start, delivery)
    found = await asyncio.to_thread(
        crud.intake_lookup,
        engine,
        source,
        delivery.id if delivery else None,
        start.case_id,
        start.link_key,
        event_id if start.existing_action is not None else None,
    )
    if found.seen:
        raise Replayed(start.case_id)
    if found.event_case:  # this very provider event was taken in before
        return Opened(found.event_case, found.event_case, duplicate=True)
    record = functools.partial(
        crud.record_intake,
        engine,
        case_id=start.case_id,
        kind=kind.name,
        provider=source,
        event_id=event_id,
        delivery=delivery.id if delivery else None,
        keep_for=delivery.keep_for if delivery else timedelta(0),
    )
    if found.linked_to:  # linked before: the same answer again
        await asyncio.to_thread(record, first_run_id=None)
        return Opened(found.linked_to, found.linked_to, duplicate=True, linked=True)
    if found.open_link and start.link_action is not None:
        # Same user, same trade, a case still open: this complaint joins it (P1).
        message = CaseMessage(found.open_link, "user", start.link_action)
        if await _send(client, message, f"{source}:{event_id}", closed_ok=True):
            await asyncio.to_thread(record, first_run_id=None, linked_to=found.open_link)
            return Opened(found.open_link, found.open_link, duplicate=True, linked=True)
    # The ledger outlives Temporal's retention: a closed case removed from Temporal is
    # still the case this complaint opened, not a reason to open (and penalize) another.
    known = found.known
    run_id: str | None = None
    if not known:
        try:
            handle = await client.start_workflow(
                kind.workflow_type,
                start.input.model_copy(update={"run_keys": True}),
                id=start.case_id,
                task_queue=task_queue,
                result_type=CaseResult,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                search_attributes=start_search_attributes(kind.name, start),
                static_summary=start.summary,
            )
            run_id = handle.first_execution_run_id or ""
        except WorkflowAlreadyStartedError as err:
            known, run_id = True, err.run_id or ""
    if known and start.existing_action is not None:
        # A later event of a case already open (a dispute's update, its close): the case
        # takes it, keyed by the provider's event ID. A case long finished records it only.
        message = CaseMessage(start.case_id, "user", start.existing_action)
        taken = await _send(client, message, f"{source}:{event_id}", closed_ok=True)
        await asyncio.to_thread(record, first_run_id=run_id)
        return Opened(start.case_id, start.case_id, duplicate=not taken)
    # Written once the start is certain (one transaction); a crash before it leaves a
    # start that the next delivery finds in Temporal (duplicate) and records then.
    await asyncio.to_thread(record, first_run_id=run_id, link_key=start.link_key)
    if start.record is not None:
        await asyncio.to_thread(start.record, engine, source)
    return Opened(case_id=start.case_id, workflow_id=start.case_id, duplicate=known)


async def _deliver(
    client: Client,
    engine: Engine,
    kind: CaseKind,
    source: str,
    event_id: str,
    message: CaseMessage,
    delivery: Delivery | None,
) -> Opened:
    """The user's event for an open case: the Update `act` with the role `user`, its ID
    from the provider's event ID, so a redelivery acts once."""
    found = await asyncio.to_thread(
        crud.intake_lookup,
        engine,
        source,
        delivery.id if delivery else None,
        message.case_id,
        None,
        event_id,
    )
    if found.seen:
        raise Replayed(message.case_id)
    case_id = found.linked_to or message.case_id  # a linked complaint's events go there
    if found.event_case:
        return Opened(found.event_case, found.event_case, duplicate=True)
    try:
        await _send(client, dataclasses.replace(message, case_id=case_id), f"{source}:{event_id}")
    except Undeliverable as err:
        if err.status != 404:
            raise
        view = await asyncio.to_thread(crud.get_case, engine, case_id)
        if view is not None:  # finished, and gone from the engine's open cases
            raise Undeliverable(409, f"case {case_id} is closed ({view.outcome})") from err
        raise
    await asyncio.to_thread(
        crud.record_intake,
        engine,
        case_id=case_id,
        kind=kind.name,
        provider=source,
        event_id=event_id,
        first_run_id=None,
        delivery=delivery.id if delivery else None,
        keep_for=delivery.keep_for if delivery else timedelta(0),
    )
    return Opened(case_id=case_id, workflow_id=case_id, duplicate=False)


async def _news(
    client: Client,
    engine: Engine,
    kind: CaseKind,
    source: str,
    event_id: str,
    news: CaseNews,
    delivery: Delivery | None,
) -> Opened:
    """An event that opens no case: recorded, then told to the open cases it concerns
    (by the provider's event ID, so a redelivery acts once); taken once."""
    found = await asyncio.to_thread(
        crud.intake_lookup,
        engine,
        source,
        delivery.id if delivery else None,
        news.case_id,
        None,
        event_id,
    )
    if found.seen:
        raise Replayed(news.case_id)
    if found.event_case:
        return Opened(found.event_case, found.event_case, duplicate=True)
    for case_id in await asyncio.to_thread(news.record, engine, source):
        message = CaseMessage(case_id, "user", news.action)
        await _send(client, message, f"{source}:{event_id}", closed_ok=True)
    await asyncio.to_thread(
        crud.record_intake,
        engine,
        case_id=news.case_id,
        kind=kind.name,
        provider=source,
        event_id=event_id,
        first_run_id=None,
        delivery=delivery.id if delivery else None,
        keep_for=delivery.keep_for if delivery else timedelta(0),
    )
    return Opened(case_id=news.case_id, workflow_id=news.case_id, duplicate=False)


async def _send(
    client: Client, message: CaseMessage, update_id: str, closed_ok: bool = False
) -> bool:
    """Deliver `message`; False (with `closed_ok`) when the case has closed meanwhile."""
    cmd = CaseAction(actor=message.actor, role="user", action=message.action, request_id=update_id)
    handle = client.get_workflow_handle(message.case_id)
    try:
        await handle.execute_update("act", cmd, id=update_id, result_type=ActionReceipt)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        if isinstance(cause, ApplicationError):
            if closed_ok and cause.type == "Conflict":
                return False
            raise Undeliverable(http_status(cause), cause.message) from err
        raise Undeliverable(409, str(cause or err)) from err
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            if closed_ok:
                return False
            raise Undeliverable(404, f"no open case {message.case_id!r}") from err
        raise
    return True
