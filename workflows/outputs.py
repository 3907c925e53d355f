"""What a case shows the world: its timeline, the notices it queues, the store projection
and the Web UI's columns and details. The case kernel's outward half (`CaseWorkflow`
inherits it); nothing here decides anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from redress import search_attributes as sa
    from redress.models.case import CaseInput, CaseUser, CaseView, TimelineEvent
    from redress.models.effects import ActionAudit, Addressee, CaseEffects, NoticeRequest, Recipient

if TYPE_CHECKING:
    from datetime import timedelta

    from workflows.alarms import Alarm
    from workflows.penalties import PenaltyBook


SEQ_SPAN = 1_000_000  # changes one workflow task can make, at most, for `_seq`


@dataclass(frozen=True)
class CaseFacts:
    """What a case is about, as the envelope, the notices and the Web UI show it."""

    merchant_id: str
    amount: Decimal
    currency: str
    created_at: datetime
    user: CaseUser
    trade_no: str | None = None
    category: str | None = None


class CaseOutputs:
    KIND: ClassVar[str]
    RETRY: ClassVar[RetryPolicy]
    ACTIVITY_TIMEOUT: ClassVar[timedelta]
    STATUSES: ClassVar[tuple[str, ...]]
    _in: CaseInput
    facts: CaseFacts
    _status: str
    _outcome: str | None
    _closed_at: datetime | None
    _timeline: list[TimelineEvent]
    _timeline_from: int
    _outbox: list[NoticeRequest]
    _asked: list[StrEnum]
    _audit: list[ActionAudit]
    _refunded: Decimal
    _version: int
    _sa_state: tuple[Any, ...] | None
    penalties: PenaltyBook | None

    def _deadline_alarms(self) -> list[Alarm]:
        raise NotImplementedError

    def _deadlines(self) -> dict[str, datetime]:
        """The running deadlines by label, as the view and the Web UI show them."""
        return {alarm.label: alarm.at for alarm in self._deadline_alarms()}

    @property
    def case_id(self) -> str:
        return self._in.case_id

    def _details(self) -> dict[str, Any]:
        return {}

    def _key(self, what: str) -> str:
        """An idempotency key: the case, and for cases opened since keys carried it, its
        first run, so a case opened again under the same ID never reuses an old key."""
        if not self._in.run_keys:
            return f"{self._in.case_id}:{what}"
        return f"{self._in.case_id}@{workflow.info().first_execution_run_id[:8]}:{what}"

    # --- timeline, notices, refunds -----------------------------------------------------

    def event(self, type_: str, actor: str, /, **fields: Any) -> None:
        """A line of the timeline (the negotiation history), at this instant."""
        self._timeline.append(TimelineEvent(at=workflow.now(), type=type_, actor=actor, **fields))

    def notify(self, template: str, to: Addressee, key: str, /, **context: Any) -> None:
        """Queue a notice; it goes out with the state change's effects, once per key."""
        f = self.facts
        recipient = self._recipient(to)
        self._outbox.append(
            NoticeRequest(
                idempotency_key=self._key(key),
                case_id=self._in.case_id,
                kind=self.KIND,
                template=template,
                locale=f.user.locale,
                recipient=recipient,
                context={
                    "case_id": self._in.case_id,
                    "trade_no": f.trade_no,
                    "merchant_id": f.merchant_id,
                    "amount": str(f.amount),
                    "currency": f.currency,
                    "category": f.category,
                    **{
                        k: v.isoformat() if isinstance(v, datetime) else v
                        for k, v in context.items()
                    },
                },
            )
        )
        self.event("notice", "system", template=template, to=to, channel=recipient.channel)

    def _recipient(self, to: Addressee) -> Recipient:
        """Who `to` names: `user` (by their contact) or the `merchant`'s desk; a kind that
        sends to anyone else says who they are (an override), or the notice is refused."""
        f = self.facts
        if to == "user":
            return Recipient(
                kind="user", channel=f.user.contact.channel, address=f.user.contact.address
            )
        if to == "merchant":
            return Recipient(kind="merchant", channel="desk", address=f.merchant_id)
        raise ValueError(f"a {self.KIND} case has no recipient {to!r}")

    def _seq(self) -> int:
        """`CaseView.seq`: history length (all runs), then the change count."""
        carried = self._in.carried
        before = carried.history_before if carried else 0
        length = before + workflow.info().get_current_history_length()
        return length * SEQ_SPAN + self._version % SEQ_SPAN

    def _priority(self) -> Literal["regular", "urgent"]:
        return "regular"

    def _envelope(self) -> dict[str, Any]:
        """The envelope's optional fields this kind fills (a dispute's `round`, `packet`)."""
        return {}

    # --- effects: projection, notices, search attributes --------------------------------

    def _ask(self, effect: StrEnum) -> None:
        """Ask for work that needs an activity (a verification request, a call to the
        provider), named by the kind's own `StrEnum`: `_effect(effect)` does it with this
        state change's effects, before them."""
        self._asked.append(effect)

    async def _effect(self, effect: StrEnum) -> None:
        """Do what `_ask` asked for (the kind's own); one it does not know raises."""
        raise ValueError(f"a {self.KIND} case has no effect {effect!r}")

    def _check_status(self) -> None:
        """A state change ends in one of the kind's statuses, never a name it lacks."""
        if self._status not in self.STATUSES:
            raise ValueError(f"a {self.KIND} case has no status {self._status!r}")

    async def _flush(self) -> None:
        """The work asked for, in order; then one local activity per state change: the
        projection, the audit entries of signals, then the queued notices."""
        asked, self._asked = self._asked, []
        for effect in asked:
            await self._effect(effect)
        self._check_status()
        self._version += 1
        outbox, self._outbox = self._outbox, []
        audit, self._audit = self._audit, []
        self._update_search_attributes()
        await workflow.execute_local_activity_method(
            CaseActivities.apply_effects,
            CaseEffects(view=self._view(), notices=outbox, audit=audit),
            start_to_close_timeout=self.ACTIVITY_TIMEOUT,
            retry_policy=self.RETRY,
        )

    def _search_attributes(self) -> list[tuple[SearchAttributeKey[Any], Any]]:
        """The Web UI's columns for this case, in upsert order; `None` unsets."""
        book = self.penalties
        return [
            (sa.CASE_STATUS, self._status),
            (sa.PENALIZED, bool(book and book.penalized())),
            (sa.POINTS, book.points() if book else 0),
            (sa.NEXT_DEADLINE, min(self._deadlines().values(), default=None)),
        ]

    def _start_search_attributes(self) -> tuple[Any, ...]:
        current = workflow.info().typed_search_attributes
        return tuple(current.get(key) for key, _ in self._search_attributes())

    def _update_search_attributes(self) -> None:
        pairs = self._search_attributes()
        state = tuple(value for _, value in pairs)
        if state != self._sa_state:
            self._sa_state = state
            updates: list[SearchAttributeUpdate[Any]] = [
                key.value_unset() if value is None else key.value_set(value) for key, value in pairs
            ]
            workflow.upsert_search_attributes(updates)
        lines = [f"**{self._status}**" + (f" ({self._outcome})" if self._outcome else "")]
        lines += [f"- {name}: {at.isoformat()}" for name, at in sorted(self._deadlines().items())]
        if self.penalties:
            lines += self.penalties.detail_lines()
        workflow.set_current_details("\n".join(lines))

    def _view(self) -> CaseView:
        f = self.facts
        return CaseView(
            case_id=self._in.case_id,
            workflow_id=workflow.info().workflow_id,
            kind=self.KIND,
            status=self._status,
            outcome=self._outcome,
            merchant_id=f.merchant_id,
            trade_no=f.trade_no,
            amount=f.amount,
            refunded=self._refunded,
            currency=f.currency,
            category=f.category,
            locale=f.user.locale,
            created_at=f.created_at,
            closed_at=self._closed_at,
            policy=self._in.policy.name,
            deadlines=self._deadlines(),
            penalties=self.penalties.snapshot() if self.penalties else [],
            timeline=list(self._timeline),
            timeline_from=self._timeline_from,
            version=self._version,
            seq=self._seq(),
            priority=self._priority(),
            details=self._details(),
            **self._envelope(),
        )


def human(td: timedelta) -> str:
    """'24h', '30m', '45s': a span as a notice or a refusal says it."""
    seconds = int(td.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"
