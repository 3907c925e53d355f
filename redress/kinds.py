"""The registry of case kinds: one entry per kind, and everything else reads it.

The worker registers each kind's workflow, the intake maps each event type to its kind,
the API parses each kind's actions and checks its roles, `GET /cases?kind=` filters on its
name, the CLI sends its sample. Workflows are named here, not imported: the API and the
intake start, update and query them by name, so they never load workflow code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, get_args

from pydantic import BaseModel, TypeAdapter
from temporalio.common import SearchAttributeKey

from redress import search_attributes as sa
from redress.models import (
    complaint,
    complaint_labels,
    dispute,
    dispute_labels,
    dispute_samples,
    dispute_verdicts,
    payment_failure,
    payment_failure_intake,
    payment_failure_labels,
    platform_actions,
    platform_complaint,
    platform_intake,
    platform_labels,
)
from redress.models.case import CaseInput, Role
from redress.models.intake import CaseMessage, CaseNews, CaseStart, IntakeContext
from redress.policy import Policy, PolicySection

if TYPE_CHECKING:
    from fastapi import APIRouter
    from sqlalchemy.engine import Engine
    from temporalio.client import Client

    from redress.config import Settings
    from redress.notices.channels import NoticeChannel
    from redress.notices.renderer import NoticeRenderer
    from redress.store.retention import Purge

T = TypeVar("T")


@dataclass(frozen=True)
class WorkerParts:
    """What a kind's activities are built from: the worker's shared parts, and the parts its
    caller gave by name (`build_worker(verifier=…)`, a test's fake), else the kind's own."""

    engine: Engine
    channel: NoticeChannel
    renderer: NoticeRenderer
    settings: Settings | None = None
    given: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str, default: Callable[[], T]) -> T:
        value: T | None = self.given.get(name)
        return default() if value is None else value


def _load(ref: str) -> Any:
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class CaseKind:
    name: str  # CaseView.kind, the RedressKind search attribute, `GET /cases?kind=`
    prefix: str  # case ID = workflow ID = "<prefix>-<source>-<the source's own ID>"
    workflow: str  # "module:Class"; its workflow type is the class name
    input: type[CaseInput]
    actions: TypeAdapter[Any]  # the reviewer actions' models, discriminated by `type`
    roles: Mapping[Role, frozenset[str]]  # role → the action types it may take
    events: Mapping[str, type[BaseModel]]  # intake event type → its body's model
    # an event body → the workflow start, a message for a case already open, or news
    # that opens no case (recorded, and told to the open cases it concerns)
    open: Callable[[Any, IntakeContext], CaseStart | CaseMessage | CaseNews]
    policy: PolicySection  # the kind's section of the policy file: name, model, defaults
    # An event body for `redress send-sample` and `redress demo`: (source ID, locale=,
    # merchant_id=, created_at=, trade_no=, amount=, policy=: the active one, whose clocks
    # the sample may read).
    sample: Callable[..., dict[str, Any]]
    # A provider's verdict on a case of the kind already open, in the provider's shape, for
    # `redress send-event --verdict`: (provider, the provider's ID, "won" | "lost", the case
    # as the API shows it) → the event body; ValueError for a provider it has none of.
    sample_verdict: Callable[..., dict[str, Any]] | None = None
    # The intake hands the user a token for `GET /progress/{case_id}` (P10).
    user_progress: bool = False
    # The webhook provider whose format `sample` is in (and whose signature it needs).
    sample_provider: str = "generic"
    # "module:function": WorkerParts → the kind's own activities (the shared ones, effects,
    # refunds and the purge, are every kind's); loaded by the worker alone, like `workflow`.
    activities: str | None = None
    # The kind's other workflows ("module:Class"), started by the API or by its cases.
    other_workflows: tuple[str, ...] = ()
    # "module" of the kind's own store tables (SQLModel tables on the shared metadata) and,
    # as its `RETENTION`, how the retention purge (C1) clears them; their migrations are on
    # the kind's Alembic branch. Whatever needs every table loads them by `load_tables()`.
    tables: str | None = None
    # A store made before migrations is stamped on the kind's Alembic branch at the newest
    # revision whose mark (table, column or index) it has: (revision, (what, table, name)).
    legacy_marks: tuple[tuple[str, tuple[str, str, str]], ...] = ()
    # Webhook provider → the provider's own event types the kind takes (`stripe`, `antom`:
    # the providers ask `by_provider_event`); the generic provider's are `events`.
    provider_events: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # The search attributes the kind sets besides the shared ones (search_attributes.SHARED).
    search_attributes: tuple[SearchAttributeKey[Any], ...] = ()
    # "module:NAME" of the kind's replay scenarios: name → a recorder that runs one case to
    # its end and returns its case ID (`tests/replay/record.py` records every kind's; the
    # histories are named "<prefix>_…", and `tests/replay` replays every kind's by prefix).
    replay_scenarios: str | None = None
    # "module:NAME" of the kind's own API routes (a FastAPI `APIRouter`), mounted by the app.
    routers: tuple[str, ...] = ()
    # "module:function" of the kind's Temporal Schedules: (client, policy, task queue) →
    # created or brought up to date at the worker's start (`redress.schedules`).
    schedules: tuple[str, ...] = ()
    # Every status a case of the kind can be in (`GET /cases?status=` knows them), and the
    # final ones: a case in one of those is no longer open (the queue's `open`).
    statuses: tuple[str, ...] = ()
    final_statuses: frozenset[str] = frozenset({"closed"})
    # Deadlines the workflow meets itself when they come (the policy acts): one leaving the
    # view late is not a deadline the case missed (redress/store/missed.py).
    automatic_deadlines: frozenset[str] = frozenset()
    # "module:function" of the kind's charts on the console's overview: (engine, policy,
    # merchants the viewer sees or None for all, now, language) → `redress.console.svg.Chart`s.
    console_charts: tuple[str, ...] = ()
    # "module:function" of what the console's case page offers: (case view, action type) →
    # None (the form is not offered) or the fields it leaves out (a dotted name, with what
    # is nested in it). None here: every form the roles and statuses allow, whole.
    console_offer: str | None = None
    # The console's words for the kind's codes: its name, statuses, outcomes, deadlines,
    # categories, timeline entries → {"en": …, "zh-CN": …} (one not here shows its code).
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def workflow_type(self) -> str:
        return self.workflow.rpartition(":")[2]

    @property
    def policy_section(self) -> str:
        return self.policy.name

    def load_workflow(self) -> type:
        """The workflow class (the worker's business alone)."""
        cls: type = _load(self.workflow)
        return cls

    def load_workflows(self) -> list[type]:
        """The case workflow and the kind's other workflows."""
        return [self.load_workflow(), *(_load(ref) for ref in self.other_workflows)]

    def load_replay_scenarios(self) -> dict[str, Any]:
        """The kind's replay scenarios (the recorder's business alone)."""
        if self.replay_scenarios is None:
            return {}
        found: dict[str, Any] = _load(self.replay_scenarios)
        return found

    def load_activities(self, parts: WorkerParts) -> list[Callable[..., Any]]:
        """The kind's own activities, built from `parts` (the worker's business alone)."""
        if self.activities is None:
            return []
        found: list[Callable[..., Any]] = _load(self.activities)(parts)
        return found

    def action_states(self) -> dict[str, tuple[str, ...] | None]:
        """Action type → the statuses it may be taken in (None: the workflow's own check
        decides), read from the workflow's action table (the console's business alone)."""
        table: Mapping[str, Any] = getattr(self.load_workflow(), "ACTIONS", {})
        return {name: rule.states for name, rule in table.items()}

    def load_console_charts(self) -> list[Callable[..., Any]]:
        """The kind's chart makers for the console's overview."""
        return [_load(ref) for ref in self.console_charts]

    def offered(self, view: Any, action_type: str) -> frozenset[str] | None:
        """What the console offers of `action_type` for the case: None, or the hidden fields."""
        if self.console_offer is None:
            return frozenset()
        found: frozenset[str] | None = _load(self.console_offer)(view, action_type)
        return found

    def load_routers(self) -> list[APIRouter]:
        """The kind's own API routes (the app's business alone)."""
        return [_load(ref) for ref in self.routers]

    async def ensure_schedules(self, client: Client, policy: Policy, task_queue: str) -> None:
        """Create or update the kind's Schedules (the worker's business alone)."""
        for ref in self.schedules:
            await _load(ref)(client, policy, task_queue)

    def load_retention(self) -> tuple[Purge, ...]:
        """How the retention purge clears the kind's tables (loading them)."""
        if self.tables is None:
            return ()
        found: tuple[Purge, ...] = tuple(importlib.import_module(self.tables).RETENTION)
        return found

    def case_id(self, source: str, source_id: str) -> str:
        return f"{self.prefix}-{source}-{source_id}"

    def is_open(self, status: str) -> bool:
        """Whether a case of the kind in `status` is still open (not in a final status)."""
        return status not in self.final_statuses


KINDS: dict[str, CaseKind] = {
    kind.name: kind
    for kind in [
        CaseKind(
            name=complaint.KIND,
            prefix="complaint",
            workflow="workflows.complaint:ComplaintWorkflow",
            statuses=get_args(complaint.CaseStatus),
            input=complaint.ComplaintCaseInput,
            actions=complaint.ACTIONS,
            roles=complaint.ROLE_ACTIONS,
            events={"complaint.created": complaint.ComplaintCreated},
            open=complaint.open_case,
            policy=complaint.SECTION,
            sample=complaint.sample_event,
            replay_scenarios="tests.replay.scenarios.complaint:SCENARIOS",
            labels=complaint_labels.LABELS,
        ),
        CaseKind(
            name=platform_complaint.KIND,
            prefix="platform",
            workflow="workflows.platform_complaint:PlatformComplaintWorkflow",
            statuses=get_args(platform_complaint.CaseStatus),
            input=platform_complaint.PlatformComplaintCaseInput,
            actions=platform_actions.ACTIONS,
            roles=platform_actions.ROLE_ACTIONS,
            events=platform_intake.EVENTS,
            open=platform_intake.on_event,
            policy=platform_complaint.SECTION,
            sample=platform_intake.sample_event,
            user_progress=True,
            activities="activities.verification:for_worker",
            search_attributes=(sa.PRIORITY, sa.ESCALATED),
            replay_scenarios="tests.replay.scenarios.platform_complaint:SCENARIOS",
            labels=platform_labels.LABELS,
            tables="redress.models.platform_tables",
            legacy_marks=(("platform_complaint_0001", ("table", "simulated_verifications", "")),),
        ),
        CaseKind(
            name=dispute.KIND,
            prefix="dispute",
            workflow="workflows.dispute:DisputeWorkflow",
            statuses=get_args(dispute.CaseStatus),
            input=dispute.DisputeCaseInput,
            actions=dispute.ACTIONS,
            roles=dispute.ROLE_ACTIONS,
            events={},  # providers map their own events (redress/providers/stripe.py, antom.py)
            open=dispute.open_case,
            policy=dispute.SECTION,
            sample=dispute_samples.sample_event,
            sample_provider="stripe",
            sample_verdict=dispute_verdicts.verdict_event,
            provider_events=dispute.PROVIDER_EVENTS,
            search_attributes=(sa.ESCALATED,),
            automatic_deadlines=frozenset({dispute.SUBMIT_BY}),
            replay_scenarios="tests.replay.scenarios.dispute:SCENARIOS",
            labels=dispute_labels.LABELS,
            activities="activities.disputes:for_worker",
            other_workflows=("workflows.prevention:PreventionNoticeWorkflow",),
            legacy_marks=(
                ("dispute_0001", ("table", "simulated_dispute_requests", "")),
                ("dispute_0002", ("table", "case_evidence_texts", "")),
            ),
            tables="redress.models.dispute_tables",
            console_charts=("redress.monitoring.console_charts:dispute_ratios",),
            console_offer="redress.models.dispute_console:offered",
        ),
        CaseKind(
            name=payment_failure.KIND,
            prefix=payment_failure.PREFIX,
            workflow="workflows.payment_failure:PaymentFailureWorkflow",
            statuses=get_args(payment_failure.CaseStatus),
            input=payment_failure.PaymentFailureCaseInput,
            actions=payment_failure.ACTIONS,
            roles=payment_failure.ROLE_ACTIONS,
            events=payment_failure_intake.EVENTS,
            open=payment_failure_intake.on_event,
            policy=payment_failure.SECTION,
            sample=payment_failure_intake.sample_event,
            activities="activities.payment_failures:for_worker",
            other_workflows=("workflows.payment_failure_alerts:PaymentFailureAlertsWorkflow",),
            search_attributes=(sa.ESCALATED,),
            replay_scenarios="tests.replay.scenarios.payment_failure:SCENARIOS",
            labels=payment_failure_labels.LABELS,
            routers=("redress.payments.failure_api:router",),
            schedules=("workflows.payment_failure_alerts:ensure_alert_schedule",),
            legacy_marks=(("payment_failure_0001", ("table", "payment_attempts", "")),),
            tables="redress.models.payment_failure_tables",
            console_charts=("redress.payments.console_charts:failure_rates",),
        ),
    ]
}


def by_event(event_type: str) -> CaseKind | None:
    return next((k for k in KINDS.values() if event_type in k.events), None)


def by_provider_event(provider: str, event_type: str) -> CaseKind | None:
    """The kind that takes a provider's own event type."""
    return next(
        (k for k in KINDS.values() if event_type in k.provider_events.get(provider, ())), None
    )


def by_case_id(case_id: str) -> CaseKind | None:
    """The kind a case ID belongs to, from its prefix."""
    prefix = case_id.partition("-")[0]
    return next((k for k in KINDS.values() if k.prefix == prefix), None)


def event_types() -> list[str]:
    return sorted(t for k in KINDS.values() for t in k.events)


def statuses() -> list[str]:
    """Every registered kind's statuses, each once, in registry order."""
    return list(dict.fromkeys(s for k in KINDS.values() for s in k.statuses))


def is_open(kind: str, status: str) -> bool:
    """Whether a case is open: its status is not one its kind declares final (a kind not
    registered, say from a store shared with a newer release, counts `closed` as final)."""
    registered = KINDS.get(kind)
    return registered.is_open(status) if registered else status != "closed"


def retention_tables() -> list[Purge]:
    """Every registered kind's tables, as the retention purge clears them."""
    return [purge for k in KINDS.values() for purge in k.load_retention()]


def load_tables() -> None:
    """Register every kind's store tables on `SQLModel.metadata`, beside the shared ones:
    what the migrations' environment, the migration and a schema check compare against."""
    for kind in KINDS.values():
        if kind.tables is not None:
            importlib.import_module(kind.tables)


def policy_sections() -> list[PolicySection]:
    """Every registered kind's policy section, in registry order (`load_policy` reads them)."""
    return [k.policy for k in KINDS.values()]
