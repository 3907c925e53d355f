"""PaymentFailureWorkflow on the time-skipping server: one test per path of F1–F6.

The channel's events go through the intake as the webhook sends them (`payment.failed`,
`payment.succeeded`, `payment.captured`, validated as they arrive); the desk's actions are
the Update `act`. Times are the test server's.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from sqlmodel import select as sm_select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from redress.intake import Opened, open_case
from redress.kinds import KINDS
from redress.models import CaseAction, CaseView, RefundReceipt, RefundRequest
from redress.models.payment_failure import KIND as KIND_NAME
from redress.models.payment_failure import SECTION, Payment, rules_of
from redress.models.values import INCOMING
from redress.payments import attempts, failure_rates
from redress.payments.channel import SimulatedPaymentChannel
from redress.payments.failure_policy import CAUSES, CauseClass
from redress.payments.failure_rates import AlertsInput, AlertsResult
from redress.payments.gateway import RefundDeclined, SimulatedGateway
from redress.policy import Policy, load_policy
from redress.store import crud
from redress.store.tables import NoticeRecord, RefundRecord
from tests import harness
from tests.kinds import harness as kinds
from tests.kinds.harness import retire
from tests.kinds.harness import types as kinds_of
from worker import build_worker
from workflows.payment_failure_alerts import PaymentFailureAlertsWorkflow

KIND = KINDS[KIND_NAME]
POLICY = load_policy("default")
RULES = rules_of(POLICY)
SECOND = timedelta(seconds=1)
CARD = "4111 1111 1111 1111"  # a test Visa number: passes the Luhn check

# The policy with one more channel whose codes are the class names: a channel's codes are
# policy data, added without touching code (unusual_time has no bundled code).
TEST_CODES = {**RULES.codes, "testpay": {c: {"cause": c} for c in CAUSES if c != "unknown"}}
WITH_TEST_CHANNEL = POLICY.model_copy(
    update={SECTION.name: RULES.model_validate({**RULES.model_dump(), "codes": TEST_CODES})}
)


@dataclass
class Failures:
    env: WorkflowEnvironment
    engine: Engine
    task_queue: str
    policy: Policy = field(default_factory=lambda: POLICY)
    handles: list[WorkflowHandle[Any, Any]] = field(default_factory=list)

    async def post(self, type_: str, payment_id: str, **fields: Any) -> Opened:
        """One channel event through the intake, validated as the webhook does."""
        now = await self.env.get_current_time()
        payment: dict[str, Any] = {
            "id": payment_id,
            "order_no": f"O-{payment_id}",
            "merchant_id": "M-1",
            "channel": "alipay",
            "amount": "88.00",
            "currency": "CNY",
            "occurred_at": now.isoformat(),
            "user": {
                "id": "U-1",
                "locale": "zh-CN",
                "contact": {"channel": "sms", "address": "+8613800000000"},
            },
        }
        if type_ == "payment.failed":
            payment["return_code"] = "101"
        payment.update(fields)
        body = {"event_id": f"evt-{uuid.uuid4().hex[:12]}", "type": type_, "payment": payment}
        event = KIND.events[type_].model_validate(body, context=INCOMING)
        opened = await open_case(
            self.env.client, self.engine, self.task_queue, self.policy, KIND, "generic", event,
            now=now,
        )  # fmt: skip
        if type_ == "payment.failed" and opened.case_id not in {h.id for h in self.handles}:
            self.handles.append(self.env.client.get_workflow_handle(opened.case_id))
        return opened

    async def fail(self, **fields: Any) -> tuple[str, str]:
        payment_id = f"P{uuid.uuid4().hex[:10]}"
        opened = await self.post("payment.failed", payment_id, **fields)
        await self.until(opened.case_id, lambda v: v.version >= 1)
        return payment_id, opened.case_id

    async def act(self, case_id: str, action: dict[str, Any], role: str = "agent") -> CaseView:
        cmd = CaseAction(actor=f"{role}-1", role=role, action=action)  # type: ignore[arg-type]
        return await kinds.act(self.env.client.get_workflow_handle(case_id), cmd)

    async def refused(self, case_id: str, action: dict[str, Any], kind: str) -> str:
        cmd = CaseAction(actor="agent-1", role="agent", action=action)
        return await kinds.refused(self.env.client.get_workflow_handle(case_id), cmd, kind)

    async def view(self, case_id: str) -> CaseView:
        return await kinds.view(self.env.client.get_workflow_handle(case_id))

    async def until(
        self, case_id: str, ok: Callable[[CaseView], bool], seconds: float = 20
    ) -> CaseView:
        return await kinds.until(self.env.client.get_workflow_handle(case_id), ok, seconds)

    async def stored(self, case_id: str, ok: Callable[[CaseView], bool]) -> CaseView:
        """The case as the store shows it, once `ok` holds (up to a minute)."""
        for _ in range(600):
            v = crud.get_case(self.engine, case_id)
            if v is not None and ok(v):
                return v
            await asyncio.sleep(0.1)
        raise AssertionError(f"{case_id}: {v}")

    def notices(self, case_id: str, template: str | None = None) -> list[NoticeRecord]:
        return harness.notices(self.engine, case_id, template)

    async def notified(self, case_id: str, template: str) -> list[NoticeRecord]:
        """The notices of `template`, once there is one (the effects write them after the
        state change a query already shows)."""

        async def sent() -> list[NoticeRecord]:
            found = self.notices(case_id, template)
            assert found, f"{case_id}: no {template} notice yet"
            return found

        return await harness.eventually(sent)

    def refunds(self, case_id: str) -> list[RefundRecord]:
        with Session(self.engine) as s:
            return list(s.exec(sm_select(RefundRecord).where(RefundRecord.case_id == case_id)))

    @asynccontextmanager
    async def worker(self, **parts: Any) -> AsyncIterator[None]:
        async with build_worker(self.env.client, self.engine, self.task_queue, **parts):
            yield


@pytest.fixture
async def fs(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> AsyncIterator[Failures]:
    f = Failures(ts_env, engine, task_queue)
    yield f
    async with f.worker():
        for handle in f.handles:
            await retire(ts_env.client, handle)


# --- F1–F3: the cause, the user told at once ----------------------------------------------

# A phrase of each next step's words, per locale (templates/payment_failure/<locale>/).
NEXT_STEP_WORDS = {
    "check_balance": ("enough balance", "余额充足"),
    "retry_later": ("try again a little later", "稍后"),
    "verify_identity": ("verify your identity", "身份验证"),
    "use_another_card": ("another card", "更换其他银行卡"),
    "contact_bank": ("contact the bank", "联系发卡银行"),
    "lower_amount_or_another_method": ("smaller amount", "分笔支付"),
    "retry_in_business_hours": ("transaction hours", "正常交易时间"),
    "wait_for_maintenance": ("maintenance is over", "维护结束"),
    "use_another_method": ("another payment method", "更换其他支付方式"),
}


@pytest.mark.rule("F1", "F2", "F3")
async def test_each_cause_is_told_at_once_with_its_next_step_in_both_locales(
    fs: Failures,
) -> None:
    fs.policy = WITH_TEST_CHANNEL
    async with fs.worker():
        opened: list[tuple[str, str, str]] = []
        for cause in CAUSES:
            for locale in ("zh-CN", "en"):
                user = {
                    "id": "U-1",
                    "locale": locale,
                    "contact": {"channel": "email", "address": "u1@example.com"},
                }
                code = cause if cause != "unknown" else "NOT-IN-CATALOGUE"
                _, case_id = await fs.fail(channel="testpay", return_code=code, user=user)
                opened.append((case_id, cause, locale))
        for case_id, cause, locale in opened:
            v = await fs.view(case_id)
            rule = rules_of(fs.policy).causes[cast(CauseClass, cause)]
            d = v.details
            assert (d["cause"], d["next_step"], d["retry_safe"]) == (
                cause,
                rule.next_step,
                rule.retry_safe,
            )
            assert d["retry_after"] == int(rule.retry_after.total_seconds())
            assert d["needs_verification"] == rule.needs_verification
            (notice,) = await fs.notified(case_id, cause)  # at once, by the user's contact
            assert (notice.recipient_kind, notice.channel, notice.locale) == (
                "user",
                "email",
                locale,
            )
            words = NEXT_STEP_WORDS[rule.next_step][0 if locale == "en" else 1]
            assert words in notice.body, (cause, locale, notice.body)
            assert "notice" in kinds_of(v)
            # A declined card is never invited to pay again at once (seeds/001).
            if cause in ("insufficient_funds", "risk_control", "over_limit", "unknown"):
                assert rule.retry_after > timedelta(0)


@pytest.mark.rule("F1")
def test_the_bundled_catalogue() -> None:
    for channel in ("alipay", "wechat", "unionpay", "card", "some-new-wallet"):
        assert RULES.classify(channel, "101")[0] == "insufficient_funds"
        assert RULES.classify(channel, "202")[0] == "timeout"
    assert RULES.classify("alipay", "ACQ.PAYMENT_REQUEST_HAS_RISK")[0] == "risk_control"
    assert RULES.classify("wechat", "NOTENOUGH")[0] == "insufficient_funds"
    assert RULES.classify("unionpay", "54")[0] == "card_expired"
    assert RULES.classify("card", "91")[0] == "bank_maintenance"
    cause, rule, known = RULES.classify("wechat", "54")  # unionpay's code, not wechat's
    assert (cause, known, rule.next_step, rule.retry_safe) == (
        "unknown",
        False,
        "use_another_method",
        False,
    )
    # A code may say what differs from its class.
    _, rule, _ = RULES.classify("alipay", "ACQ.ERROR_BUYER_CERTIFY_LEVEL_LIMIT")
    assert rule.needs_verification and rule.next_step == "verify_identity"


@pytest.mark.rule("F1", "F5")
async def test_an_unknown_code_gets_the_safe_default_and_is_counted(fs: Failures) -> None:
    async with fs.worker():
        _, case_id = await fs.fail(channel="wechat", return_code="ZZ-99")
        v = await fs.until(case_id, lambda v: v.status == "awaiting_retry")
        d = v.details
        assert (d["cause"], d["known_code"], d["next_step"], d["retry_safe"]) == (
            "unknown",
            False,
            "use_another_method",
            False,
        )
        assert "unknown_return_code" in kinds_of(v)
        assert fs.notices(case_id, "unknown")
        now = await fs.env.get_current_time()
        fig = failure_rates.figures(fs.engine, "M-1", timedelta(hours=1), now, "1h")
        assert fig.channels["wechat"].causes == {"unknown": 1}
        assert fig.channels["wechat"].unknown_codes == {"ZZ-99": 1}


# --- F4: reconciliation --------------------------------------------------------------------


@pytest.mark.rule("F4")
async def test_captured_before_the_failure_is_refunded_once(fs: Failures) -> None:
    async with fs.worker():
        payment_id = f"P{uuid.uuid4().hex[:10]}"
        early = await fs.post("payment.captured", payment_id)
        assert not early.duplicate  # recorded; no case yet
        opened = await fs.post("payment.failed", payment_id)
        case_id = opened.case_id
        assert case_id == early.case_id == f"failure-generic-{payment_id}"
        v = await fs.until(case_id, lambda v: v.status == "closed")
        assert (v.outcome, v.refunded, v.details["reconciliation"]["channel_state"]) == (
            "refunded",
            Decimal("88.00"),
            "captured",
        )
        await fs.notified(case_id, "refunded")  # written just after the state that sends it
        # A late duplicate capture (another event of the channel) changes nothing: the
        # case is over, nothing more is owed.
        again = await fs.post("payment.captured", payment_id)
        assert again.case_id == case_id
        (refund,) = fs.refunds(case_id)
        assert (refund.amount, refund.trade_no) == ("88.00", payment_id)
        assert len(fs.notices(case_id, "refunded")) == 1


@pytest.mark.rule("F4")
async def test_captured_after_the_failure_is_refunded_once(fs: Failures) -> None:
    async with fs.worker():
        payment_id, case_id = await fs.fail()
        v = await fs.until(case_id, lambda v: v.status == "awaiting_retry")
        assert v.details["reconciliation"]["channel_state"] == "not_captured"
        await asyncio.gather(  # twice at once: two events of the channel
            fs.post("payment.captured", payment_id), fs.post("payment.captured", payment_id)
        )
        v = await fs.until(case_id, lambda v: v.status == "closed")
        assert v.outcome == "refunded"
        assert len(fs.refunds(case_id)) == 1
        # Nothing left to give back: the desk's refund is refused.
        assert "closed" in await fs.refused(
            case_id, {"type": "refund", "amount": "1.00"}, "Conflict"
        )


class FlakyGateway(SimulatedGateway):
    """Moves the money, then loses the answer (a timeout, a reset connection)."""

    def __init__(self, engine: Engine, failures: int) -> None:
        super().__init__(engine)
        self.failures = failures
        self.calls = 0

    def refund(self, request: RefundRequest) -> RefundReceipt:
        self.calls += 1
        receipt = super().refund(request)
        if self.calls <= self.failures:
            raise ConnectionError("connection reset after the refund was sent")
        return receipt


@pytest.mark.rule("F4")
async def test_a_retried_refund_refunds_once(fs: Failures) -> None:
    flaky = FlakyGateway(fs.engine, failures=2)  # the money moved, the answer lost, twice
    async with fs.worker(gateway=flaky):
        payment_id, case_id = await fs.fail()
        await fs.until(case_id, lambda v: v.status == "awaiting_retry")
        await fs.post("payment.captured", payment_id)
        v = await fs.until(case_id, lambda v: v.status == "closed")
        assert (v.outcome, v.refunded) == ("refunded", Decimal("88.00"))
        assert flaky.calls == 3 and len(fs.refunds(case_id)) == 1
        assert kinds_of(v).count("refunded") == 1


@pytest.mark.rule("F4")
async def test_a_silent_channel_escalates_then_the_desk_records_the_result(fs: Failures) -> None:
    silent = SimulatedPaymentChannel(fs.engine, silent=True)
    async with fs.worker(parts={"payment_channel": silent}):
        _, case_id = await fs.fail()
        v = await fs.view(case_id)
        assert (
            v.status == "reconciling" and v.details["reconciliation"]["channel_state"] == "unknown"
        )
        reconcile_by = v.deadlines["reconcile_by"]
        await fs.env.sleep(RULES.reconcile_within + SECOND)
        v = await fs.until(case_id, lambda v: v.status == "escalated")
        assert v.details["reconciliation"]["attempts"] > 2  # asked again, with backoff
        escalated = next(e for e in v.timeline if e.type == "escalated")
        assert escalated.at >= reconcile_by
        (desk,) = await fs.notified(case_id, "escalation")
        assert desk.recipient_kind == "merchant" and desk.channel == "desk"
        # Nothing recorded as taken: the desk may not refund yet.
        await fs.refused(case_id, {"type": "refund", "amount": "88.00"}, "Conflict")
        v = await fs.act(
            case_id, {"type": "record_reconciliation", "channel_state": "captured", "note": "T+1"}
        )
        assert (v.status, v.outcome, v.refunded) == ("closed", "refunded", Decimal("88.00"))
        assert len(fs.refunds(case_id)) == 1 and await fs.notified(case_id, "refunded")


@pytest.mark.rule("F4")
async def test_the_desk_records_not_captured_and_the_retry_window_runs(fs: Failures) -> None:
    silent = SimulatedPaymentChannel(fs.engine, silent=True)
    async with fs.worker(parts={"payment_channel": silent}):
        _, case_id = await fs.fail()
        await fs.env.sleep(RULES.reconcile_within + SECOND)
        await fs.until(case_id, lambda v: v.status == "escalated")
        v = await fs.act(
            case_id, {"type": "record_reconciliation", "channel_state": "not_captured"}
        )
        assert v.status == "awaiting_retry" and "retry_by" in v.deadlines
        await fs.env.sleep(RULES.retry_window)
        v = await fs.until(case_id, lambda v: v.status == "closed")
        assert v.outcome == "abandoned" and not fs.refunds(case_id)


@pytest.mark.rule("F4")
async def test_succeeded_on_a_retry_recovers(fs: Failures) -> None:
    async with fs.worker():
        payment_id, case_id = await fs.fail()
        await fs.until(case_id, lambda v: v.status == "awaiting_retry")
        # The user paid again: another payment of the same order.
        await fs.post("payment.succeeded", f"{payment_id}-2", order_no=f"O-{payment_id}")
        v = await fs.until(case_id, lambda v: v.status == "closed")
        assert v.outcome == "recovered" and not fs.refunds(case_id)
        # The failed payment's money turns up taken after all: given back, once.
        await fs.post("payment.captured", payment_id)
        v = await fs.until(case_id, lambda v: v.outcome == "refunded")
        assert len(fs.refunds(case_id)) == 1


@pytest.mark.rule("F4")
async def test_a_success_sent_straight_after_the_failure_recovers_the_case(fs: Failures) -> None:
    """The failure is in the attempts ledger when its webhook is answered: a success the
    provider sends next, before any worker touched the case, still finds and closes it."""
    payment_id = f"P{uuid.uuid4().hex[:10]}"
    opened = await fs.post("payment.failed", payment_id)
    # Its delivery to the case waits for a worker: none has run the case yet.
    success = asyncio.create_task(
        fs.post("payment.succeeded", f"{payment_id}-2", order_no=f"O-{payment_id}")
    )
    await asyncio.sleep(0.5)
    async with fs.worker():
        await success
        v = await fs.until(opened.case_id, lambda v: v.status == "closed")
    assert v.outcome == "recovered" and not fs.refunds(opened.case_id)


@pytest.mark.rule("F4")
async def test_no_retry_within_the_window_is_abandoned(fs: Failures) -> None:
    async with fs.worker():
        _, case_id = await fs.fail()
        v = await fs.until(case_id, lambda v: v.status == "awaiting_retry")
        await fs.env.sleep(RULES.retry_window + SECOND)
        v = await fs.until(case_id, lambda v: v.status == "closed")
        assert v.outcome == "abandoned" and not fs.refunds(case_id)
        # The desk's note still lands while the case waits for a late capture.
        v = await fs.act(case_id, {"type": "note", "text": "user gave up"})
        assert kinds_of(v)[-1] == "note"
        await fs.env.sleep(RULES.late_capture_window + SECOND)
        handle = fs.env.client.get_workflow_handle(case_id)
        result = await handle.result()
        assert result["outcome"] == "abandoned" if isinstance(result, dict) else True


class ClosedForTheNight(SimulatedGateway):
    """Declines refunds while `closed`."""

    closed = True

    def refund(self, request: RefundRequest) -> RefundReceipt:
        if self.closed:
            raise RefundDeclined("the channel's refund service is closed for the night")
        return super().refund(request)


@pytest.mark.rule("F4")
async def test_the_desk_closes_and_refunds_only_what_was_taken(fs: Failures) -> None:
    gateway = ClosedForTheNight(fs.engine)
    async with fs.worker(gateway=gateway):
        payment_id = f"P{uuid.uuid4().hex[:10]}"
        await fs.post("payment.captured", payment_id)
        opened = await fs.post("payment.failed", payment_id)
        v = await fs.until(opened.case_id, lambda v: v.status == "escalated")
        assert "refund_failed" in kinds_of(v) and await fs.notified(opened.case_id, "escalation")
        gateway.closed = False
        msg = await fs.refused(opened.case_id, {"type": "refund", "amount": "88.01"}, "Invalid")
        assert "88.00" in msg
        v = await fs.act(opened.case_id, {"type": "refund", "amount": "88.00"})
        assert (v.status, v.outcome) == ("closed", "refunded")
        assert len(fs.refunds(opened.case_id)) == 1
        _, other = await fs.fail()
        await fs.until(other, lambda v: v.status == "awaiting_retry")
        v = await fs.act(other, {"type": "close", "reason": "order cancelled by the merchant"})
        assert (v.status, v.outcome) == ("closed", "resolved")


# --- F5: one alert per incident ------------------------------------------------------------


@pytest.mark.rule("F5")
async def test_a_burst_raises_one_alert_and_recovery_one_clear(fs: Failures) -> None:
    rules = RULES.alert
    merchant = f"M-{uuid.uuid4().hex[:6]}"
    start = await fs.env.get_current_time()

    def payment(n: int, at: Any) -> Payment:
        return Payment(
            id=f"{merchant}-{n}",
            order_no=f"O{n}",
            merchant_id=merchant,
            channel="wechat",
            amount=Decimal("10.00"),
            currency="CNY",
            occurred_at=at,
        )

    # A dozen failures and a few successes in the window: over the threshold. Another
    # channel fails too, but under the minimum number of failures.
    for n in range(12):
        p = payment(n, start - timedelta(seconds=n))
        attempts.record(fs.engine, "generic", p, "failed", cause="bank_maintenance")
    for n in range(12, 16):
        attempts.record(fs.engine, "generic", payment(n, start), "succeeded")
    few = payment(99, start).model_copy(update={"channel": "alipay", "id": f"{merchant}-a"})
    attempts.record(fs.engine, "generic", few, "failed", cause="timeout")

    async def evaluate(at: Any) -> AlertsResult:
        result: AlertsResult = await fs.env.client.execute_workflow(
            PaymentFailureAlertsWorkflow.run,
            AlertsInput(policy=RULES, at=at),
            id=f"alerts-{uuid.uuid4().hex[:8]}",
            task_queue=fs.task_queue,
        )
        return result

    def ops_notices() -> list[NoticeRecord]:
        return fs.notices(f"payment-failures:{merchant}")

    async with fs.worker():
        first = await evaluate(start)
        assert first.raised >= 1
        await evaluate(start + SECOND)  # still over: the same incident, no second alert
        (alert,) = failure_rates.figures(fs.engine, merchant, rules.window, start, "10m").alerts
        assert (alert.channel, alert.failures, alert.cleared_at) == ("wechat", 12, None)
        assert alert.top_causes == [{"cause": "bank_maintenance", "failures": 12}]
        (raised,) = ops_notices()
        assert (raised.template, raised.recipient_kind, raised.channel) == (
            "alert",
            "merchant",
            "ops",
        )
        assert "alipay" in raised.body  # the emergency plan's backup channel for wechat
        assert "payments on-call" in raised.body  # its contacts
        # The window slides past the burst: one clear, once.
        later = start + rules.window + timedelta(seconds=30)
        await evaluate(later)
        await evaluate(later + SECOND)
        fig = failure_rates.figures(fs.engine, merchant, rules.window, start, "10m")
        assert [a.cleared_at is not None for a in fig.alerts] == [True]
        assert sorted(n.template for n in ops_notices()) == ["alert", "alert_cleared"]


# --- F6: card data ----------------------------------------------------------------------------


def decoded(history: Any) -> str:
    """A history's JSON with every payload's data decoded (they are base64 in it)."""
    text = history.to_json()
    found: list[str] = [text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "data" and isinstance(value, str):
                    found.append(base64.b64decode(value).decode("utf-8", "replace"))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(text))
    return "\n".join(found)


@pytest.mark.rule("F6")
async def test_a_card_number_never_reaches_history_store_or_logs(
    fs: Failures, capsys: pytest.CaptureFixture[str]
) -> None:
    from redress.logs import configure_logging

    configure_logging("DEBUG")
    digits = CARD.replace(" ", "")
    async with fs.worker():
        payment_id, case_id = await fs.fail(
            card={"number": CARD, "expiry": "12/29"},
            return_message=f"card {CARD} declined",
        )
        v = await fs.until(case_id, lambda v: v.status == "awaiting_retry")
        assert v.details["card_last4"] == "1111"
        history = decoded(await fs.env.client.get_workflow_handle(case_id).fetch_history())
    stored = []
    meta = MetaData()
    meta.reflect(fs.engine)
    with fs.engine.connect() as conn:
        for table in meta.sorted_tables:
            stored += [str(tuple(row)) for row in conn.execute(select(table))]
    logs = capsys.readouterr().out
    assert "1111" in history and case_id in "".join(stored)
    for text in (history, "".join(stored), logs, v.model_dump_json()):
        assert digits not in text and CARD not in text and "12/29" not in text


@pytest.mark.rule("F6")
def test_an_implausible_card_number_is_refused_without_echoing_it() -> None:
    from redress.providers import Rejected
    from redress.providers.generic import GenericProvider

    body = {
        "event_id": "e-1",
        "type": "payment.failed",
        "payment": {
            "id": "P1",
            "order_no": "O1",
            "merchant_id": "M-1",
            "channel": "card",
            "amount": "10.00",
            "currency": "CNY",
            "return_code": "51",
            "occurred_at": "2026-12-01T10:00:00+08:00",
            "card": {"number": "4111 1111 1111 1112"},
            "user": {"id": "U1", "contact": {"channel": "sms", "address": "+8613800000000"}},
        },
    }
    with pytest.raises(Rejected) as info:
        GenericProvider(None).parse(body)
    assert info.value.status == 422 and "card" in info.value.message
    assert "1112" not in info.value.message
    body["payment"]["card"] = {"number": "1234"}  # type: ignore[index]
    with pytest.raises(Rejected):
        GenericProvider(None).parse(body)
    body["payment"]["card"] = {"number": CARD}  # type: ignore[index]
    body["payment"].update(amount="10.5", currency="JPY")  # type: ignore[attr-defined]
    with pytest.raises(Rejected) as info:
        GenericProvider(None).parse(body)
    assert "more decimals than JPY allows" in info.value.message
